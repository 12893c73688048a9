package project

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// InCI reports whether the run is in CI, where a missing tool fails the run instead of
// skipping the tests that need it.
func InCI() bool { return os.Getenv("CI") == "true" }

// Tool is an external program the end-to-end tests use.
type Tool struct {
	Name  string   // what to tell the user
	Check []string // a command that exits 0 when the tool works
	Fix   string   // how to get it
}

// E2ETools are what the end-to-end tests drive as real clients and the real local AWS.
var E2ETools = []Tool{
	{"moto_server", []string{"moto_server", "--help"}, "pip install 'moto[server]==5.2.1'"},
	{"the AWS CLI", []string{"aws", "--version"}, "pip install awscli"},
	{"boto3", []string{"python3", "-c", "import boto3"}, "pip install boto3"},
	{"node", []string{"node", "--version"}, "apt-get install nodejs npm"},
	{"npm", []string{"npm", "--version"}, "apt-get install npm"},
}

// MissingTools returns the tools that do not work on this machine.
func (r *Runner) MissingTools(ctx context.Context, tools []Tool) []Tool {
	var missing []Tool
	for _, t := range tools {
		cmd := exec.CommandContext(ctx, t.Check[0], t.Check[1:]...)
		if err := cmd.Run(); err != nil {
			missing = append(missing, t)
		}
	}
	return missing
}

// DescribeMissing says which tools are missing and how to install each.
func DescribeMissing(tools []Tool) string {
	var b strings.Builder
	for _, t := range tools {
		fmt.Fprintf(&b, "  - %s (install: %s)\n", t.Name, t.Fix)
	}
	return b.String()
}

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
