package root

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/build"
	"github.com/vend-tvm/vend/cli/internal/cmd/access"
	"github.com/vend-tvm/vend/cli/internal/cmd/completion"
	"github.com/vend-tvm/vend/cli/internal/cmd/configcmd"
	"github.com/vend-tvm/vend/cli/internal/cmd/console"
	"github.com/vend-tvm/vend/cli/internal/cmd/credentialprocess"
	"github.com/vend-tvm/vend/cli/internal/cmd/docs"
	"github.com/vend-tvm/vend/cli/internal/cmd/doctor"
	execcmd "github.com/vend-tvm/vend/cli/internal/cmd/exec"
	"github.com/vend-tvm/vend/cli/internal/cmd/export"
	"github.com/vend-tvm/vend/cli/internal/cmd/policy"
	"github.com/vend-tvm/vend/cli/internal/cmd/profiles"
	scpcmd "github.com/vend-tvm/vend/cli/internal/cmd/scp"
	"github.com/vend-tvm/vend/cli/internal/cmd/serve"
	"github.com/vend-tvm/vend/cli/internal/cmd/version"
	"github.com/vend-tvm/vend/cli/internal/cmd/whoami"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/lambda/wire"
)

// subcommand builds one command of the tree.
type subcommand struct {
	name string // the command's Name(), which args select it by
	new  func(*factory.Factory) *cobra.Command
}

// subcommands are vend's commands in help order.
var subcommands = []subcommand{
	{"exec", func(f *factory.Factory) *cobra.Command { return execcmd.NewCmdExec(f, nil) }},
	{"serve", func(f *factory.Factory) *cobra.Command { return serve.NewCmdServe(f, nil) }},
	{"credential-process", func(f *factory.Factory) *cobra.Command { return credentialprocess.NewCmdCredentialProcess(f, nil) }},
	{"export", func(f *factory.Factory) *cobra.Command { return export.NewCmdExport(f, nil) }},
	{"console", func(f *factory.Factory) *cobra.Command { return console.NewCmdConsole(f, nil) }},
	{"request", func(f *factory.Factory) *cobra.Command { return access.NewCmdRequest(f, nil) }},
	{"requests", func(f *factory.Factory) *cobra.Command { return access.NewCmdRequests(f, nil) }},
	{"approve", func(f *factory.Factory) *cobra.Command { return access.NewCmdApprove(f, nil) }},
	{"reject", func(f *factory.Factory) *cobra.Command { return access.NewCmdReject(f, nil) }},
	{"revoke", func(f *factory.Factory) *cobra.Command { return access.NewCmdRevoke(f, nil) }},
	{"whoami", func(f *factory.Factory) *cobra.Command { return whoami.NewCmdWhoami(f, nil) }},
	{"profiles", func(f *factory.Factory) *cobra.Command { return profiles.NewCmdProfiles(f, nil) }},
	{"policy", policy.NewCmdPolicy},
	{"scp", scpcmd.NewCmdSCP},
	{"doctor", func(f *factory.Factory) *cobra.Command { return doctor.NewCmdDoctor(f, nil) }},
	{"config", configcmd.NewCmdConfig},
	{"version", func(f *factory.Factory) *cobra.Command { return version.NewCmdVersion(f, nil) }},
	{"completion", func(f *factory.Factory) *cobra.Command { return completion.NewCmdCompletion(f, nil) }},
	{"docs", func(f *factory.Factory) *cobra.Command { return docs.NewCmdDocs(f, nil) }},
}

// profileVerbs are the commands whose first argument is a profile: shell completion
// offers the TVM's profile names there.
var profileVerbs = map[string]bool{
	"exec": true, "serve": true, "credential-process": true, "export": true, "console": true, "request": true,
}

// NewCmdRoot returns the vend command with every subcommand.
func NewCmdRoot(f *factory.Factory) *cobra.Command {
	return newCmdRoot(f, subcommands)
}

func newCmdRoot(f *factory.Factory, subs []subcommand) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vend <command>",
		Short: "Get short-lived AWS role credentials from your organisation's TVM",
		Long: `vend asks your organisation's token vending machine (TVM) for short-lived credentials
of a role profile. The TVM checks who you are against its policy, assumes the role with
a SourceIdentity that names you, and logs the decision.

vend signs its requests with your own AWS credentials (the default chain, or
--base-profile). The TVM's URL comes from --remote-server, VEND_REMOTE_SERVER or the
config file ($VEND_CONFIG, default ~/.config/vend/config.yaml on Linux).

Exit status: 0 ok, 1 error, 2 usage error, 3 access denied by policy; exec exits with
its command's status.`,
		Example: `  vend profiles
  vend exec deploy -- terraform apply
  vend whoami --debug`,
		Version:       build.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetVersionTemplate("vend {{.Version}}\n")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &status.UsageError{Err: err}
	})
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetIn(f.IOStreams.In)

	pf := cmd.PersistentFlags()
	pf.StringVar(&f.Flags.RemoteServer, "remote-server", "", "TVM URL (or VEND_REMOTE_SERVER, or remote_server in the config file)")
	pf.StringVar(&f.Flags.BaseProfile, "base-profile", "", "AWS shared-config profile whose credentials sign requests (default: the SDK's chain, AWS_PROFILE)")
	pf.StringVar(&f.Flags.SigningService, "signing-service", "", "SigV4 service (default: from the URL host; lambda for Function URLs, execute-api for API Gateway)")
	pf.StringVar(&f.Flags.SigningRegion, "signing-region", "", "SigV4 region (default: from the URL host, else the AWS configuration's region)")
	pf.DurationVar(&f.Flags.Timeout, "timeout", 0, "give up on the TVM after this long, retries included (default: 3 attempts of at most 30s each)")
	pf.BoolVar(&f.Flags.Debug, "debug", false, "log requests (request IDs, statuses, timings; never secrets) to stderr as JSON")

	for _, sub := range subs {
		c := sub.new(f)
		if profileVerbs[c.Name()] && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = f.CompleteProfile
		}
		cmd.AddCommand(c)
	}
	// cobra's own completion command would duplicate ours.
	cmd.CompletionOptions.DisableDefaultCmd = true
	return cmd
}

// Main runs vend with args (without the program name) and returns the exit status.
func Main(ctx context.Context, ios *iostreams.IOStreams, args []string) int {
	return Run(ctx, factory.New(ios), args)
}

// Run is Main with a given factory, for tests. It builds only the command args name:
// credential-process runs before every AWS CLI command, and building the whole tree
// would cost it more than its own work on a cache hit.
func Run(ctx context.Context, f *factory.Factory, args []string) int {
	cmd := newCmdRoot(f, selected(f, args))
	cmd.SetArgs(args)
	ran, err := cmd.ExecuteContextC(ctx)
	if err == nil {
		return status.OK
	}
	if isCobraUsage(err) {
		err = &status.UsageError{Err: err}
	}
	PrintError(f.IOStreams.ErrOut, ran, err)
	return status.Code(err)
}

// selected returns the subcommand that args run, or every subcommand when it cannot
// tell for sure: help, --version, completion and the suggestions for a misspelt name
// need the whole tree, and so does anything it does not understand. It skips the root's
// own flags (their values included) to find the command's name.
func selected(f *factory.Factory, args []string) []subcommand {
	flags := newCmdRoot(factory.New(f.IOStreams), nil).PersistentFlags()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") || a == "--" {
			if strings.HasPrefix(a, "-") {
				return subcommands // -h, a lone -, or the end of flags
			}
			for _, sub := range subcommands {
				if sub.name == a && a != "completion" && a != "docs" {
					return []subcommand{sub}
				}
			}
			return subcommands
		}
		name, _, hasValue := strings.Cut(a[2:], "=")
		fl := flags.Lookup(name)
		if fl == nil {
			return subcommands // --help, --version, or a mistake cobra explains
		}
		if !hasValue && fl.NoOptDefVal == "" {
			i++ // the flag's value is the next argument
		}
	}
	return subcommands
}

// isCobraUsage recognises the usage errors cobra returns as plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command ") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "unknown shorthand flag")
}

// commandExample is the running command with flags, as an example of how to run it
// again ("vend exec FLAGS PROFILE -- COMMAND" when the command is not known).
func commandExample(cmd *cobra.Command, execFlags string) string {
	_, flags, _ := strings.Cut(execFlags, " ")
	if cmd != nil {
		return cmd.CommandPath() + " " + flags + " ..."
	}
	return "vend " + execFlags + " PROFILE -- COMMAND"
}

// PrintError writes err for a person: usage errors with a pointer to help, denials with
// the rule, reason and request ID, and nothing for errors already reported.
func PrintError(w io.Writer, cmd *cobra.Command, err error) {
	var exitErr *status.ExitError
	if errors.As(err, &exitErr) && exitErr.Err == nil {
		return
	}
	var usage *status.UsageError
	if errors.As(err, &usage) {
		fmt.Fprintf(w, "vend: %s\n", usage.Err)
		if cmd != nil {
			fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return
	}
	var we *wire.Error
	if errors.As(err, &we) {
		// A rule that allows only on a condition: say which, and how to meet it.
		var kind, fix string
		switch we.Code {
		case wire.CodeReasonRequired:
			kind, fix = "break-glass", "say why, and vend vends and alerts: "+commandExample(cmd, "exec --reason 'INC-1234: payments are down'")
		case wire.CodeScopeRequired:
			kind, fix = "requires a scope", "narrow the session to what the task needs: "+commandExample(cmd, "exec --scope task-policy.json")+
				"\n              (check a scope first: vend policy scope-check --help)"
		case wire.CodeApprovalRequired:
			kind, fix = "needs approval", "vend request PROFILE --reason 'why you need it'; once approved, run this again"
		}
		if kind != "" {
			fmt.Fprintf(w, "vend: %s\n", strings.TrimSuffix(err.Error(), we.Error())+we.Message)
			if we.Rule != "" {
				fmt.Fprintf(w, "  rule:       %s (%s)\n", we.Rule, kind)
			}
			fmt.Fprintf(w, "  fix:        %s\n", fix)
			if we.RequestID != "" {
				fmt.Fprintf(w, "  request ID: %s\n", we.RequestID)
			}
			return
		}
	}
	if errors.As(err, &we) && we.Code == wire.CodeAccessDenied {
		msg := we.Message
		if msg == "" {
			msg = "access denied by policy"
		}
		if context := strings.TrimSuffix(err.Error(), we.Error()); context != "" {
			msg = context + msg
		}
		fmt.Fprintf(w, "vend: %s\n", msg)
		if we.Rule != "" {
			fmt.Fprintf(w, "  rule:       %s\n", we.Rule)
		}
		if we.Reason != "" {
			fmt.Fprintf(w, "  reason:     %s\n", we.Reason)
		}
		if we.RequestID != "" {
			fmt.Fprintf(w, "  request ID: %s (the TVM's decision log has the details)\n", we.RequestID)
		}
		return
	}
	fmt.Fprintf(w, "vend: %s\n", err)
	if errors.As(err, &we) && we.RequestID != "" && !strings.Contains(err.Error(), we.RequestID) {
		fmt.Fprintf(w, "  request ID: %s\n", we.RequestID)
	}
}
