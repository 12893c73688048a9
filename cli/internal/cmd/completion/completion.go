package completion

import (
	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/status"
)

// CompletionOptions are the dependencies and arguments of `vend completion`.
type CompletionOptions struct {
	IO   *iostreams.IOStreams
	Root *cobra.Command

	Shell string
}

var shells = []string{"bash", "zsh", "fish", "powershell"}

// NewCmdCompletion returns the completion command. runF, when set, replaces completionRun.
func NewCmdCompletion(f *factory.Factory, runF func(*CompletionOptions) error) *cobra.Command {
	opts := &CompletionOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print the completion script for a shell. Load it in the current session or save it
where your shell looks for completions.`,
		Example: `  # bash, current session
  source <(vend completion bash)

  # zsh, permanently
  vend completion zsh > "${fpath[1]}/_vend"

  # fish
  vend completion fish > ~/.config/fish/completions/vend.fish

  # PowerShell
  vend completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: shells,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return status.Usagef("completion takes one shell: bash, zsh, fish or powershell")
			}
			for _, s := range shells {
				if args[0] == s {
					return nil
				}
			}
			return status.Usagef("unsupported shell %q: use bash, zsh, fish or powershell", args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Shell = args[0]
			opts.Root = cmd.Root()
			if runF != nil {
				return runF(opts)
			}
			return completionRun(opts)
		},
	}
	return cmd
}

func completionRun(opts *CompletionOptions) error {
	w := opts.IO.Out
	switch opts.Shell {
	case "bash":
		return opts.Root.GenBashCompletionV2(w, true)
	case "zsh":
		return opts.Root.GenZshCompletion(w)
	case "fish":
		return opts.Root.GenFishCompletion(w, true)
	default:
		return opts.Root.GenPowerShellCompletionWithDesc(w)
	}
}
