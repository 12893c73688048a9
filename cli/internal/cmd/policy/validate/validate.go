package validate

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/lambda/policy"
)

// ValidateOptions are the dependencies and arguments of `vend policy validate`.
type ValidateOptions struct {
	IO *iostreams.IOStreams

	Files []string
}

// NewCmdValidate returns the validate command. runF, when set, replaces validateRun.
func NewCmdValidate(f *factory.Factory, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check policy files",
		Long: `Check each policy file strictly, as the TVM loads it. For a valid file vend prints its
hash (the value the TVM reports as policy_hash) and how many profiles and rules it
has; for an invalid one, every problem with its location and line. vend exits 1 if
any file is invalid.`,
		Example: `  vend policy validate policy.yaml
  vend policy validate policies/*.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return status.Usagef("validate takes at least one policy file\n\nExample:\n  vend policy validate policy.yaml")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(opts)
			}
			return validateRun(opts)
		},
	}
	return cmd
}

func validateRun(opts *ValidateOptions) error {
	failed := 0
	for _, file := range opts.Files {
		p, err := policy.ParseFile(file)
		if err != nil {
			failed++
			problems := Problems(err)
			fmt.Fprintf(opts.IO.Out, "%s: invalid (%d %s)\n", file, len(problems), plural(len(problems), "problem", "problems"))
			for _, pr := range problems {
				fmt.Fprintf(opts.IO.Out, "  %s\n", pr)
			}
			continue
		}
		fmt.Fprintf(opts.IO.Out, "%s: ok (%s, %d %s, %d %s)\n", file, p.Hash(),
			len(p.Profiles()), plural(len(p.Profiles()), "profile", "profiles"),
			len(p.Rules()), plural(len(p.Rules()), "rule", "rules"))
		// The file name too: validate takes many files, and a line alone is ambiguous.
		for _, w := range p.Warnings() {
			fmt.Fprintf(opts.IO.ErrOut, "vend: warning: %s:%d: %s: %s\n", file, w.Line, w.Path, w.Message)
		}
	}
	if failed > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "vend: %d of %d policy %s %s invalid\n", failed, len(opts.Files),
			plural(len(opts.Files), "file", "files"), plural(failed, "is", "are"))
		return status.ErrSilent
	}
	return nil
}

// Problems lists the individual problems in a policy error: the leaves of its tree of
// joined errors, without the ErrInvalid sentinel. An error that is not a validation
// failure (an unreadable file) is its own single problem.
func Problems(err error) []string {
	if !errors.Is(err, policy.ErrInvalid) {
		return []string{err.Error()}
	}
	var out []string
	var walk func(error)
	walk = func(e error) {
		if e == policy.ErrInvalid {
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		default:
			out = append(out, e.Error())
		}
	}
	walk(err)
	if len(out) == 0 {
		out = []string{err.Error()}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
