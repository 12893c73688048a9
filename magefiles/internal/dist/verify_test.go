package dist

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

func TestCheckExecutable(t *testing.T) {
	tests := []struct {
		name        string
		built, want Platform
		wantErr     error // nil: no error; errAny: any error
	}{
		{"linux amd64", Platform{"linux", "amd64"}, Platform{"linux", "amd64"}, nil},
		{"linux arm64", Platform{"linux", "arm64"}, Platform{"linux", "arm64"}, nil},
		{"darwin arm64", Platform{"darwin", "arm64"}, Platform{"darwin", "arm64"}, nil},
		{"windows amd64", Platform{"windows", "amd64"}, Platform{"windows", "amd64"}, nil},
		{"EM_X86_64 is not arm64", Platform{"linux", "amd64"}, Platform{"linux", "arm64"}, errWrongArch},
		{"EM_AARCH64 is not amd64", Platform{"linux", "arm64"}, Platform{"linux", "amd64"}, errWrongArch},
		{"PE amd64 is not arm64", Platform{"windows", "amd64"}, Platform{"windows", "arm64"}, errWrongArch},
		{"Mach-O is not ELF", Platform{"darwin", "arm64"}, Platform{"linux", "arm64"}, errAny},
		{"unknown GOOS", Platform{"linux", "amd64"}, Platform{"plan9", "amd64"}, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkExecutable(fixtureBinary(t, tt.built.OS, tt.built.Arch), tt.want.OS, tt.want.Arch)
			checkErr(t, err, tt.wantErr)
		})
	}
	t.Run("not an executable", func(t *testing.T) {
		if err := checkExecutable([]byte("#!/bin/sh\necho hi\n"), "linux", "amd64"); err == nil {
			t.Fatal("a shell script passed as an ELF executable")
		}
	})
}

// errAny stands for "some error" in table tests.
var errAny = errors.New("any error")

func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want == errAny && err == nil, want != nil && want != errAny && !errors.Is(err, want):
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func TestCheckStamped(t *testing.T) {
	bin := fixtureBinary(t, "linux", "amd64")
	if err := checkStamped(bin, fixtureVersion, fixtureCommit); err != nil {
		t.Fatal(err)
	}
	if err := checkStamped(bin, "9.9.9-snapshot.fffffff"); err == nil {
		t.Fatal("a version that is not in the binary passed")
	}
	if err := checkStamped(bin, ""); err == nil {
		t.Fatal("an empty stamp passed")
	}
	tags, err := buildTags(bin)
	if err != nil || len(tags) != 1 || tags[0] != lambdaNoRPC {
		t.Fatalf("buildTags = %v, %v; want [%s]", tags, err, lambdaNoRPC)
	}
}

// TestReleaseChecks builds a good release, then breaks one part at a time: each check
// must pass on the good one and fail, naming the problem, on the broken one.
func TestReleaseChecks(t *testing.T) {
	linuxAMD64 := fmt.Sprintf("vend_%s_linux_amd64.tar.gz", fixtureVersion)
	lambdaARM64 := fmt.Sprintf("vend-tvm_%s_linux_arm64.zip", fixtureVersion)
	without := func(entries []entry, name string) []entry {
		var out []entry
		for _, e := range entries {
			if e.name != name {
				out = append(out, e)
			}
		}
		return out
	}
	withEntry := func(entries []entry, e entry) []entry { return append(without(entries, e.name), e) }
	dropArtifact := func(name string) func(f *fixtureRelease) {
		return func(f *fixtureRelease) {
			var kept []Artifact
			for _, a := range f.artifacts {
				if a.Name != name {
					kept = append(kept, a)
				}
			}
			f.artifacts = kept
		}
	}
	overwrite := func(name string, data []byte) func(f *fixtureRelease) {
		return func(f *fixtureRelease) {
			if err := os.WriteFile(filepath.Join(f.dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	tests := []struct {
		name    string
		replace func(t *testing.T) map[string][]entry
		mutate  func(f *fixtureRelease)
		after   func(f *fixtureRelease, rel *Release) // after checksums and cask are written
		check   func(rel *Release) error
		wantMsg string // empty: the check passes
	}{
		{name: "good checksums", check: (*Release).CheckChecksums},
		{name: "good archives", check: (*Release).CheckArchives},
		{name: "good Lambda zips", check: (*Release).CheckLambdaZips},
		{name: "good packages", check: (*Release).CheckPackages},
		{name: "good cask", check: (*Release).CheckCask},
		{name: "good SBOMs", check: (*Release).CheckSBOMs},
		{
			name:    "archive changed after checksums",
			after:   func(f *fixtureRelease, _ *Release) { overwrite(linuxAMD64, []byte("tampered"))(f) },
			check:   (*Release).CheckChecksums,
			wantMsg: linuxAMD64 + ": sha256",
		},
		{
			name: "archive without the man page",
			replace: func(t *testing.T) map[string][]entry {
				return map[string][]entry{linuxAMD64: without(cliArchiveEntries(t, Platform{"linux", "amd64"}), "manpages/vend.1.gz")}
			},
			check:   (*Release).CheckArchives,
			wantMsg: "no manpages/vend.1.gz",
		},
		{
			name: "archive with an empty bash completion",
			replace: func(t *testing.T) map[string][]entry {
				return map[string][]entry{linuxAMD64: withEntry(cliArchiveEntries(t, Platform{"linux", "amd64"}), entry{"completions/vend.bash", 0o644, nil})}
			},
			check:   (*Release).CheckArchives,
			wantMsg: "completions/vend.bash: does not contain",
		},
		{
			name: "man page not gzipped",
			replace: func(t *testing.T) map[string][]entry {
				return map[string][]entry{linuxAMD64: withEntry(cliArchiveEntries(t, Platform{"linux", "amd64"}), entry{"manpages/vend.1.gz", 0o644, []byte(manPage)})}
			},
			check:   (*Release).CheckArchives,
			wantMsg: "not gzip",
		},
		{
			name: "man page of an unstamped build",
			replace: func(t *testing.T) map[string][]entry {
				page := gzipped(t, strings.ReplaceAll(manPage, fixtureVersion, "dev"))
				return map[string][]entry{linuxAMD64: withEntry(cliArchiveEntries(t, Platform{"linux", "amd64"}), entry{"manpages/vend.1.gz", 0o644, page})}
			},
			check:   (*Release).CheckArchives,
			wantMsg: "the man page does not name",
		},
		{
			name: "archive holding the arm64 binary",
			replace: func(t *testing.T) map[string][]entry {
				return map[string][]entry{linuxAMD64: withEntry(cliArchiveEntries(t, Platform{"linux", "amd64"}), entry{"vend", 0o755, fixtureBinary(t, "linux", "arm64")})}
			},
			check:   (*Release).CheckArchives,
			wantMsg: "wrong architecture",
		},
		{
			name: "binary not executable",
			replace: func(t *testing.T) map[string][]entry {
				return map[string][]entry{linuxAMD64: withEntry(cliArchiveEntries(t, Platform{"linux", "amd64"}), entry{"vend", 0o644, fixtureBinary(t, "linux", "amd64")})}
			},
			check:   (*Release).CheckArchives,
			wantMsg: "vend is not executable",
		},
		{
			name:    "binary of another version",
			after:   func(_ *fixtureRelease, rel *Release) { rel.Metadata.Version = "9.9.9" },
			check:   (*Release).CheckArchives,
			wantMsg: `"9.9.9" is not stamped`,
		},
		{
			name:    "missing platform",
			mutate:  dropArtifact(fmt.Sprintf("vend_%s_windows_arm64.zip", fixtureVersion)),
			check:   (*Release).CheckArchives,
			wantMsg: "windows/arm64: no Archive vend windows arm64",
		},
		{
			name: "Lambda zip with a README",
			replace: func(t *testing.T) map[string][]entry {
				return map[string][]entry{lambdaARM64: {{"bootstrap", 0o755, fixtureBinary(t, "linux", "arm64")}, {"README.md", 0o644, []byte("# vend")}}}
			},
			check:   (*Release).CheckLambdaZips,
			wantMsg: "want only bootstrap",
		},
		{
			name: "bootstrap not executable",
			replace: func(t *testing.T) map[string][]entry {
				return map[string][]entry{lambdaARM64: {{"bootstrap", 0o644, fixtureBinary(t, "linux", "arm64")}}}
			},
			check:   (*Release).CheckLambdaZips,
			wantMsg: "bootstrap is not executable",
		},
		{
			name: "arm64 zip holding an x86-64 bootstrap",
			replace: func(t *testing.T) map[string][]entry {
				return map[string][]entry{lambdaARM64: {{"bootstrap", 0o755, fixtureBinary(t, "linux", "amd64")}}}
			},
			check:   (*Release).CheckLambdaZips,
			wantMsg: "linux/arm64: bootstrap: ELF machine EM_X86_64",
		},
		{
			name: "zip named differently",
			replace: func(t *testing.T) map[string][]entry {
				return map[string][]entry{lambdaARM64: {{"main", 0o755, fixtureBinary(t, "linux", "arm64")}}}
			},
			check:   (*Release).CheckLambdaZips,
			wantMsg: "has no bootstrap",
		},
		{
			name:    "rpm that is not an rpm",
			mutate:  overwrite(fmt.Sprintf("vend_%s_arm64.rpm", fixtureVersion), []byte("<html>")),
			check:   (*Release).CheckPackages,
			wantMsg: "linux/arm64 rpm",
		},
		{
			name:    "missing deb",
			mutate:  dropArtifact(fmt.Sprintf("vend_%s_amd64.deb", fixtureVersion)),
			check:   (*Release).CheckPackages,
			wantMsg: "linux/amd64 deb: no Linux Package",
		},
		{
			name: "cask with a stale checksum",
			after: func(f *fixtureRelease, _ *Release) {
				path := filepath.Join(f.dir, "homebrew", "Casks", "vend.rb")
				rb, _ := os.ReadFile(path)
				rb = caskSHARE.ReplaceAll(rb, []byte(`  sha256 "`+strings.Repeat("0", 64)+`"`))
				os.WriteFile(path, rb, 0o644)
			},
			check:   (*Release).CheckCask,
			wantMsg: "cask sha256 values",
		},
		{
			name:    "cask of another version",
			after:   func(_ *fixtureRelease, rel *Release) { rel.Metadata.Version = "0.0.0" },
			check:   (*Release).CheckCask,
			wantMsg: `cask does not say version "0.0.0"`,
		},
		{
			name:    "binary without SBOM",
			mutate:  dropArtifact(fmt.Sprintf("bootstrap_%s_linux_arm64%s", fixtureVersion, sbomSuffix)),
			check:   (*Release).CheckSBOMs,
			wantMsg: "bootstrap linux/arm64: no SBOM",
		},
		{
			name:    "SBOM that did not read the binary",
			mutate:  overwrite(fmt.Sprintf("vend_%s_darwin_arm64%s", fixtureVersion, sbomSuffix), []byte(`{"bomFormat":"CycloneDX","components":[]}`)),
			check:   (*Release).CheckSBOMs,
			wantMsg: "none of them github.com/aws/aws-sdk-go-v2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureRelease(t)
			if tt.replace != nil {
				f.replace = tt.replace(t)
			}
			rel := f.build(t, tt.mutate)
			if tt.after != nil {
				tt.after(f, rel)
			}
			err := tt.check(rel)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("check failed on a good release: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestLoadRefusesIncompleteOutput(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil {
		t.Fatal("Load of an empty folder succeeded")
	}
	os.WriteFile(filepath.Join(dir, metadataFile), []byte(`{"version":"1.0.0"}`), 0o644)
	os.WriteFile(filepath.Join(dir, artifactsFile), []byte(`[]`), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "no version or commit") {
		t.Fatalf("Load without a commit: %v", err)
	}
}

// requireDpkg skips outside CI when dpkg-deb is missing, and fails in CI.
func requireDpkg(t *testing.T) {
	t.Helper()
	for _, tool := range dpkgTools {
		if _, err := exec.LookPath(tool.Name); err != nil {
			if project.InCI() {
				t.Fatalf("%s is missing (CI=true)", tool.Name)
			}
			t.Skipf("%s is missing; this test runs on Debian-based machines", tool.Name)
		}
	}
}

// buildDeb builds a .deb named pkg from files (path relative to / → content; paths under
// usr/bin/ are made executable).
func buildDeb(t *testing.T, pkg string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	control := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: vend tests <test@example.invalid>\nDescription: fixture for the dist tests\n", pkg, fixtureVersion)
	files["DEBIAN/control"] = control
	for name, content := range files {
		mode := os.FileMode(0o644)
		if strings.HasPrefix(name, "usr/bin/") {
			mode = 0o755
		}
		path := filepath.Join(tree, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	deb := filepath.Join(dir, pkg+".deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", tree, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb --build: %v\n%s", err, out)
	}
	return deb
}

// fakeVend is a shell script that answers like vend: enough to check what the .deb
// verification runs, without building vend.
func fakeVend(version, commit string) string {
	return fmt.Sprintf(`#!/bin/sh
case "$*" in
"version -o json") printf '{"version":"%[1]s","commit":"%[2]s","go_version":"go1.26.8"}\n' ;;
"version") printf 'vend %[1]s\ncommit: %[2]s\n' ;;
"completion bash") cat <<'EOF'
%[3]sEOF
;;
*) exit 2 ;;
esac
`, version, commit, bashCompletion)
}

func TestCheckDebExtracted(t *testing.T) {
	requireDpkg(t)
	goodFiles := func() map[string]string {
		return map[string]string{
			"usr/bin/vend": fakeVend(fixtureVersion, fixtureCommit),
			"usr/share/bash-completion/completions/vend":    bashCompletion,
			"usr/share/zsh/vendor-completions/_vend":        zshCompletion,
			"usr/share/fish/vendor_completions.d/vend.fish": fishCompletion,
			"usr/share/man/man1/vend.1.gz":                  string(gzipped(t, manPage)),
			"usr/share/doc/vend/copyright":                  "Apache License\n",
		}
	}
	tests := []struct {
		name    string
		edit    func(files map[string]string)
		wantMsg string
	}{
		{"good", func(map[string]string) {}, ""},
		{"reports another version", func(f map[string]string) { f["usr/bin/vend"] = fakeVend("0.0.0", fixtureCommit) }, `installed vend reports version "0.0.0"`},
		{"no fish completion", func(f map[string]string) { delete(f, "usr/share/fish/vendor_completions.d/vend.fish") }, "vend.fish"},
		{"stale bash completion", func(f map[string]string) {
			f["usr/share/bash-completion/completions/vend"] = "# bash completion V1\ncomplete -F _old vend\n"
		}, "differs from the completion file"},
		{"completion bash cannot load", func(f map[string]string) {
			broken := "# bash completion V2 for vend\n__start_vend() {\n"
			f["usr/share/bash-completion/completions/vend"] = broken
			f["usr/bin/vend"] = strings.Replace(fakeVend(fixtureVersion, fixtureCommit), bashCompletion, broken, 1)
		}, "bash does not register"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := goodFiles()
			tt.edit(files)
			deb := buildDeb(t, "vend", files)
			rel := &Release{
				Dir:      t.TempDir(),
				Metadata: Metadata{Version: fixtureVersion, Commit: fixtureCommit},
				Artifacts: []Artifact{{Name: filepath.Base(deb), Path: deb, OS: "linux", Arch: runtime.GOARCH,
					Type: typePackage, Extra: map[string]any{"ID": idCLI, "Format": "deb"}}},
			}
			err := rel.CheckDeb(context.Background(), testRunner(t, t.TempDir()), false)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

// TestWithDebInstallsAndRemoves installs a fixture package for real, as CI does with
// the release's .deb, and checks that it is gone afterwards, also when the check fails.
func TestWithDebInstallsAndRemoves(t *testing.T) {
	requireDpkg(t)
	if os.Geteuid() != 0 {
		if project.InCI() {
			t.Fatal("CI runs as root, so that the .deb really installs")
		}
		t.Skip("installing a package needs root")
	}
	const pkg = "vend-dist-test-fixture"
	marker := "/usr/share/doc/" + pkg + "/marker"
	if debIsInstalled(context.Background(), pkg) {
		t.Fatalf("%s is installed before the test: remove it with dpkg --purge %s", pkg, pkg)
	}
	deb := buildDeb(t, pkg, map[string]string{strings.TrimPrefix(marker, "/"): "installed\n"})
	r := testRunner(t, t.TempDir())
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("check fails=%v", fail), func(t *testing.T) {
			var sawRoot string
			how, err := withDeb(context.Background(), r, deb, true, func(root string) error {
				sawRoot = root
				if _, err := os.Stat(marker); err != nil {
					return fmt.Errorf("the package's file is not installed: %w", err)
				}
				if !debIsInstalled(context.Background(), pkg) {
					return errors.New("dpkg does not list the package as installed")
				}
				if fail {
					return errAny
				}
				return nil
			})
			if how != debInstalled || sawRoot != "/" {
				t.Fatalf("withDeb: %s with root %q, want a real install at /", how, sawRoot)
			}
			if fail != errors.Is(err, errAny) || (!fail && err != nil) {
				t.Fatalf("withDeb = %v", err)
			}
			if debIsInstalled(context.Background(), pkg) {
				t.Fatal("the package is still installed")
			}
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s is still there: %v", marker, err)
			}
		})
	}
}

// A package that is already installed (a user's own vend) is never replaced: it is only
// extracted.
func TestWithDebLeavesInstalledPackageAlone(t *testing.T) {
	requireDpkg(t)
	// dpkg itself is installed on any machine that has dpkg-deb.
	deb := buildDeb(t, "dpkg", map[string]string{"usr/share/doc/vend-dist-test/x": "x\n"})
	how, err := withDeb(context.Background(), testRunner(t, t.TempDir()), deb, true, func(root string) error {
		if root == "/" {
			return errors.New("would install over the system's dpkg")
		}
		_, err := os.Stat(filepath.Join(root, "usr/share/doc/vend-dist-test/x"))
		return err
	})
	if err != nil || how != debExtracted {
		t.Fatalf("withDeb = %s, %v; want an extraction", how, err)
	}
}
