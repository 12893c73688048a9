package tfcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vend-tvm/vend/internal/testkit"
	"github.com/vend-tvm/vend/internal/tfenv"
)

// The provider mirror and the terraform binary, from internal/tfenv.
const (
	MirrorEnv     = tfenv.MirrorEnv
	DefaultMirror = tfenv.DefaultMirror
	Binary        = tfenv.Binary
)

// Mirror returns the provider mirror directory to use, or "" for normal installation.
func Mirror() string { return tfenv.Mirror() }

// CLIConfig is a terraform CLI configuration that installs the providers found in
// mirror from there and any other provider directly.
func CLIConfig(mirror string) string { return tfenv.CLIConfig(mirror) }

// Runner runs terraform in one configuration directory.
type Runner struct {
	Dir string
	// Env is added to the process environment of every command.
	Env []string
	// Log receives every command line and its combined output (nil discards them).
	Log io.Writer
}

// New prepares a Runner for dir. When a provider mirror is configured it writes a CLI
// configuration pointing at it into scratch (a directory the caller owns) and uses it.
func New(dir, scratch string) (*Runner, error) {
	env, err := tfenv.Env(scratch)
	if err != nil {
		return nil, err
	}
	r := &Runner{Dir: dir, Env: append(env, "TF_CLI_ARGS=-no-color")}
	return r, nil
}

// Error is a failed terraform command with its output (which never holds secrets:
// terraform redacts sensitive values in its human output).
type Error struct {
	Args   []string
	Output string
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("terraform %s: %v\n%s", strings.Join(e.Args, " "), e.Err, e.Output)
}

func (e *Error) Unwrap() error { return e.Err }

// Run runs terraform with args and returns its standard output.
func (r *Runner) Run(ctx context.Context, args ...string) (string, error) {
	return r.run(ctx, true, args)
}

// run logs the output only when logOutput is set: `output -json` prints sensitive
// values in clear text.
func (r *Runner) run(ctx context.Context, logOutput bool, args []string) (string, error) {
	bin, err := exec.LookPath(Binary)
	if err != nil {
		return "", fmt.Errorf("find %s: %w", Binary, err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), r.Env...)
	// exec copies stdout and stderr in two goroutines: both reach combined, so it locks.
	var stdout bytes.Buffer
	combined := &testkit.Buffer{}
	cmd.Stdout = io.MultiWriter(&stdout, combined)
	cmd.Stderr = combined
	err = cmd.Run()
	output := combined.String()
	if !logOutput {
		output = "(output withheld: it may hold sensitive values)"
	}
	if r.Log != nil {
		fmt.Fprintf(r.Log, "$ terraform %s  (in %s)\n%s\n", strings.Join(args, " "), r.Dir, output)
	}
	if err != nil {
		return stdout.String(), &Error{Args: args, Output: output, Err: err}
	}
	return stdout.String(), nil
}

// Init runs terraform init.
func (r *Runner) Init(ctx context.Context) error {
	_, err := r.Run(ctx, "init", "-input=false")
	return err
}

// Apply runs terraform apply -auto-approve with the variables.
func (r *Runner) Apply(ctx context.Context, vars map[string]string) error {
	_, err := r.Run(ctx, append([]string{"apply", "-auto-approve", "-input=false"}, varArgs(vars)...)...)
	return err
}

// Destroy runs terraform destroy -auto-approve with the variables.
func (r *Runner) Destroy(ctx context.Context, vars map[string]string) error {
	_, err := r.Run(ctx, append([]string{"destroy", "-auto-approve", "-input=false"}, varArgs(vars)...)...)
	return err
}

// PlanChanges runs terraform plan -detailed-exitcode and reports whether it would
// change anything, with the plan output for the failure message.
func (r *Runner) PlanChanges(ctx context.Context, vars map[string]string) (bool, string, error) {
	out, err := r.Run(ctx, append([]string{"plan", "-detailed-exitcode", "-input=false"}, varArgs(vars)...)...)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return false, out, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 2:
		return true, out, nil
	default:
		return false, out, err
	}
}

// Outputs returns the root module's outputs, sensitive ones included, as raw JSON values.
func (r *Runner) Outputs(ctx context.Context) (map[string]json.RawMessage, error) {
	out, err := r.run(ctx, false, []string{"output", "-json"})
	if err != nil {
		return nil, err
	}
	var raw map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		return nil, fmt.Errorf("decode terraform outputs: %w", err)
	}
	values := make(map[string]json.RawMessage, len(raw))
	for k, v := range raw {
		values[k] = v.Value
	}
	return values, nil
}

// StateList returns the resource addresses in the state.
func (r *Runner) StateList(ctx context.Context) ([]string, error) {
	out, err := r.Run(ctx, "state", "list")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

func varArgs(vars map[string]string) []string {
	args := make([]string, 0, len(vars))
	for k, v := range vars {
		args = append(args, "-var", k+"="+v)
	}
	return args
}

// CopyTree copies the Terraform sources under src (modules, examples, their tests and
// test data) to dst, leaving out local state, lock files and .terraform directories,
// so that tests never write into the work tree.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if name == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if name == ".terraform.lock.hcl" || strings.HasSuffix(name, ".tfstate") || strings.Contains(name, ".tfstate.") || name == "terraform.tfvars" {
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
}
