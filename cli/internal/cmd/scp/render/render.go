package render

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

// RenderOptions are the dependencies and flags of `vend scp render`.
type RenderOptions struct {
	IO *iostreams.IOStreams

	Params   params.Flags
	Mode     scp.Mode
	Template string // "" renders every template of Mode
	OutDir   string
	Output   string
}

// NewCmdRender returns the render command. runF, when set, replaces renderRun.
func NewCmdRender(f *factory.Factory, runF func(*RenderOptions) error) *cobra.Command {
	opts := &RenderOptions{IO: f.IOStreams}
	var mode string
	cmd := &cobra.Command{
		Use:   "render [flags]",
		Short: "Render the guardrail SCPs and RCPs with your parameters",
		Long: `Fill the SCP and RCP templates with your parameters and print the minified documents,
exactly as Terraform's org-guardrails module renders them and as AWS Organizations
receives them.

The parameters come from --params FILE (JSON with the Terraform variable names, so a
terraform.tfvars.json serves) and from flags, which win over the file. --mode picks
the protected-role variant: enforce (every role under the protected path) or
tag-gated (only roles carrying the enforcement tag, for a gradual rollout).

Without --out, vend prints each document after a "# NAME (KIND, SIZE/5120 characters)"
line; --template prints one document alone, ready for the AWS CLI. With --out DIR,
vend writes one file per template, DIR/NAME.json.`,
		Example: `  vend scp render --params guardrails.tfvars.json
  vend scp render --params guardrails.tfvars.json --mode tag-gated --out build/policies

  # One document for the AWS CLI
  aws organizations create-policy --type SERVICE_CONTROL_POLICY \
    --name protect-tvm-function-and-role --description "vend guardrail" \
    --content "$(vend scp render --params p.json --template protect-tvm-function-and-role)"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return status.Usagef("render takes no arguments, got %q\n\nExample:\n  vend scp render --params guardrails.tfvars.json", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := params.ParseMode(mode)
			if err != nil {
				return err
			}
			opts.Mode = m
			if opts.Template != "" {
				if cmd.Flags().Changed("mode") {
					return status.Usagef("give --template or --mode, not both: a template belongs to one mode already")
				}
				if _, ok := scp.TemplateByName(opts.Template); !ok {
					return status.Usagef("unknown template %q: use one of %s", opts.Template, strings.Join(templateNames(), ", "))
				}
				if opts.OutDir != "" || opts.Output == output.FormatJSON {
					return status.Usagef("--template prints one document alone: drop --out and -o json")
				}
			}
			if opts.OutDir != "" && opts.Output == output.FormatJSON {
				return status.Usagef("give --out or -o json, not both")
			}
			if !opts.Params.Given() {
				return status.Usagef("%v\n\nExample:\n  vend scp render --params guardrails.tfvars.json", params.ErrNone)
			}
			if runF != nil {
				return runF(opts)
			}
			return renderRun(opts)
		},
	}
	opts.Params.Register(cmd.Flags())
	cmd.Flags().StringVar(&mode, "mode", string(scp.ModeEnforce), "protected-role variant: enforce or tag-gated")
	cmd.Flags().StringVar(&opts.Template, "template", "", "print only this template's document, without a header")
	cmd.Flags().StringVar(&opts.OutDir, "out", "", "write one NAME.json file per template into this directory")
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

func templateNames() []string {
	var names []string
	for _, t := range scp.Templates() {
		names = append(names, t.Name)
	}
	return names
}

// Rendered is one document of the JSON output.
type Rendered struct {
	Name        string          `json:"name"`
	Kind        scp.Kind        `json:"kind"`
	Path        string          `json:"path"`
	Description string          `json:"description"`
	Size        int             `json:"size"`
	Document    json.RawMessage `json:"document"`
}

func renderRun(opts *RenderOptions) error {
	p, err := opts.Params.Load(opts.IO.In)
	if err != nil {
		return err
	}
	ts := scp.TemplatesFor(opts.Mode)
	if opts.Template != "" {
		t, _ := scp.TemplateByName(opts.Template)
		ts = []scp.Template{t}
	}
	docs, err := scp.RenderTemplates(ts, p)
	if err != nil {
		return fmt.Errorf("render templates: %w", err)
	}
	out := opts.IO.Out
	switch {
	case opts.Template != "":
		if _, err := fmt.Fprintf(out, "%s\n", docs[0].JSON); err != nil {
			return err
		}
		return oversized(docs)
	case opts.Output == output.FormatJSON:
		rs := make([]Rendered, len(docs))
		for i, d := range docs {
			rs[i] = Rendered{Name: d.Name, Kind: d.Kind, Path: ts[i].Path, Description: ts[i].Description, Size: d.Size(), Document: d.JSON}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rs); err != nil {
			return err
		}
		return oversized(docs)
	case opts.OutDir != "":
		return write(opts, docs)
	}
	for i, d := range docs {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "# %s (%s, %d/%d characters)\n%s\n", d.Name, d.Kind, d.Size(), scp.MaxDocumentChars, d.JSON)
	}
	return oversized(docs)
}

// write puts each document in DIR/NAME.json. Names are unique across kinds (RCPs
// start with "rcp-"), so one flat directory holds both.
func write(opts *RenderOptions, docs []scp.Document) error {
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	for _, d := range docs {
		path := filepath.Join(opts.OutDir, d.Name+".json")
		// A trailing newline as in any text file; AWS and Terraform's file() accept it
		// and the size that counts is the document's, reported without it.
		if err := os.WriteFile(path, append(d.JSON, '\n'), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", d.Name, err)
		}
		fmt.Fprintf(opts.IO.Out, "wrote %s (%s, %d/%d characters)\n", path, d.Kind, d.Size(), scp.MaxDocumentChars)
	}
	return oversized(docs)
}

// oversized fails when a document exceeds what AWS accepts, after printing it, so the
// person sees which one and by how much.
func oversized(docs []scp.Document) error {
	var over []string
	for _, d := range docs {
		if d.Size() > scp.MaxDocumentChars {
			over = append(over, fmt.Sprintf("%s has %d characters", d.Name, d.Size()))
		}
	}
	if len(over) == 0 {
		return nil
	}
	return fmt.Errorf("documents over the AWS limit of %d characters: %s; shorten the parameter lists (run vend scp lint)",
		scp.MaxDocumentChars, strings.Join(over, ", "))
}
