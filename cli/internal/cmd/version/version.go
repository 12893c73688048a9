package version

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/build"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
)

// VersionOptions are the dependencies and flags of `vend version`.
type VersionOptions struct {
	IO   *iostreams.IOStreams
	Info func() build.Info

	Output string
}

// NewCmdVersion returns the version command. runF, when set, replaces versionRun.
func NewCmdVersion(f *factory.Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IOStreams, Info: build.Get}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print vend's version",
		Example: `  vend version
  vend version -o json`,
		Args: output.NoArgs("version"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

func versionRun(opts *VersionOptions) error {
	info := opts.Info()
	if opts.Output == output.FormatJSON {
		return json.NewEncoder(opts.IO.Out).Encode(info)
	}
	fmt.Fprintf(opts.IO.Out, "vend %s\n", info.Version)
	if info.Commit != "" {
		fmt.Fprintf(opts.IO.Out, "commit: %s\n", info.Commit)
	}
	if info.Date != "" {
		fmt.Fprintf(opts.IO.Out, "built:  %s\n", info.Date)
	}
	fmt.Fprintf(opts.IO.Out, "go:     %s\n", info.GoVersion)
	return nil
}
