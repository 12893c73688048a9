package configcmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/vend-tvm/vend/cli/internal/atomicfile"
	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
)

// NewCmdConfig returns vend config.
func NewCmdConfig(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config <command>",
		Short: "Write vend's configuration file",
		Long: `Write vend's configuration file (` + "`$VEND_CONFIG`" + `, or config.yaml in vend's folder under your
user configuration directory, such as ~/.config/vend/config.yaml). vend doctor shows
what vend resolves from it.`,
		Example: `  vend config init --remote-server https://abc.lambda-url.eu-west-1.on.aws
  vend config init   # asks for the values on a terminal`,
	}
	cmd.AddCommand(NewCmdInit(f, nil))
	return cmd
}

// InitOptions are the dependencies and flags of `vend config init`.
type InitOptions struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	// Settings are the root flags: --remote-server, --base-profile, --signing-service,
	// --signing-region.
	Settings config.Settings
	Force    bool
}

// NewCmdInit returns vend config init. runF, when set, replaces initRun (tests).
func NewCmdInit(f *factory.Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IOStreams, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "init [--remote-server URL] [--base-profile P] [--force]",
		Short: "Write the configuration file from flags, or by asking",
		Long: `Write the configuration file with the TVM's URL and, optionally, the base profile
and signing overrides, taken from the global flags --remote-server, --base-profile,
--signing-service and --signing-region. Without --remote-server on a terminal, vend
asks for the URL and the base profile. The URL must be https (plain http only to
127.0.0.1). An existing file is kept unless --force; per-profile settings are then
lost, so edit the file by hand to change one value.`,
		Example: `  vend config init --remote-server https://abc.lambda-url.eu-west-1.on.aws --base-profile sso-dev
  VEND_CONFIG=./vend.yaml vend config init --remote-server http://127.0.0.1:9000 --force`,
		Args: output.NoArgs("config init"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Settings = config.Settings{RemoteServer: f.Flags.RemoteServer, BaseProfile: f.Flags.BaseProfile,
				SigningService: f.Flags.SigningService, SigningRegion: f.Flags.SigningRegion}
			if runF != nil {
				return runF(opts)
			}
			return initRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace an existing configuration file")
	return cmd
}

func initRun(opts *InitOptions) error {
	path, _, err := config.DefaultPath(opts.Getenv)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil && !opts.Force {
		return status.Usagef("%s exists; edit it, or replace it with --force", path)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check %s: %w", path, err)
	}
	s := opts.Settings
	if s.RemoteServer == "" {
		if !opts.IO.IsStdinTTY() {
			return status.Usagef("config init needs --remote-server URL (or a terminal to ask on)\n\nExample:\n  vend config init --remote-server https://ID.lambda-url.REGION.on.aws")
		}
		in := bufio.NewReader(opts.IO.In)
		if s.RemoteServer, err = ask(in, opts.IO.ErrOut, "TVM URL (the tvm module's url output): "); err != nil {
			return err
		}
		if s.BaseProfile, err = ask(in, opts.IO.ErrOut, "AWS profile whose credentials sign requests (empty: the SDK's default chain): "); err != nil {
			return err
		}
	}
	warning, err := config.CheckServerURL(s.RemoteServer)
	if err != nil {
		return status.Usagef("--remote-server %q: %v", s.RemoteServer, err)
	}
	if warning != "" {
		fmt.Fprintf(opts.IO.ErrOut, "vend: warning: %s\n", warning)
	}
	data, err := yaml.Marshal(fileSettings(s))
	if err != nil {
		return err
	}
	data = append([]byte("# vend configuration: written by vend config init. See vend doctor.\n"), data...)
	if _, err := config.Parse(path, data); err != nil { // what vend writes, vend must read
		return fmt.Errorf("the configuration vend would write does not parse: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := atomicfile.Write(path, data); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "vend: wrote %s; check it with vend doctor\n", path)
	return nil
}

// fileSettings is what init writes: only the settings given.
func fileSettings(s config.Settings) map[string]string {
	out := map[string]string{"remote_server": s.RemoteServer}
	for k, v := range map[string]string{"base_profile": s.BaseProfile, "signing_service": s.SigningService, "signing_region": s.SigningRegion} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// ask prints prompt and reads one line.
func ask(in *bufio.Reader, out io.Writer, prompt string) (string, error) {
	fmt.Fprint(out, prompt)
	line, err := in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read the answer: %w", err)
	}
	return strings.TrimSpace(line), nil
}
