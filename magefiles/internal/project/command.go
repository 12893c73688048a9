package project

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Runner runs the commands of a target, printing each step and how long it took, so a
// long target shows progress and a failure names the step that failed.
type Runner struct {
	Root   string    // repository root
	Stdout io.Writer // command output goes here
	Stderr io.Writer
	Env    []string // extra KEY=VALUE entries for every command
}

// NewRunner returns a Runner for the repository that holds the working directory.
func NewRunner() (*Runner, error) {
	root, err := FindRoot(".")
	if err != nil {
		return nil, err
	}
	return &Runner{Root: root, Stdout: os.Stdout, Stderr: os.Stderr}, nil
}

// Cmd describes one command to run.
type Cmd struct {
	Dir  string   // relative to the repository root
	Env  []string // extra KEY=VALUE entries
	Args []string
	// Interactive connects the command to this process's standard input, for prompts.
	Interactive bool
	// OKExit lists exit statuses besides 0 that Output accepts, for commands whose
	// answer is their output either way (vend policy scope-check exits 3 on a deny).
	OKExit []int
}

// Run runs c with its output streamed, and wraps a failure with the command line.
func (r *Runner) Run(ctx context.Context, c Cmd) error {
	cmd := r.command(ctx, c)
	cmd.Stdout, cmd.Stderr = r.Stdout, r.Stderr
	if c.Interactive {
		cmd.Stdin = os.Stdin
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s (in %s): %w", strings.Join(c.Args, " "), displayDir(c.Dir), err)
	}
	return nil
}

// Output runs c and returns its trimmed standard output.
func (r *Runner) Output(ctx context.Context, c Cmd) (string, error) {
	cmd := r.command(ctx, c)
	cmd.Stderr = r.Stderr
	out, err := cmd.Output()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok && slices.Contains(c.OKExit, ee.ExitCode()) {
		err = nil
	}
	if err != nil {
		return "", fmt.Errorf("%s (in %s): %w", strings.Join(c.Args, " "), displayDir(c.Dir), err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (r *Runner) command(ctx context.Context, c Cmd) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Dir = r.Root
	if c.Dir != "" {
		cmd.Dir = r.Root + string(os.PathSeparator) + c.Dir
	}
	cmd.Env = append(append(os.Environ(), r.Env...), c.Env...)
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// Step runs fn as a named step: it prints the name, then the elapsed time, and wraps a
// failure with the step's name.
func (r *Runner) Step(name string, fn func() error) error {
	start := time.Now()
	fmt.Fprintf(r.Stdout, "==> %s\n", name)
	if err := fn(); err != nil {
		fmt.Fprintf(r.Stdout, "<== %s failed after %s\n", name, since(start))
		return fmt.Errorf("step %q: %w", name, err)
	}
	fmt.Fprintf(r.Stdout, "<== %s done in %s\n", name, since(start))
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

func displayDir(d string) string {
	if d == "" {
		return "."
	}
	return d
}
