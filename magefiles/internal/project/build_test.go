package project

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestZipBootstrap(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	content := []byte("\x7fELF not really")
	if err := os.WriteFile(bin, content, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "out", "tvm.zip")
	if err := ZipBootstrap(bin, dst); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Fatalf("zip holds %v, want only bootstrap", zr.File)
	}
	if st, err := os.Stat(dst); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("zip file mode %v, want 0644", st.Mode().Perm())
	}
	if mode := zr.File[0].Mode(); mode.Perm()&0o111 == 0 {
		t.Errorf("bootstrap mode %v is not executable", mode)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) {
		t.Errorf("bootstrap content differs")
	}

	// The same input gives the same bytes: Terraform must not see a change.
	if err := ZipBootstrap(bin, dst); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(dst)
	if !bytes.Equal(first, second) {
		t.Error("zip is not reproducible")
	}
}

func TestParseWorkUse(t *testing.T) {
	got, err := parseWorkUse([]byte(`{"Go":"1.26","Use":[{"DiskPath":"./lambda"},{"DiskPath":"./cli"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "cli" || got[1] != "lambda" {
		t.Fatalf("got %v", got)
	}
	if _, err := parseWorkUse([]byte("not json")); err == nil {
		t.Fatal("want an error for bad JSON")
	}
}

func TestFindRoot(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.work"), []byte("go 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := FindRoot(sub)
	if err != nil || got != dir {
		t.Fatalf("FindRoot = %q, %v; want %q", got, err, dir)
	}
}
