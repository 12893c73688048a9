package site

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// BrowserTestTimeout bounds the browser tests as a whole; each test inside has its own.
const BrowserTestTimeout = 10 * time.Minute

// Test builds the site, serves it on a free loopback port and runs the browser tests
// (site/tests/*.test.mjs, node's test runner with puppeteer-core and Debian's Chromium).
// Screenshots land in ArtifactsDir. The server stops when the tests end.
func Test(ctx context.Context, r *project.Runner) error {
	if _, err := exec.LookPath("node"); err != nil {
		return errors.New("node is missing: apt-get install -y nodejs npm")
	}
	if err := Build(ctx, r, BuildOptions{}); err != nil {
		return err
	}
	var chromium string
	if err := r.Step("check chromium", func() (err error) { chromium, err = EnsureChromium(ctx, r); return err }); err != nil {
		return err
	}
	tests, err := filepath.Glob(filepath.Join(r.Root, TestsDir, "*.test.mjs"))
	if err != nil || len(tests) == 0 {
		return fmt.Errorf("no browser tests in %s", TestsDir)
	}
	artifacts := filepath.Join(r.Root, ArtifactsDir)
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		return err
	}
	srv, err := StartServer(filepath.Join(r.Root, PublicDir), "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(ctx, BrowserTestTimeout)
	defer cancel()
	args := []string{"node", "--test", "--test-reporter=spec"}
	for _, t := range tests {
		rel, _ := filepath.Rel(filepath.Join(r.Root, Dir), t)
		args = append(args, rel)
	}
	return r.Step("browser tests ("+srv.URL()+")", func() error {
		return r.Run(ctx, project.Cmd{
			Dir:  Dir,
			Env:  []string{"SITE_URL=" + srv.URL(), "CHROMIUM_PATH=" + chromium, "ARTIFACTS_DIR=" + artifacts},
			Args: args,
		})
	})
}
