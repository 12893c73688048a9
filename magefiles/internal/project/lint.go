package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Gofmt fails when a tracked Go file is not gofmt-formatted.
func (r *Runner) Gofmt(ctx context.Context) error {
	files, err := r.Output(ctx, Cmd{Args: []string{"git", "ls-files", "--cached", "--others", "--exclude-standard", "*.go"}})
	if err != nil {
		return err
	}
	if files == "" {
		return nil
	}
	args := append([]string{"gofmt", "-l"}, strings.Fields(files)...)
	out, err := r.Output(ctx, Cmd{Args: args})
	if err != nil {
		return err
	}
	if out != "" {
		return fmt.Errorf("these files need gofmt -w:\n%s", out)
	}
	return nil
}

// Vet runs go vet and staticcheck (pinned by the magefiles module's tool directive) on a module.
func (r *Runner) Vet(ctx context.Context, mod string) error {
	var errs []error
	errs = append(errs, r.Run(ctx, Cmd{Dir: mod, Args: []string{"go", "vet", "./..."}}))
	errs = append(errs, r.Run(ctx, Cmd{Dir: mod, Args: []string{"go", "vet", "-tags", "e2e", "./..."}}))
	errs = append(errs, r.Run(ctx, Cmd{Dir: mod, Args: []string{"go", "tool", "staticcheck", "./..."}}))
	return errors.Join(errs...)
}

// TerraformFmt fails when a Terraform file under terraform/ is not formatted.
func (r *Runner) TerraformFmt(ctx context.Context) error {
	if _, err := os.Stat(r.Root + "/terraform"); err != nil {
		return nil
	}
	env, err := r.terraformEnv(localExample)
	if err != nil {
		return err
	}
	return r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", "fmt", "-check", "-recursive", "-diff", "terraform"}})
}
