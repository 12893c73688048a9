package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
)

// ExportOptions are the dependencies and flags of `vend export`.
type ExportOptions struct {
	IO      *iostreams.IOStreams
	Vend    func(ctx context.Context, profile string, vf factory.VendFlags) (*factory.Vended, error)
	Now     func() time.Time
	Context context.Context

	Profile string
	factory.VendFlags
	Output string
}

// Formats are the output formats: env for POSIX shells, also called sh, bash or zsh.
var Formats = []string{"env", "sh", "bash", "zsh", "fish", "powershell", "json"}

// NewCmdExport returns the export command. runF, when set, replaces exportRun (tests).
func NewCmdExport(f *factory.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams, Vend: f.Vend, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "export [flags] PROFILE",
		Short: "Print a profile's credentials as shell variables",
		Long: `Print AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
AWS_CREDENTIAL_EXPIRATION for PROFILE, for tools that read only environment variables.

Exported credentials do not refresh: they stop working when they expire (at most one
hour). vend prints them anyway, also to a terminal, with a warning on stderr that
says when they expire. Prefer 'vend exec' or credential_process for anything that runs
for long. Fresh credentials from vend's disk cache are printed as they are: they have
more than 16 minutes left (see below), and the warning says how much.

` + factory.CacheHelp,
		Example: `  # bash or zsh
  eval "$(vend export deploy)"

  # fish
  vend export -o fish deploy | source

  # PowerShell
  vend export -o powershell deploy | Invoke-Expression

  # JSON for scripts
  vend export -o json deploy | jq -r .AWS_CREDENTIAL_EXPIRATION`,
		Args: output.OneProfile("export", "Example:\n  eval \"$(vend export PROFILE)\""),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Profile = args[0]
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return exportRun(opts)
		},
	}
	opts.VendFlags.Register(cmd.Flags(), factory.OneSet)
	output.Register(cmd.Flags(), &opts.Output, Formats, "format")
	return cmd
}

func exportRun(opts *ExportOptions) error {
	v, err := opts.Vend(opts.Context, opts.Profile, opts.VendFlags)
	if err != nil {
		return err
	}
	creds := v.Credentials
	if err := Write(opts.IO.Out, opts.Output, creds); err != nil {
		return err
	}
	left := creds.Expires.Sub(opts.Now()).Round(time.Minute)
	fmt.Fprintf(opts.IO.ErrOut, "vend: warning: these credentials expire at %s (in %s) and do not refresh; "+
		"use vend exec or credential_process for anything long-running\n",
		creds.Expires.UTC().Format(time.RFC3339), left)
	return nil
}

// Write prints creds in format.
func Write(w io.Writer, format string, creds aws.Credentials) error {
	vars := [][2]string{
		{"AWS_ACCESS_KEY_ID", creds.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey},
		{"AWS_SESSION_TOKEN", creds.SessionToken},
		{"AWS_CREDENTIAL_EXPIRATION", creds.Expires.UTC().Format(time.RFC3339)},
	}
	var b strings.Builder
	switch format {
	case "json":
		m := map[string]string{}
		for _, kv := range vars {
			m[kv[0]] = kv[1]
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	case "fish":
		for _, kv := range vars {
			fmt.Fprintf(&b, "set -gx %s %s;\n", kv[0], fishQuote(kv[1]))
		}
	case "powershell":
		for _, kv := range vars {
			fmt.Fprintf(&b, "$Env:%s = %s\n", kv[0], psQuote(kv[1]))
		}
	case "env", "sh", "bash", "zsh":
		for _, kv := range vars {
			fmt.Fprintf(&b, "export %s=%s\n", kv[0], shQuote(kv[1]))
		}
	default:
		return fmt.Errorf("unknown format %q", format)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Values are base64-like today; quoting keeps any future character from becoming code
// in the eval that consumes the output.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// psQuote quotes s for PowerShell. PowerShell ends a single-quoted string at any of
// five quote characters, not only U+0027: each of them is doubled.
func psQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if isPSQuote(r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

func isPSQuote(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
		return true
	}
	return false
}
