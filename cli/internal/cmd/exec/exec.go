package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	osexec "os/exec"
	"os/signal"
	"sync"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/credserver"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/status"
)

// ExecOptions are the dependencies and flags of `vend exec`.
type ExecOptions struct {
	IO      *iostreams.IOStreams
	Vend    func(ctx context.Context, profile string, vf factory.VendFlags) (*factory.Vended, error)
	Logger  *slog.Logger
	Environ func() []string
	Context context.Context
	// Notify and StopNotify register for the forwarded signals (signal.Notify in real use).
	Notify     func(c chan<- os.Signal, sig ...os.Signal)
	StopNotify func(c chan<- os.Signal)
	// KeyboardReachedChild says a signal was already delivered to the child by the terminal.
	KeyboardReachedChild func(os.Signal) bool

	Profile string
	factory.VendFlags
	TokenFile bool
	// KeepAWSFiles gives the child the caller's AWS files unchanged.
	KeepAWSFiles bool
	Command      []string
}

const example = `  # Run the AWS CLI with the deploy profile's credentials
  vend exec deploy -- aws sts get-caller-identity

  # A shell with the credentials; exit it to end them
  vend exec deploy

  # Run terraform with 30-minute credentials (refreshed in the background)
  vend exec --duration 30m deploy -- terraform apply

  # Give the child a token file instead of the token itself
  vend exec --token-file deploy -- ./deploy.sh

  # A break-glass profile vends only with a reason, and alerts
  vend exec --reason 'INC-1234: payments are down' prod-admin -- ./rollback.sh

  # An agent gets only what its task needs: the session is the role narrowed to the
  # policy in agent-scope.json (a scope can only remove permissions)
  vend exec --scope agent-scope.json data -- ./agent run-report`

// NewCmdExec returns the exec command. runF, when set, replaces execRun (tests).
func NewCmdExec(f *factory.Factory, runF func(*ExecOptions) error) *cobra.Command {
	opts := &ExecOptions{
		IO:                   f.IOStreams,
		Vend:                 f.Vend,
		Environ:              f.Environ,
		Notify:               signal.Notify,
		StopNotify:           signal.Stop,
		KeyboardReachedChild: keyboardReachedChild,
	}
	cmd := &cobra.Command{
		Use:   "exec [flags] PROFILE [-- COMMAND [ARGS...]]",
		Short: "Run a command with a vend profile's credentials",
		Long: `Fetch credentials for PROFILE from the TVM (or take fresh ones from vend's disk
cache), serve them to COMMAND on a loopback container-credentials endpoint, and run
COMMAND.

The child gets AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN
(or, with --token-file, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) and VEND_PROFILE. Every
variable that would make an AWS SDK prefer other credentials (AWS_ACCESS_KEY_ID,
AWS_PROFILE, AWS_ROLE_ARN, ...) is removed; region and endpoint variables stay. The
credentials refresh in the background, so long commands keep working.

SDKs also read the default profile of your AWS config and credentials files before
vend's endpoint, so COMMAND gets private copies of those files (AWS_CONFIG_FILE,
AWS_SHARED_CREDENTIALS_FILE) without the default profile's keys, credential_process,
SSO, role_arn or login settings; every other setting and the named profiles stay, and
vend removes the copies when COMMAND ends. If vend cannot make sure that COMMAND uses its
credentials, it does not start it and exits 4; --keep-aws-files gives COMMAND your files
unchanged and only warns.

Without COMMAND, vend starts your shell ($SHELL, else /bin/sh) with the credentials.

If the TVM denies the request, vend prints the deciding rule and reason, does not start
COMMAND, and exits 3. A COMMAND that does not exist exits 127, one that cannot be run
126, as in a shell. Otherwise vend exits with COMMAND's status (128+N if a signal N
killed it). SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to
COMMAND; Ctrl-C and Ctrl-\ typed at the terminal already reach COMMAND and are not sent
twice.

` + factory.CacheHelp + `
Started from cached credentials, the endpoint asks the TVM when it refreshes them, as
it does for credentials it fetched. When a refresh fails (the TVM unreachable, or a
denial after a revocation or a policy change), vend says so once on stderr, with when
the current credentials end, and once more when a refresh works again; --debug logs
every attempt.`,
		Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			switch {
			case dash < 0 && len(args) == 1:
				// Like aws-vault: no command is a shell with the credentials.
				opts.Command = []string{shell(f.Getenv)}
				fmt.Fprintf(opts.IO.ErrOut, "vend: starting %s with %s's credentials; exit it to end them\n", opts.Command[0], args[0])
				dash = 1
			case dash < 0:
				return status.Usagef("missing -- between the profile and the command\n\nExample:\n  vend exec PROFILE -- aws sts get-caller-identity")
			case dash == 0:
				return status.Usagef("missing the profile before --\n\nExample:\n  vend exec PROFILE -- aws sts get-caller-identity")
			case dash > 1:
				return status.Usagef("exec takes one profile before --, got %q\n\nExample:\n  vend exec PROFILE -- aws sts get-caller-identity", args[:dash])
			case len(args) == dash:
				return status.Usagef("missing the command after --\n\nExample:\n  vend exec %s -- aws sts get-caller-identity", args[0])
			}
			opts.Profile = args[0]
			if len(args) > 1 {
				opts.Command = args[dash:]
			}
			opts.Context = cmd.Context()
			opts.Logger = f.Logger()
			if runF != nil {
				return runF(opts)
			}
			return execRun(opts)
		},
	}
	opts.VendFlags.Register(cmd.Flags(), factory.Refreshed)
	cmd.Flags().BoolVar(&opts.TokenFile, "token-file", false, "pass the authorization token in a file (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)")
	cmd.Flags().BoolVar(&opts.KeepAWSFiles, KeepFilesFlag, false, KeepFilesUsage)
	return cmd
}

func execRun(opts *ExecOptions) error {
	ctx, cancel := context.WithCancel(opts.Context)
	defer cancel()

	// Registering for the forwarded signals and copying the AWS files need nothing from
	// the credentials, and each takes about as long as getting them from the cache: they
	// run meanwhile. Until the child starts, a forwarded signal stops vend (as it would
	// without the registration) after removing the copies.
	sigs := make(chan os.Signal, 8)
	parent := opts.Environ()
	prep := make(chan isolation, 1)
	go func() {
		opts.Notify(sigs, Forwarded...)
		var iso isolation
		iso.files, iso.cleanup, iso.err = FilesIsolation(parent, opts.KeepAWSFiles, &iso.warnings, opts.Profile)
		prep <- iso
	}()
	early := watchEarly(sigs, cancel)
	v, err := opts.Vend(ctx, opts.Profile, opts.VendFlags)
	var srv *credserver.Server
	if err == nil {
		srv, err = v.Serve(ctx, opts.Logger)
	}
	iso := <-prep
	defer opts.StopNotify(sigs)
	defer func() {
		// Both remove files; neither needs the other.
		var wg sync.WaitGroup
		if iso.cleanup != nil {
			wg.Go(iso.cleanup)
		}
		if srv != nil {
			srv.Close()
		}
		wg.Wait()
	}()
	if sig := early.stop(); sig != nil {
		opts.Logger.Debug("signal before the command started", "signal", sig.String())
		return &status.ExitError{Code: signalCode(sig)}
	}
	// Credentials before anything else: a denial must not start the child.
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	opts.Logger.Debug("serving credentials", "profile", opts.Profile, "url", srv.URL(),
		"access_key_id", v.Credentials.AccessKeyID, "expires", v.Credentials.Expires, "from_cache", v.Cached)
	_, _ = opts.IO.ErrOut.Write(iso.warnings.Bytes())
	if iso.err != nil {
		return iso.err
	}

	set := [][2]string{{EnvFullURI, srv.URL()}, {EnvProfile, opts.Profile}}
	if opts.TokenFile {
		// The server removes the file and its directory when it closes.
		path, err := srv.WriteTokenFile("")
		if err != nil {
			return fmt.Errorf("write the token file: %w", err)
		}
		set = append(set, [2]string{EnvTokenFile, path})
	} else {
		set = append(set, [2]string{EnvToken, srv.Token()})
	}
	return runChild(opts, ChildEnv(parent, append(set, iso.files...)), sigs)
}

// isolation is what FilesIsolation returned, with the warnings it wrote held back until
// the credentials are known: a denial is reported alone.
type isolation struct {
	files    [][2]string
	cleanup  func()
	err      error
	warnings bytes.Buffer
}

// earlyWatch takes the signals that arrive before the child starts.
type earlyWatch struct {
	quit chan struct{}
	done chan struct{}
	sig  os.Signal
}

// watchEarly cancels the fetch when a forwarded signal arrives before the child starts.
func watchEarly(sigs <-chan os.Signal, cancel context.CancelFunc) *earlyWatch {
	w := &earlyWatch{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		select {
		case w.sig = <-sigs:
			cancel()
		case <-w.quit:
		}
	}()
	return w
}

// stop ends the watch and returns the signal that arrived, if one did. Later signals
// stay in the channel for runChild to forward.
func (w *earlyWatch) stop() os.Signal {
	close(w.quit)
	<-w.done
	return w.sig
}

// shell is the user's shell, for vend exec PROFILE without a command.
func shell(getenv func(string) string) string {
	if s := getenv("SHELL"); s != "" {
		return s
	}
	return "/bin/sh"
}

// startFailureCode is what a shell exits with when a command cannot start: 127 when it
// is not there, 126 when it is there but cannot be run.
func startFailureCode(err error) int {
	if errors.Is(err, osexec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return 127
	}
	return 126
}

// runChild starts the command, forwards the signals that arrive on sigs (registered
// before it starts, so that a signal in between cannot kill vend and with it the child's
// credentials endpoint) and returns its exit status as an error.
func runChild(opts *ExecOptions, env []string, sigs <-chan os.Signal) error {
	child := osexec.Command(opts.Command[0], opts.Command[1:]...)
	child.Env = env
	// The child owns the terminal: its output is not vend's to escape.
	child.Stdin, child.Stdout, child.Stderr = opts.IO.In, opts.IO.RawOut, opts.IO.RawErrOut

	if err := child.Start(); err != nil {
		code := startFailureCode(err)
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // exec.Error repeats the name we print
		}
		return &status.ExitError{Code: code, Err: fmt.Errorf("start %s: %w", opts.Command[0], err)}
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				if opts.KeyboardReachedChild != nil && opts.KeyboardReachedChild(sig) {
					opts.Logger.Debug("signal already delivered by the terminal", "signal", sig.String())
					continue
				}
				opts.Logger.Debug("forwarding signal", "signal", sig.String())
				_ = child.Process.Signal(sig)
			}
		}
	}()

	err := child.Wait()
	if child.ProcessState == nil {
		return fmt.Errorf("wait for %s: %w", opts.Command[0], err)
	}
	code := child.ProcessState.ExitCode()
	if sc, ok := signalStatus(child.ProcessState); ok {
		code = sc
	}
	opts.Logger.Debug("command exited", "status", code)
	if code != 0 {
		return &status.ExitError{Code: code}
	}
	return nil
}
