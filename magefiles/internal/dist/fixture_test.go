package dist

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// The fixtures stand in for a goreleaser run: tiny Go programs cross-compiled the way
// the release builds are (static, -trimpath), with a version and commit stamped in, so
// that the checks read real ELF, Mach-O and PE files.
const (
	fixtureVersion = "1.2.3-snapshot.abc1234"
	fixtureCommit  = "0123456789abcdef0123456789abcdef01234567"
)

const fixtureMain = `package main

import "fmt"

var version, commit = "dev", "none"

func main() { fmt.Println(version, commit) }
`

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
	fixtureMu   sync.Mutex
	fixtureBins = map[string][]byte{}
)

// fixtureBinary returns a stamped static binary for goos/goarch, built once per test run.
func fixtureBinary(t *testing.T, goos, goarch string) []byte {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "vend-dist-fixture-*")
		if fixtureErr != nil {
			return
		}
		fixtureErr = os.WriteFile(filepath.Join(fixtureDir, "go.mod"), []byte("module fixture\n\ngo 1.26\n"), 0o644)
		if fixtureErr == nil {
			fixtureErr = os.WriteFile(filepath.Join(fixtureDir, "main.go"), []byte(fixtureMain), 0o644)
		}
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	key := goos + "_" + goarch
	if b, ok := fixtureBins[key]; ok {
		return b
	}
	out := filepath.Join(fixtureDir, key)
	ldflags := fmt.Sprintf("-s -w -X main.version=%s -X main.commit=%s", fixtureVersion, fixtureCommit)
	cmd := exec.Command("go", "build", "-trimpath", "-tags", lambdaNoRPC, "-ldflags", ldflags, "-o", out, ".")
	cmd.Dir = fixtureDir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fixture %s: %v\n%s", key, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	fixtureBins[key] = b
	return b
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// entry is one file to put in a fixture archive.
type entry struct {
	name string
	mode fs.FileMode
	data []byte
}

func writeTarGz(t *testing.T, path string, entries []entry) {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: int64(e.mode.Perm()), Size: int64(len(e.data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeZip(t *testing.T, path string, entries []entry) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store} // fast: the tests read zips, they do not measure them
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func gzipped(t *testing.T, data string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(data))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Generated files as the hooks write them, shortened.
const (
	bashCompletion = "# bash completion V2 for vend                                 -*- shell-script -*-\n__start_vend() { :; }\ncomplete -o default -F __start_vend vend\n"
	zshCompletion  = "#compdef vend\ncompdef _vend vend\n"
	fishCompletion = "# fish completion for vend\ncomplete -c vend -e\n"
	manPage        = ".nh\n.TH \"VEND\" \"1\" \"Jan 2026\" \"vend " + fixtureVersion + "\" \"vend manual\"\n.SH NAME\nvend\n"
)

// cliArchiveEntries are the files of a good vend archive for p.
func cliArchiveEntries(t *testing.T, p Platform) []entry {
	t.Helper()
	bin := "vend"
	if p.OS == "windows" {
		bin = "vend.exe"
	}
	return []entry{
		{bin, 0o755, fixtureBinary(t, p.OS, p.Arch)},
		{"README.md", 0o644, []byte("# vend\n")},
		{"LICENSE", 0o644, []byte("Apache License\nVersion 2.0\n")},
		{"completions/vend.bash", 0o644, []byte(bashCompletion)},
		{"completions/vend.zsh", 0o644, []byte(zshCompletion)},
		{"completions/vend.fish", 0o644, []byte(fishCompletion)},
		{"manpages/vend.1.gz", 0o644, gzipped(t, manPage)},
	}
}

// fixtureRelease is a complete, good goreleaser output folder; tests break one part of
// it at a time. Its files live in root/dist, with paths in artifacts.json relative to
// root, as goreleaser writes them.
type fixtureRelease struct {
	root, dir string
	artifacts []Artifact
	// replace maps an artifact name to other entries for its archive.
	replace map[string][]entry
}

func newFixtureRelease(t *testing.T) *fixtureRelease {
	t.Helper()
	root := t.TempDir()
	f := &fixtureRelease{root: root, dir: filepath.Join(root, Dir), replace: map[string][]entry{}}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixtureRelease) add(a Artifact) { f.artifacts = append(f.artifacts, a) }

func (f *fixtureRelease) file(t *testing.T, rel string, data []byte) string {
	t.Helper()
	path := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// build writes the release: archives, Lambda zips, packages, SBOMs, cask, checksums and
// the metadata goreleaser writes. mutate, when set, runs after the files are written and
// before the checksums, so that a test can swap a file for a bad one.
func (f *fixtureRelease) build(t *testing.T, mutate func(f *fixtureRelease)) *Release {
	t.Helper()
	for _, p := range CLIPlatforms {
		ext := ".tar.gz"
		if p.OS == "windows" {
			ext = ".zip"
		}
		name := fmt.Sprintf("vend_%s_%s_%s%s", fixtureVersion, p.OS, p.Arch, ext)
		entries := cliArchiveEntries(t, p)
		if r, ok := f.replace[name]; ok {
			entries = r
		}
		path := filepath.Join(f.dir, name)
		if ext == ".zip" {
			writeZip(t, path, entries)
		} else {
			writeTarGz(t, path, entries)
		}
		f.add(Artifact{Name: name, Path: filepath.Join(Dir, name), OS: p.OS, Arch: p.Arch, Type: typeArchive, Extra: map[string]any{"ID": idCLI}})
		bin := "vend"
		if p.OS == "windows" {
			bin = "vend.exe"
		}
		binPath := filepath.Join(Dir, "vend_"+p.OS+"_"+p.Arch, bin)
		f.file(t, binPath, fixtureBinary(t, p.OS, p.Arch))
		f.add(Artifact{Name: bin, Path: binPath, OS: p.OS, Arch: p.Arch, Type: typeBinary, Extra: map[string]any{"ID": idCLI}})
	}
	for _, arch := range project.LambdaArchs {
		name := fmt.Sprintf("vend-tvm_%s_linux_%s.zip", fixtureVersion, arch)
		entries := []entry{{"bootstrap", 0o755, fixtureBinary(t, "linux", arch)}}
		if r, ok := f.replace[name]; ok {
			entries = r
		}
		writeZip(t, filepath.Join(f.dir, name), entries)
		f.add(Artifact{Name: name, Path: filepath.Join(Dir, name), OS: "linux", Arch: arch, Type: typeArchive, Extra: map[string]any{"ID": idTVM}})
		binPath := filepath.Join(Dir, "tvm_linux_"+arch, "bootstrap")
		f.file(t, binPath, fixtureBinary(t, "linux", arch))
		f.add(Artifact{Name: "bootstrap", Path: binPath, OS: "linux", Arch: arch, Type: typeBinary, Extra: map[string]any{"ID": idTVM}})
	}
	for _, arch := range []string{"amd64", "arm64"} {
		for format, magic := range map[string][]byte{"deb": debMagic, "rpm": rpmMagic} {
			name := fmt.Sprintf("vend_%s_%s.%s", fixtureVersion, arch, format)
			f.file(t, filepath.Join(Dir, name), append(slicesClone(magic), "rest"...))
			f.add(Artifact{Name: name, Path: filepath.Join(Dir, name), OS: "linux", Arch: arch, Type: typePackage, Extra: map[string]any{"ID": idCLI, "Format": format}})
		}
	}
	for _, a := range f.artifacts {
		if a.Type != typeBinary {
			continue
		}
		name := fmt.Sprintf("%s_%s_%s_%s%s", strings.TrimSuffix(a.Name, ".exe"), fixtureVersion, a.OS, a.Arch, sbomSuffix)
		f.file(t, filepath.Join(Dir, name), []byte(`{"bomFormat":"CycloneDX","components":[{"name":"github.com/aws/aws-sdk-go-v2","version":"v1.48.0"}]}`))
		f.add(Artifact{Name: name, Path: filepath.Join(Dir, name), Type: typeSBOM, Extra: map[string]any{"ID": "binaries"}})
	}
	if mutate != nil {
		mutate(f)
	}
	// Checksums of every uploadable file, then the cask that quotes them.
	var lines []string
	sums := map[string]string{}
	for _, a := range f.artifacts {
		if a.Type != typeArchive && a.Type != typePackage && a.Type != typeSBOM {
			continue
		}
		data, err := os.ReadFile(filepath.Join(f.root, a.Path))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(data)
		sums[a.Name] = hex.EncodeToString(h[:])
		lines = append(lines, sums[a.Name]+"  "+a.Name)
	}
	sort.Strings(lines)
	f.file(t, filepath.Join(Dir, ChecksumsFile), []byte(strings.Join(lines, "\n")+"\n"))
	var cask strings.Builder
	fmt.Fprintf(&cask, "cask \"vend\" do\n  version \"%s\"\n", fixtureVersion)
	for _, p := range CLIPlatforms {
		if p.OS != "windows" {
			fmt.Fprintf(&cask, "  on_%s do\n    sha256 \"%s\"\n  end\n", p.Arch, sums[fmt.Sprintf("vend_%s_%s_%s.tar.gz", fixtureVersion, p.OS, p.Arch)])
		}
	}
	cask.WriteString("end\n")
	caskPath := filepath.Join(Dir, "homebrew", "Casks", "vend.rb")
	f.file(t, caskPath, []byte(cask.String()))
	f.add(Artifact{Name: "vend.rb", Path: caskPath, Type: typeCask})

	meta, _ := json.Marshal(Metadata{Version: fixtureVersion, Commit: fixtureCommit})
	f.file(t, filepath.Join(Dir, metadataFile), meta)
	arts, _ := json.Marshal(f.artifacts)
	f.file(t, filepath.Join(Dir, artifactsFile), arts)
	rel, err := Load(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

// testRunner runs commands in root and collects their output for failure messages.
func testRunner(t *testing.T, root string) *project.Runner {
	t.Helper()
	var out bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runner output:\n%s", out.String())
		}
	})
	return &project.Runner{Root: root, Stdout: &out, Stderr: &out}
}
