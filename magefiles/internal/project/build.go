package project

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Where build outputs go, relative to the repository root.
const (
	BinDir    = "bin"
	LambdaDir = "bin/lambda"
)

// LambdaArchs are the architectures the TVM zip is built for; arm64 is the default one.
var LambdaArchs = []string{"arm64", "amd64"}

// Stamp is the version information baked into the binaries.
type Stamp struct{ Version, Commit, Date string }

// Stamp reads the version from git: the nearest tag (or "dev"), the short commit and the
// commit date, so that two builds of one commit are identical.
func (r *Runner) Stamp(ctx context.Context) Stamp {
	s := Stamp{Version: "dev", Commit: "none", Date: "unknown"}
	if v, err := r.Output(ctx, Cmd{Args: []string{"git", "describe", "--tags", "--always", "--dirty"}}); err == nil && v != "" {
		s.Version = strings.TrimPrefix(v, "v")
	}
	if c, err := r.Output(ctx, Cmd{Args: []string{"git", "rev-parse", "--short=12", "HEAD"}}); err == nil && c != "" {
		s.Commit = c
	}
	if d, err := r.Output(ctx, Cmd{Args: []string{"git", "log", "-1", "--format=%cI"}}); err == nil && d != "" {
		s.Date = d
	}
	return s
}

// CLIPath is where BuildCLI puts the host's vend binary.
func (r *Runner) CLIPath() string {
	name := "vend"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(r.Root, BinDir, name)
}

// BuildCLI builds the vend binary for the host.
func (r *Runner) BuildCLI(ctx context.Context, s Stamp) error {
	pkg := "github.com/vend-tvm/vend/cli/internal/build"
	ldflags := fmt.Sprintf("-s -w -X %[1]s.Version=%[2]s -X %[1]s.Commit=%[3]s -X %[1]s.Date=%[4]s", pkg, s.Version, s.Commit, s.Date)
	return r.Run(ctx, Cmd{Dir: "cli", Args: []string{"go", "build", "-trimpath", "-ldflags", ldflags, "-o", r.CLIPath(), "./cmd/vend"}})
}

// LocalFrontPath is where BuildLocalFront puts the local Function URL front.
func (r *Runner) LocalFrontPath() string {
	name := "localfront"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(r.Root, BinDir, name)
}

// BuildLocalFront builds the SigV4-verifying stand-in for a Function URL that the local
// deploy runs in front of the Lambda RIE. It is a test stand-in and never ships in vend.
func (r *Runner) BuildLocalFront(ctx context.Context) error {
	return r.Run(ctx, Cmd{Dir: "internal/localfront", Args: []string{"go", "build", "-trimpath", "-o", r.LocalFrontPath(), "./cmd/localfront"}})
}

// LambdaZipPath is where BuildLambda puts the zip for arch.
func (r *Runner) LambdaZipPath(arch string) string {
	return filepath.Join(r.Root, LambdaDir, "tvm-linux-"+arch+".zip")
}

// BootstrapPath is where BuildLambda puts the bare binary for arch.
func (r *Runner) BootstrapPath(arch string) string {
	return filepath.Join(r.Root, LambdaDir, arch, "bootstrap")
}

// BuildLambda builds the TVM as a stripped, static `bootstrap` for provided.al2023 and zips it.
func (r *Runner) BuildLambda(ctx context.Context, s Stamp, arch string) error {
	ldflags := fmt.Sprintf("-s -w -X main.version=%s -X main.commit=%s -X main.date=%s", s.Version, s.Commit, s.Date)
	bin := r.BootstrapPath(arch)
	err := r.Run(ctx, Cmd{
		Dir:  "lambda",
		Env:  []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + arch},
		Args: []string{"go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", ldflags, "-o", bin, "./cmd/tvm"},
	})
	if err != nil {
		return err
	}
	if st, err := os.Stat(bin); err == nil {
		fmt.Fprintf(r.Stdout, "    bootstrap linux/%s: %.2f MB stripped\n", arch, float64(st.Size())/1e6)
	}
	return ZipBootstrap(bin, r.LambdaZipPath(arch))
}

// zipEpoch is the fixed modification time written into zips, so that the same binary
// always gives the same zip (and Terraform sees no change).
var zipEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// ZipBootstrap writes a zip holding bin as an executable file named bootstrap.
func ZipBootstrap(bin, dst string) (err error) {
	src, err := os.Open(bin)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".zip-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: zipEpoch}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, src); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes 0600 files; a release artifact is world-readable.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
