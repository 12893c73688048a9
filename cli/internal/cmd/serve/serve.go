package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	execcmd "github.com/vend-tvm/vend/cli/internal/cmd/exec"
	"github.com/vend-tvm/vend/cli/internal/credserver"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
)

// ServeOptions are the dependencies and flags of `vend serve`.
type ServeOptions struct {
	IO      *iostreams.IOStreams
	Vend    func(ctx context.Context, profile string, vf factory.VendFlags) (*factory.Vended, error)
	Environ func() []string
	Logger  *slog.Logger
	// Context ends the server; serveRun also stops on SIGINT and SIGTERM.
	Context context.Context

	Profile string
	factory.VendFlags
	Addr   string
	Output string
	// KeepAWSFiles leaves the shell's AWS files as they are.
	KeepAWSFiles bool
}

// NewCmdServe returns the serve command. runF, when set, replaces serveRun (tests).
func NewCmdServe(f *factory.Factory, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: f.IOStreams, Vend: f.Vend, Environ: f.Environ}
	cmd := &cobra.Command{
		Use:   "serve [flags] PROFILE",
		Short: "Serve a profile's credentials on a loopback endpoint",
		Long: `Fetch credentials for PROFILE (or take fresh ones from vend's disk cache) and serve
them, refreshed ahead of expiry, on a loopback container-credentials endpoint until
interrupted (SIGINT or SIGTERM).

vend prints the variables that point AWS SDKs at the endpoint: with -o env
(the default) as shell commands that also unset the variables that would take
precedence, with -o json as an object. The authorization token is a secret:
anyone who has it and can reach the port gets the credentials.

AWS SDKs read the default profile of your AWS config and credentials files before the
endpoint, so vend also writes private copies of those files without the default
profile's credentials (every other setting and the named profiles stay) and points
AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE at them; it removes the copies when it
stops. With --keep-aws-files it leaves the files alone and only warns.

When a refresh fails, vend says so once on stderr, with when the credentials it serves
end, and once more when a refresh works again; --debug logs every attempt.

` + factory.CacheHelp,
		Example: `  # Terminal 1
  vend serve deploy --addr 127.0.0.1:9911

  # Terminal 2: paste the lines terminal 1 printed, then
  aws sts get-caller-identity

  # For a supervisor or script
  vend serve deploy -o json > endpoint.json`,
		Args: output.OneProfile("serve", "Example:\n  vend serve PROFILE --addr 127.0.0.1:9911"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Profile = args[0]
			opts.Context = cmd.Context()
			opts.Logger = f.Logger()
			if runF != nil {
				return runF(opts)
			}
			return serveRun(opts)
		},
	}
	opts.VendFlags.Register(cmd.Flags(), factory.Refreshed)
	cmd.Flags().StringVar(&opts.Addr, "addr", "", "loopback address to listen on, like 127.0.0.1:9911 (default: a free port)")
	output.Register(cmd.Flags(), &opts.Output, []string{"env", output.FormatJSON}, "format")
	cmd.Flags().BoolVar(&opts.KeepAWSFiles, execcmd.KeepFilesFlag, false, "do not point the shell at copies of your AWS files; credentials in their default profile then win over vend's (vend only warns)")
	return cmd
}

func serveRun(opts *ServeOptions) error {
	ctx, stop := signal.NotifyContext(opts.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	v, err := opts.Vend(ctx, opts.Profile, opts.VendFlags)
	if err != nil {
		return err
	}
	var srvOpts []credserver.Option
	if opts.Addr != "" {
		srvOpts = append(srvOpts, credserver.WithAddr(opts.Addr))
	}
	srv, err := v.Serve(ctx, opts.Logger, srvOpts...)
	if err != nil {
		return err
	}
	defer srv.Close()

	files, cleanup, err := execcmd.FilesIsolation(opts.Environ(), opts.KeepAWSFiles, opts.IO.ErrOut, opts.Profile)
	if err != nil {
		return err
	}
	defer cleanup()

	if err := writeEndpoint(opts, srv.URL(), srv.Token(), files); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "vend: serving %s at %s; press Ctrl-C to stop\n", opts.Profile, srv.URL())
	<-ctx.Done()
	if len(files) > 0 {
		var names []string
		for _, kv := range files {
			names = append(names, kv[0])
		}
		fmt.Fprintf(opts.IO.ErrOut, "vend: stopped; in shells that used it, run: unset %s\n", strings.Join(names, " "))
		return nil
	}
	fmt.Fprintln(opts.IO.ErrOut, "vend: stopped")
	return nil
}

func writeEndpoint(opts *ServeOptions, url, token string, files [][2]string) error {
	set := append([][2]string{
		{execcmd.EnvFullURI, url},
		{execcmd.EnvToken, token},
		{execcmd.EnvProfile, opts.Profile},
	}, files...)
	if opts.Output == output.FormatJSON {
		m := map[string]string{}
		for _, kv := range set {
			m[kv[0]] = kv[1]
		}
		return json.NewEncoder(opts.IO.Out).Encode(m)
	}
	var unset []string
	for _, v := range execcmd.Scrubbed {
		if !slices.ContainsFunc(set, func(kv [2]string) bool { return kv[0] == v }) {
			unset = append(unset, v)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "unset %s\n", strings.Join(unset, " "))
	for _, kv := range set {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shQuote(kv[1]))
	}
	_, err := io.WriteString(opts.IO.Out, b.String())
	return err
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
