package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vend-tvm/vend/internal/testkit"
)

// The kinds of test `go tool mage test` runs, in its order: TestUnit, TestTerraform and
// TestE2E here; the release snapshot (dist.Test) and the site (site.Test) in the packages
// that build them.

// E2ETools are what the end-to-end tests drive as real clients and the real local AWS.
var E2ETools = []Tool{Tools.MotoServer, Tools.AWSCLI, Tools.Boto3, Tools.Node, Tools.NPM}

// JSClientTools are what installing the JS SDK client needs.
var JSClientTools = []Tool{Tools.Node, Tools.NPM}

// The Terraform tests are the package terraformTests of terraformModule: TestTerraform
// runs them, TestUnit the module's other packages.
const (
	terraformModule = "terraform"
	terraformTests  = "e2e"
)

// TestKind is one kind of test that TestAll runs in order.
type TestKind struct {
	Name string
	Run  func() error
}

// TestAll runs kinds one after the other, stopping at the first failure, and beside them
// background (the Terraform tests), which mostly waits on terraform and moto and so
// costs the others little of the machine's two cores: the run then takes about as long
// as the longer of the two, not their sum. background gets a Runner of its own whose
// output is held and printed, whole, when it ends, so that the logs do not interleave.
func (r *Runner) TestAll(ctx context.Context, kinds []TestKind, background func(*Runner) error) error {
	var held testkit.Buffer
	bg := *r
	bg.Stdout, bg.Stderr = &held, &held
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- background(&bg) }()
	var err error
	for _, k := range kinds {
		if err = k.Run(); err != nil {
			break
		}
	}
	fmt.Fprintf(r.Stdout, "==> (waiting for the tests that ran beside the others)\n")
	bgErr := <-done
	fmt.Fprintf(r.Stdout, "%s<== tests beside the others ended after %s\n", held.String(), since(start))
	return errors.Join(err, bgErr)
}

// CheckE2ETools reports the tools the end-to-end tests need that this machine lacks: an
// error in CI, a warning elsewhere (the tests that need them skip).
func (r *Runner) CheckE2ETools(ctx context.Context) error {
	missing := r.MissingTools(ctx, E2ETools)
	if len(missing) > 0 {
		msg := "the end-to-end tests need tools this machine lacks:\n" + DescribeMissing(missing)
		if InCI() {
			return errors.New(msg)
		}
		fmt.Fprintf(r.Stderr, "warning: %send-to-end tests that need them skip outside CI\n", msg)
	}
	return nil
}

// TestUnit runs every module's unit tests with the race detector, one module after the
// other.
func (r *Runner) TestUnit(ctx context.Context) error {
	mods, err := r.Modules(ctx)
	if err != nil {
		return err
	}
	for _, m := range mods {
		if err := r.Step("unit tests "+m, func() error { return r.TestModule(ctx, m) }); err != nil {
			return err
		}
	}
	return nil
}

// TestModule runs one module's unit tests with the race detector: all its packages but,
// in the terraform module, the Terraform tests.
func (r *Runner) TestModule(ctx context.Context, mod string) error {
	pkgs := []string{"./..."}
	if mod == terraformModule {
		out, err := r.Output(ctx, Cmd{Dir: mod, Args: []string{"go", "list", "-f", "{{.Dir}}", "./..."}})
		if err != nil {
			return err
		}
		if pkgs, err = unitPackages(filepath.Join(r.Root, mod), strings.Split(out, "\n"), terraformTests); err != nil {
			return err
		}
	}
	return r.goTest(ctx, mod, pkgs...)
}

// unitPackages turns the package folders of the module in modDir into ./-relative
// patterns, leaving out the folder exclude and what is under it.
func unitPackages(modDir string, dirs []string, exclude string) ([]string, error) {
	var pkgs []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		rel, err := filepath.Rel(modDir, d)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, fmt.Errorf("package folder %s is outside module %s", d, modDir)
		}
		if rel == exclude || strings.HasPrefix(rel, exclude+string(filepath.Separator)) {
			continue
		}
		if rel != "." {
			rel = "./" + filepath.ToSlash(rel)
		}
		pkgs = append(pkgs, rel)
	}
	return pkgs, nil
}

// TestTerraform runs the Terraform tests with the race detector: formatting, validation,
// the modules' mocked `terraform test` suites, and apply tests of every example on moto.
func (r *Runner) TestTerraform(ctx context.Context) error {
	return r.Step("terraform tests", func() error {
		return r.goTest(ctx, terraformModule, "./"+terraformTests+"/...")
	})
}

func (r *Runner) goTest(ctx context.Context, mod string, pkgs ...string) error {
	args := append([]string{"go", "test", "-race", "-count=1", "-timeout", "30m"}, pkgs...)
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

// TestE2E runs the end-to-end tests of cli/e2e against the vend binary BuildAll made,
// installing the JS SDK client first when node and npm work. CheckE2ETools says what
// the tests will skip.
func (r *Runner) TestE2E(ctx context.Context) error {
	if len(r.MissingTools(ctx, JSClientTools)) == 0 {
		if err := r.Step("install JS SDK client", func() error { return r.InstallJSClient(ctx) }); err != nil {
			return err
		}
	}
	return r.Step("end-to-end tests", func() error {
		return r.Run(ctx, Cmd{
			Dir:  "cli",
			Env:  []string{"VEND_BIN=" + r.CLIPath()},
			Args: []string{"go", "test", "-race", "-count=1", "-timeout", "25m", "-tags", "e2e", "./e2e/..."},
		})
	})
}
