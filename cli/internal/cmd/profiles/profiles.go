package profiles

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
)

// ProfilesOptions are the dependencies and flags of `vend profiles`.
type ProfilesOptions struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, profile string, d config.Duration) (*factory.Remote, error)
	Context context.Context

	JSON bool
}

// NewCmdProfiles returns the profiles command. runF, when set, replaces profilesRun.
func NewCmdProfiles(f *factory.Factory, runF func(*ProfilesOptions) error) *cobra.Command {
	opts := &ProfilesOptions{IO: f.IOStreams, Connect: f.Connect}
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List the profiles and whether you may use each one now",
		Long: `List every profile in the TVM's policy with the decision for you at this moment:
ALLOWED, the deciding RULE, the ROLE it vends (only for profiles you may use now: the
TVM names no role you cannot get, and prints "-") and, when denied, the REASON. Denied
profiles are not an error: the command exits 0.`,
		Example: `  vend profiles
  vend profiles --json | jq -r '.profiles[] | select(.allowed) | .name'`,
		Args: output.NoArgs("profiles"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return profilesRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the TVM's answer as JSON")
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
	if opts.JSON {
		return output.JSON(opts.IO.Out, p)
	}
	if len(p.Profiles) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "vend: the TVM's policy has no profiles")
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tALLOWED\tRULE\tROLE\tREASON")
	for _, s := range p.Profiles {
		allowed := "no"
		if s.Allowed {
			allowed = "yes"
		}
		// The TVM names the role only for profiles the caller may use.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, allowed, dash(s.Rule), dash(s.RoleARN), dash(s.Reason))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
