package output

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/status"
)

// JSON writes v to w as indented JSON with a final newline, as every command's -o json does.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// NoArgs is a cobra Args check: the command takes no positional arguments, and saying
// otherwise is a usage error (exit 2) naming the command.
func NoArgs(command string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 0 {
			return status.Usagef("%s takes no arguments, got %q", command, args)
		}
		return nil
	}
}

// OneProfile is the cobra Args check of a command that takes one profile: anything else
// is a usage error (exit 2) that ends with example, how the command is used.
func OneProfile(command, example string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return status.Usagef("%s takes one profile\n\n%s", command, example)
		}
		return nil
	}
}

// Verdict writes the answer of a command that decides something (policy test, scope-check,
// scp simulate): as JSON when format is json, otherwise with text; then a refusal ends
// vend with status.Denied (exit 3), so scripts can branch on the answer as on the text.
func Verdict(w io.Writer, format string, answer any, text func() error, allowed bool) error {
	var err error
	if format == FormatJSON {
		err = JSON(w, answer)
	} else {
		err = text()
	}
	if err != nil {
		return err
	}
	if !allowed {
		return &status.ExitError{Code: status.Denied}
	}
	return nil
}
