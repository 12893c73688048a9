package dist

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/internal/testkit"
)

const (
	sumHello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" // sha256("hello")
	sumEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" // sha256("")
)

func TestParseChecksums(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"text mode", sumHello + "  a.tar.gz\n", map[string]string{"a.tar.gz": sumHello}, ""},
		{"binary mode and CRLF", sumHello + " *a.zip\r\n" + sumEmpty + "  b.deb\r\n", map[string]string{"a.zip": sumHello, "b.deb": sumEmpty}, ""},
		{"upper-case hex", strings.ToUpper(sumHello) + "  a\n", map[string]string{"a": sumHello}, ""},
		{"blank lines", "\n" + sumHello + "  a\n\n", map[string]string{"a": sumHello}, ""},
		{"empty", "", nil, "no checksums"},
		{"short sum", "abc  a\n", nil, "hex digits"},
		{"not hex", strings.Repeat("z", 64) + "  a\n", nil, "not hex"},
		{"one space", sumHello + " a\n", nil, "want"},
		{"no name", sumHello + "\n", nil, "want"},
		{"path outside", sumHello + "  ../etc/passwd\n", nil, "plain file name"},
		{"sub folder", sumHello + "  sub/a\n", nil, "plain file name"},
		{"dot", sumHello + "  .\n", nil, "plain file name"},
		{"listed twice", sumHello + "  a\n" + sumEmpty + "  a\n", nil, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChecksums([]byte(tt.in))
			if testkit.ErrCase(t, err, tt.wantErr) {
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: %s, want %s", k, got[k], v)
				}
			}
		})
	}
}

func TestVerifyChecksums(t *testing.T) {
	write := func(t *testing.T, files map[string]string) string {
		t.Helper()
		dir := t.TempDir()
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return filepath.Join(dir, ChecksumsFile)
	}
	t.Run("all match", func(t *testing.T) {
		sums := write(t, map[string]string{"a": "hello", "b": "", ChecksumsFile: sumHello + "  a\n" + sumEmpty + "  b\n"})
		names, err := VerifyChecksums(sums)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names, []string{"a", "b"}) {
			t.Errorf("names = %v", names)
		}
	})
	t.Run("changed file", func(t *testing.T) {
		sums := write(t, map[string]string{"a": "hellO", ChecksumsFile: sumHello + "  a\n"})
		if _, err := VerifyChecksums(sums); err == nil || !strings.Contains(err.Error(), "a: sha256") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		sums := write(t, map[string]string{ChecksumsFile: sumHello + "  gone.tar.gz\n"})
		if _, err := VerifyChecksums(sums); err == nil || !strings.Contains(err.Error(), "gone.tar.gz") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no sum file", func(t *testing.T) {
		if _, err := VerifyChecksums(filepath.Join(t.TempDir(), ChecksumsFile)); err == nil {
			t.Fatal("no error")
		}
	})
}

func FuzzParseChecksums(f *testing.F) {
	f.Add([]byte(sumHello + "  a.tar.gz\n" + sumEmpty + " *b.zip\n"))
	f.Add([]byte(sumHello + "  ../x\n"))
	f.Add([]byte("\r\n \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sums, err := ParseChecksums(data)
		if err != nil {
			return
		}
		if len(sums) == 0 {
			t.Fatal("no error and no sums")
		}
		for name, sum := range sums {
			if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
				t.Fatalf("unsafe name %q accepted", name)
			}
			if len(sum) != 64 || strings.ToLower(sum) != sum {
				t.Fatalf("sum %q is not 64 lower-case hex digits", sum)
			}
		}
	})
}
