package whoami

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

// WhoamiOptions are the dependencies and flags of `vend whoami`.
type WhoamiOptions struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, profile string, d config.Duration) (*factory.Remote, error)
	Context context.Context

	Output string
}

// NewCmdWhoami returns the whoami command. runF, when set, replaces whoamiRun (tests).
func NewCmdWhoami(f *factory.Factory, runF func(*WhoamiOptions) error) *cobra.Command {
	opts := &WhoamiOptions{IO: f.IOStreams, Connect: f.Connect}
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the caller the TVM sees and the policy it applies",
		Long: `Show the verified identity the TVM sees for your base AWS credentials, the
SourceIdentity it would stamp on your sessions, and the hash of the policy it applies.`,
		Example: `  vend whoami
  vend whoami -o json | jq -r .caller.arn
  vend whoami --base-profile sso-dev`,
		Args: output.NoArgs("whoami"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return whoamiRun(opts)
		},
	}
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

func whoamiRun(opts *WhoamiOptions) error {
	remote, err := opts.Connect(opts.Context, "", 0)
	if err != nil {
		return err
	}
	w, err := remote.Client.Whoami(opts.Context)
	if err != nil {
		return err
	}
	if opts.Output == output.FormatJSON {
		return output.JSON(opts.IO.Out, w)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("Caller", w.Caller.ARN)
	row("Name", w.Caller.Name)
	row("Type", w.Caller.PrincipalType)
	row("Account", w.Caller.AccountID)
	row("Organization", w.Caller.OrgID)
	row("Source identity", w.SourceIdentity)
	policy := w.PolicyHash
	if w.PolicyVersion != 0 {
		policy = fmt.Sprintf("%s (version %d)", policy, w.PolicyVersion)
	}
	row("Policy", policy)
	row("TVM version", w.TVMVersion)
	if w.TVMCommit != "" {
		row("TVM build", w.TVMCommit+" "+w.TVMBuildDate)
	}
	row("TVM", remote.Client.URL())
	row("Request ID", w.RequestID)
	return tw.Flush()
}
