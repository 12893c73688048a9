package project

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// BuildAll builds the CLI, the local Function URL front and both Lambda zips.
func (r *Runner) BuildAll(ctx context.Context) error {
	s := r.Stamp(ctx)
	if err := r.Step("build vend CLI", func() error { return r.BuildCLI(ctx, s) }); err != nil {
		return err
	}
	if err := r.Step("build localfront", func() error { return r.BuildLocalFront(ctx) }); err != nil {
		return err
	}
	for _, arch := range LambdaArchs {
		if err := r.Step("build TVM zip linux/"+arch, func() error { return r.BuildLambda(ctx, s, arch) }); err != nil {
			return err
		}
	}
	return nil
}

// LintAll runs every check and reports all failures together.
func (r *Runner) LintAll(ctx context.Context) error {
	errs := []error{r.Step("gofmt", func() error { return r.Gofmt(ctx) })}
	errs = append(errs, r.Step("terraform fmt", func() error { return r.TerraformFmt(ctx) }))
	mods, err := r.Modules(ctx)
	if err != nil {
		return err
	}
	for _, m := range mods {
		errs = append(errs, r.Step("vet "+m, func() error { return r.Vet(ctx, m) }))
	}
	return errors.Join(errs...)
}

// BenchAll builds the binaries, runs every BenchSet and summarises them.
func (r *Runner) BenchAll(ctx context.Context) error {
	if err := r.BuildAll(ctx); err != nil {
		return err
	}
	var files []string
	for _, set := range r.BenchSets() {
		err := r.Step("benchmarks "+set.Name, func() error {
			f, err := r.Bench(ctx, set, 6)
			files = append(files, f)
			return err
		})
		if err != nil {
			return err
		}
	}
	return r.Benchstat(ctx, files...)
}

// Deploy deploys to the target VEND_TARGET names: "local" (the default) or "aws".
func (r *Runner) Deploy(ctx context.Context) error {
	switch target() {
	case "local":
		return r.DeployLocal(ctx)
	case "aws":
		return r.DeployAWS(ctx)
	default:
		return fmt.Errorf("VEND_TARGET=%q: want local (the default) or aws", target())
	}
}

// Destroy removes what Deploy created for VEND_TARGET.
func (r *Runner) Destroy(ctx context.Context) error {
	switch target() {
	case "local":
		return r.DestroyLocal(ctx)
	case "aws":
		return r.DestroyAWS(ctx)
	default:
		return fmt.Errorf("VEND_TARGET=%q: want local (the default) or aws", target())
	}
}

func target() string {
	if t := os.Getenv("VEND_TARGET"); t != "" {
		return t
	}
	return "local"
}
