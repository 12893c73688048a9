package lint

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/cmd/scp/params"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/scp"
)

// LintOptions are the dependencies and flags of `vend scp lint`.
type LintOptions struct {
	IO *iostreams.IOStreams

	Params params.Flags
	Files  []string // empty: lint every rendered template
	Kind   string   // auto, scp or rcp; for Files only
	Output string
}

// NewCmdLint returns the lint command. runF, when set, replaces lintRun.
func NewCmdLint(f *factory.Factory, runF func(*LintOptions) error) *cobra.Command {
	opts := &LintOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "lint [FILE...] [flags]",
		Short: "Check SCP and RCP documents for mistakes that open bypasses",
		Long: `Lint organisation policies for the mistakes that silently open a way around the TVM
or that AWS Organizations rejects.

Without FILE, vend renders every template (both modes) with your parameters, from
--params FILE and flags as for vend scp render, and lints the results. With FILE
arguments, vend lints those JSON policy documents instead, for example your own SCPs.
A file is an RCP when its name starts with "rcp-" or it sits in a directory named
"rcp" or "rcps", else an SCP; --kind says so explicitly.

vend prints one line per finding and exits 1 when there is any.

Rules:
` + rulesHelp(),
		Example: `  vend scp lint --params guardrails.tfvars.json
  vend scp lint build/policies/*.json
  vend scp lint --kind rcp my-rcp.json -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			switch opts.Kind {
			case "auto", "scp", "rcp":
			default:
				return status.Usagef("unknown kind %q: use auto, scp or rcp", opts.Kind)
			}
			if len(args) > 0 && opts.Params.Given() {
				return status.Usagef("parameters apply to the rendered templates only: give FILE arguments or parameters, not both")
			}
			if len(args) == 0 && cmd.Flags().Changed("kind") {
				return status.Usagef("--kind applies to FILE arguments only: the templates know their kind")
			}
			if len(args) == 0 && !opts.Params.Given() {
				return status.Usagef("%v\n\nExample:\n  vend scp lint --params guardrails.tfvars.json\n  vend scp lint policy.json", params.ErrNone)
			}
			if runF != nil {
				return runF(opts)
			}
			return lintRun(opts)
		},
	}
	opts.Params.Register(cmd.Flags())
	cmd.Flags().StringVar(&opts.Kind, "kind", "auto", "policy type of FILE arguments: auto, scp or rcp")
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

func rulesHelp() string {
	var b strings.Builder
	for _, r := range scp.LintRules() {
		fmt.Fprintf(&b, "  %-19s %s\n", r.ID, r.Description)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Finding is one finding of the JSON output.
type Finding struct {
	Policy  string `json:"policy"`
	Rule    string `json:"rule"`
	Sid     string `json:"sid,omitempty"`
	Index   int    `json:"index"` // -1 for the document as a whole
	Message string `json:"message"`
}

func lintRun(opts *LintOptions) error {
	var (
		findings []scp.Finding
		count    int
	)
	if len(opts.Files) == 0 {
		p, err := opts.Params.Load(opts.IO.In)
		if err != nil {
			return err
		}
		docs, err := scp.RenderTemplates(scp.Templates(), p)
		if err != nil {
			return fmt.Errorf("render templates: %w", err)
		}
		for _, d := range docs {
			findings = append(findings, scp.Lint(d)...)
		}
		count = len(docs)
	} else {
		for _, file := range opts.Files {
			data, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("read policy: %w", err)
			}
			findings = append(findings, scp.LintJSON(file, kindOf(opts.Kind, file), data)...)
		}
		count = len(opts.Files)
	}

	if opts.Output == output.FormatJSON {
		out := make([]Finding, len(findings))
		for i, f := range findings {
			out[i] = Finding{Policy: f.Policy, Rule: f.Rule, Sid: f.Sid, Index: f.Index, Message: f.Message}
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			fmt.Fprintln(opts.IO.Out, f.String())
		}
	}
	if len(findings) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "%s: no findings\n", plural(count, "document"))
		return nil
	}
	return &status.ExitError{Code: status.Error, Err: fmt.Errorf("%s in %s", plural(len(findings), "finding"), plural(count, "document"))}
}

// kindOf decides a file's policy type: the flag when explicit, else the naming
// convention of vend's own templates (rcp- prefix, rcp directory).
func kindOf(flag, file string) scp.Kind {
	switch flag {
	case "scp":
		return scp.KindSCP
	case "rcp":
		return scp.KindRCP
	}
	base := strings.ToLower(filepath.Base(file))
	dir := strings.ToLower(filepath.Base(filepath.Dir(file)))
	if strings.HasPrefix(base, "rcp-") || strings.HasPrefix(base, "rcp_") || dir == "rcp" || dir == "rcps" {
		return scp.KindRCP
	}
	return scp.KindSCP
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
