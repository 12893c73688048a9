//go:build mage

// vend's build, test and deploy targets. Run `go tool mage -l` from the repository root.
package main

import (
	"context"
	"errors"

	"github.com/magefile/mage/mg"

	"github.com/vend-tvm/vend/magefiles/internal/dist"
	"github.com/vend-tvm/vend/magefiles/internal/project"
	"github.com/vend-tvm/vend/magefiles/internal/scpcheck"
	"github.com/vend-tvm/vend/magefiles/internal/site"
)

// Build builds the vend CLI for this machine and the TVM Lambda zips for linux/arm64 and linux/amd64 into bin/.
func Build(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.BuildAll(ctx) })
}

// Lint checks formatting (gofmt, terraform fmt), runs go vet and staticcheck on every module, and checks generated pages are current.
func Lint(ctx context.Context) error {
	return with(func(r *project.Runner) error {
		return errors.Join(r.LintAll(ctx), r.Step("generated site pages are current", func() error { return site.Check(ctx, r) }))
	})
}

// Bench runs the Go benchmarks and prints a benchstat summary; raw results land in bin/bench/.
func Bench(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.BenchAll(ctx) })
}

// Deploy builds vend, deploys the stack on a local AWS (or real AWS with VEND_TARGET=aws) and smoke-tests it.
func Deploy(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.Deploy(ctx) })
}

// Destroy tears down what deploy created (VEND_TARGET=aws for the AWS stack) and stops the processes it started.
func Destroy(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.Destroy(ctx) })
}

// Dist builds release artifacts with goreleaser: a snapshot locally, a release when HEAD is tagged.
func Dist(ctx context.Context) error {
	return with(func(r *project.Runner) error { _, err := dist.Build(ctx, r); return err })
}

func with(fn func(*project.Runner) error) error {
	r, err := project.NewRunner()
	if err != nil {
		return err
	}
	return fn(r)
}

// Test runs one kind of test; test:all, which `go tool mage test` names, runs every kind.
type Test mg.Namespace

// Aliases keeps `go tool mage test` (CI, the README) running every kind of test.
var Aliases = map[string]any{"test": Test.All}

// All runs every kind of test (`go tool mage test`): unit, e2e, dist and site in order,
// and the Terraform tests beside them.
func (Test) All(ctx context.Context) error {
	mg.SerialCtxDeps(ctx, checkE2ETools, Build)
	return with(func(r *project.Runner) error {
		return r.TestAll(ctx, []project.TestKind{
			{Name: "unit", Run: func() error { return r.TestUnit(ctx) }},
			{Name: "e2e", Run: func() error { return r.TestE2E(ctx) }},
			{Name: "dist", Run: func() error { return dist.Test(ctx, r) }},
			{Name: "site", Run: func() error { return r.Step("site browser tests", func() error { return site.Test(ctx, r) }) }},
		}, func(tr *project.Runner) error { return tr.TestTerraform(ctx) })
	})
}

// Unit runs every module's unit tests with the race detector (all but the Terraform tests).
func (Test) Unit(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.TestUnit(ctx) })
}

// Terraform runs the Terraform tests: fmt, validate, the modules' mocked `terraform test` suites and apply tests of every example on moto.
func (Test) Terraform(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.TestTerraform(ctx) })
}

// E2e, not E2E: mage would list E2E as test:e2E.

// E2e runs cli/e2e: the built vend driven by the AWS CLI, boto3 and the Go and JS SDKs against the real TVM handler and moto.
func (Test) E2e(ctx context.Context) error {
	mg.SerialCtxDeps(ctx, checkE2ETools, Build)
	return with(func(r *project.Runner) error { return r.TestE2E(ctx) })
}

// Dist builds the release artifacts as dist does (a snapshot unless HEAD is tagged) and verifies them the way users meet them.
func (Test) Dist(ctx context.Context) error {
	return with(func(r *project.Runner) error { return dist.Test(ctx, r) })
}

// Site builds the site and loads every page in headless Chromium, as site:test does.
func (Test) Site(ctx context.Context) error {
	return with(func(r *project.Runner) error {
		return r.Step("site browser tests", func() error { return site.Test(ctx, r) })
	})
}

// checkE2ETools warns, or fails in CI, when a tool the end-to-end tests need is missing.
// test:all runs it first, as `go tool mage test` always did, so CI fails before the long
// unit tests.
func checkE2ETools(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.CheckE2ETools(ctx) })
}

// Site builds, tests and publishes the documentation site.
type Site mg.Namespace

// Generate regenerates the reference pages (error codes, Terraform modules, CLI, changelog) under site/content/reference.
func (Site) Generate(ctx context.Context) error {
	return with(func(r *project.Runner) error { return site.Generate(ctx, r) })
}

// Check fails when the generated reference pages are stale.
func (Site) Check(ctx context.Context) error {
	return with(func(r *project.Runner) error { return site.Check(ctx, r) })
}

// Build generates the reference pages and builds the site with Hugo and Pagefind into site/public.
func (Site) Build(ctx context.Context) error {
	return with(func(r *project.Runner) error { return site.Build(ctx, r, site.BuildOptions{}) })
}

// Serve serves site/public on http://127.0.0.1:1313/ until interrupted.
func (Site) Serve(ctx context.Context) error {
	return with(func(r *project.Runner) error { return site.Serve(ctx, r, "") })
}

// Test builds the site and loads every page in headless Chromium; screenshots go to site/test-artifacts.
func (Site) Test(ctx context.Context) error {
	return with(func(r *project.Runner) error { return site.Test(ctx, r) })
}

// Publish syncs site/public to $VEND_SITE_BUCKET (VEND_SITE_DRY_RUN=true only prints the plan).
func (Site) Publish(ctx context.Context) error {
	return with(func(r *project.Runner) error {
		o, err := site.PublishOptionsFromEnv()
		if err != nil {
			return err
		}
		_, err = site.Publish(ctx, r, o)
		return err
	})
}

// SCP checks the guardrail templates beyond the scp module's own tests.
type SCP mg.Namespace

// Crosscheck compares the SCP/RCP simulation matrix with the independent @cloud-copilot/iam-simulate evaluator from npm.
func (SCP) Crosscheck(ctx context.Context) error {
	return with(func(r *project.Runner) error { return scpcheck.Run(ctx, r) })
}
