//go:build mage

// vend's build, test and deploy targets. Run `go tool mage -l` from the repository root.
package main

import (
	"context"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// Build builds the vend CLI for this machine and the TVM Lambda zips for linux/arm64 and linux/amd64 into bin/.
func Build(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.BuildAll(ctx) })
}

// Test runs every module's tests with the race detector, then the end-to-end tests with moto and real AWS clients.
func Test(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.TestAll(ctx) })
}

// Lint checks formatting (gofmt, terraform fmt) and runs go vet and staticcheck on every module.
func Lint(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.LintAll(ctx) })
}

// Bench runs the Go benchmarks and prints a benchstat summary; raw results land in bin/bench/.
func Bench(ctx context.Context) error {
	return with(func(r *project.Runner) error { return r.BenchAll(ctx) })
}

func with(fn func(*project.Runner) error) error {
	r, err := project.NewRunner()
	if err != nil {
		return err
	}
	return fn(r)
}
