package profiles

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/lambda/wire"
)

// ProfilesOptions are the dependencies and flags of `vend profiles`.
type ProfilesOptions struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, profile string, d config.Duration) (*factory.Remote, error)
	Context context.Context

	Output string
	Wide   bool
}

// NewCmdProfiles returns the profiles command. runF, when set, replaces profilesRun.
func NewCmdProfiles(f *factory.Factory, runF func(*ProfilesOptions) error) *cobra.Command {
	opts := &ProfilesOptions{IO: f.IOStreams, Connect: f.Connect}
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List the profiles and whether you may use each one now",
		Long: `List every profile in the TVM's policy with the decision for you at this moment
(ALLOW or DENY, in colour on a terminal unless NO_COLOR is set), the deciding RULE
and, when denied, the REASON, in at most 100 columns. --wide adds the ROLE each
profile vends: the TVM names it only for profiles you may use now, and "-" for the
others. Denied profiles are not an error: the command exits 0.`,
		Example: `  vend profiles
  vend profiles --wide
  vend profiles -o json | jq -r '.profiles[] | select(.allowed) | .name'`,
		Args: output.NoArgs("profiles"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return profilesRun(opts)
		},
	}
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	cmd.Flags().BoolVar(&opts.Wide, "wide", false, "add the ROLE column and never shorten the reason")
	return cmd
}

func profilesRun(opts *ProfilesOptions) error {
	remote, err := opts.Connect(opts.Context, "", 0)
	if err != nil {
		return err
	}
	p, err := remote.Client.Profiles(opts.Context)
	if err != nil {
		return err
	}
	if opts.Output == output.FormatJSON {
		return output.JSON(opts.IO.Out, p)
	}
	if len(p.Profiles) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "vend: the TVM's policy has no profiles")
		return nil
	}
	if opts.IO.ColorEnabled() {
		_, err = io.WriteString(opts.IO.RawOut, table(p.Profiles, opts.Wide, true))
		return err
	}
	_, err = io.WriteString(opts.IO.Out, table(p.Profiles, opts.Wide, false))
	return err
}

// tableWidth is what the table fits in without --wide: the reason is cut to fit.
const tableWidth = 100

// table lays out the profiles. Cells from the TVM are escaped here when color is set,
// since the table then goes to the raw stream with its colour codes.
func table(profiles []wire.ProfileStatus, wide, color bool) string {
	header := []string{"NAME", "DECISION", "RULE", "REASON"}
	if wide {
		header = []string{"NAME", "DECISION", "RULE", "ROLE", "REASON"}
	}
	rows := [][]string{header}
	for _, s := range profiles {
		decision, reason := "ALLOW", ""
		switch {
		case !s.Allowed:
			decision, reason = "DENY", dash(s.Reason)
		case s.RequiresScope:
			reason = "only with --scope (the rule requires a scope of your own)"
		case s.SessionPolicies:
			reason = "narrowed by the profile's session policies"
		}
		row := []string{s.Name, decision, dash(s.Rule), reason}
		if wide {
			row = []string{s.Name, decision, dash(s.Rule), dash(s.RoleARN), reason}
		}
		if color {
			for i := range row {
				row[i] = iostreams.EscapeString(row[i])
			}
		}
		rows = append(rows, row)
	}
	last := len(header) - 1
	widths := make([]int, last)
	for _, r := range rows {
		for i := range widths {
			widths[i] = max(widths[i], utf8.RuneCountInString(r[i]))
		}
	}
	used := 0
	for _, w := range widths {
		used += w + 2
	}
	room := max(tableWidth-used, 20)
	var b strings.Builder
	for n, r := range rows {
		var line strings.Builder
		for i, cell := range r[:last] {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2)
			if color && i == 1 && n > 0 {
				cell = paint(cell)
			}
			line.WriteString(cell + pad)
		}
		reason := r[last]
		if !wide && utf8.RuneCountInString(reason) > room {
			reason = string([]rune(reason)[:room-1]) + "…"
		}
		line.WriteString(reason)
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}

// paint colours a decision: green for ALLOW, red for DENY.
func paint(decision string) string {
	code := "31"
	if decision == "ALLOW" {
		code = "32"
	}
	return "\x1b[" + code + "m" + decision + "\x1b[0m"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
