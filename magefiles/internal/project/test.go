package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// E2ETools are what the end-to-end tests drive as real clients and the real local AWS.
var E2ETools = []Tool{Tools.MotoServer, Tools.AWSCLI, Tools.Boto3, Tools.Node, Tools.NPM}

// JSClientTools are what installing the JS SDK client needs.
var JSClientTools = []Tool{Tools.Node, Tools.NPM}

// TestModule runs one module's Go tests with the race detector.
func (r *Runner) TestModule(ctx context.Context, mod string, extra ...string) error {
	args := append([]string{"go", "test", "-race", "-count=1", "-timeout", "20m"}, extra...)
	args = append(args, "./...")
	return r.Run(ctx, Cmd{Dir: mod, Args: args})
}

// JSClientDir holds the JS SDK v3 client the end-to-end tests run.
const JSClientDir = "cli/e2e/testdata/js"

// InstallJSClient installs the pinned npm packages of the JS client from its lockfile.
func (r *Runner) InstallJSClient(ctx context.Context) error {
	dir := JSClientDir
	if _, err := os.Stat(filepath.Join(r.Root, dir, "package-lock.json")); err != nil {
		return fmt.Errorf("%s has no package-lock.json: %w", dir, err)
	}
	return r.Run(ctx, Cmd{Dir: dir, Args: []string{"npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"}})
}

// TestE2E runs the end-to-end tests against the built vend binary.
func (r *Runner) TestE2E(ctx context.Context) error {
	return r.Run(ctx, Cmd{
		Dir:  "cli",
		Env:  []string{"VEND_BIN=" + r.CLIPath()},
		Args: []string{"go", "test", "-race", "-count=1", "-timeout", "25m", "-tags", "e2e", "./e2e/..."},
	})
}
