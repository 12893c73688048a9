package localfront

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/internal/localfront"
)

// LocalFrontOptions are the dependencies and flags of `vend local-front`.
type LocalFrontOptions struct {
	IO     *iostreams.IOStreams
	Logger *slog.Logger
	// Context ends the front; localFrontRun also stops on SIGINT and SIGTERM.
	Context context.Context

	Addr           string
	InvokeURL      string
	IdentitiesFile string
	Region         string
	AccountID      string
	URLFile        string
}

// stopTimeout bounds the graceful shutdown; an invocation in flight may be an RIE
// cold start, but a stop request should not hang a script for long.
const stopTimeout = 10 * time.Second

// NewCmdLocalFront returns the hidden local-front command. runF, when set, replaces
// localFrontRun.
func NewCmdLocalFront(f *factory.Factory, runF func(*LocalFrontOptions) error) *cobra.Command {
	opts := &LocalFrontOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "local-front --invoke-url URL --identities FILE [flags]",
		Short: "Serve a SigV4-verifying local Function URL in front of the Lambda RIE",
		Long: `Stand in for an AWS Lambda Function URL with AuthType AWS_IAM on a local machine: verify
the SigV4 signature of each request against the identities in --identities, pass the
caller in requestContext.authorizer.iam as AWS does, invoke the function through the
Lambda Runtime Interface Emulator at --invoke-url, and answer as a Function URL.

--identities is a JSON array of {"accessKeyId", "secretAccessKey", "sessionToken",
"arn", "accountId", "userId", "principalOrgId"} objects. It holds secret keys, so
vend refuses it unless only its owner can read it (mode 0600).

The front listens on loopback only (--addr, default a free port on 127.0.0.1) and
reaches the emulator on loopback only. It prints its URL on stdout, writes it to
--url-file once it accepts requests, logs one JSON line per request on stderr (never
a secret, a signature or a body) and runs until SIGINT or SIGTERM.`,
		Example: `  aws-lambda-rie --runtime-interface-emulator-address 127.0.0.1:9001 ./bootstrap &
  vend local-front --invoke-url http://127.0.0.1:9001 --identities .vend/identities.json \
    --region eu-west-1 --account-id 123456789012 --url-file .vend/url`,
		Hidden: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return status.Usagef("local-front takes no arguments, got %q", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.InvokeURL == "" || opts.IdentitiesFile == "" {
				return status.Usagef("--invoke-url and --identities are required\n\nExample:\n  vend local-front --invoke-url http://127.0.0.1:9001 --identities identities.json")
			}
			if err := checkAddr(opts.Addr); err != nil {
				return &status.UsageError{Err: err}
			}
			if err := checkInvokeURL(opts.InvokeURL); err != nil {
				return &status.UsageError{Err: err}
			}
			if opts.Region == "" || opts.AccountID == "" {
				return status.Usagef("--region and --account-id must not be empty")
			}
			opts.Context = cmd.Context()
			level := slog.LevelInfo
			if f.Flags.Debug {
				level = slog.LevelDebug
			}
			opts.Logger = slog.New(slog.NewJSONHandler(f.IOStreams.ErrOut, &slog.HandlerOptions{Level: level}))
			if runF != nil {
				return runF(opts)
			}
			return localFrontRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:0", "loopback address to listen on (port 0: a free one)")
	cmd.Flags().StringVar(&opts.InvokeURL, "invoke-url", "", "base URL of the Lambda Runtime Interface Emulator, like http://127.0.0.1:9001")
	cmd.Flags().StringVar(&opts.IdentitiesFile, "identities", "", "JSON array of the identities whose signatures the front accepts (mode 0600)")
	cmd.Flags().StringVar(&opts.Region, "region", localfront.DefaultRegion, "region requests must be signed for")
	cmd.Flags().StringVar(&opts.AccountID, "account-id", localfront.DefaultAccountID, "account that owns the function (requestContext.accountId)")
	cmd.Flags().StringVar(&opts.URLFile, "url-file", "", "write the front's URL to this file once it accepts requests")
	return cmd
}

// errNotLoopback is the usage error for addresses off the machine's loopback.
var errNotLoopback = errors.New("must be a loopback address (127.0.0.1, [::1] or localhost): the front is for local use only")

// checkAddr refuses what localfront.Start would refuse, before anything else happens.
func checkAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if !isLoopback(host) {
		return fmt.Errorf("--addr %q %w", addr, errNotLoopback)
	}
	return nil
}

func checkInvokeURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("--invoke-url %q: want http://127.0.0.1:PORT, the emulator's address", s)
	}
	if !isLoopback(u.Hostname()) {
		return fmt.Errorf("--invoke-url %q %w", s, errNotLoopback)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func localFrontRun(opts *LocalFrontOptions) error {
	ctx, stop := signal.NotifyContext(opts.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	ids, err := loadIdentities(opts.IdentitiesFile)
	if err != nil {
		return err
	}
	front, err := localfront.New(localfront.RIEInvoker{URL: opts.InvokeURL}, ids,
		localfront.WithRegion(opts.Region),
		localfront.WithAccountID(opts.AccountID),
		localfront.WithLogger(opts.Logger),
	)
	if err != nil {
		return err
	}
	baseURL, stopFront, err := front.Start(opts.Addr)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := stopFront(sctx); err != nil {
			opts.Logger.Warn("local front stop", slog.String("error", err.Error()))
		}
	}()
	if opts.URLFile != "" {
		if err := writeURLFile(opts.URLFile, baseURL); err != nil {
			return err
		}
		// A stale file would send the next script to a port nobody listens on.
		defer os.Remove(opts.URLFile)
	}
	arns := make([]string, len(ids))
	for i, id := range ids {
		arns[i] = id.ARN
	}
	opts.Logger.Info("local front listening",
		slog.String("url", baseURL), slog.String("invoke_url", opts.InvokeURL),
		slog.String("region", opts.Region), slog.String("account_id", opts.AccountID),
		slog.Any("identities", arns))
	fmt.Fprintln(opts.IO.Out, baseURL)

	<-ctx.Done()
	opts.Logger.Info("local front stopping")
	return nil
}

// loadIdentities reads the identities file after checking, on the open file, that
// only its owner can read it: it holds secret keys.
func loadIdentities(path string) ([]localfront.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open identities: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat identities: %w", err)
	}
	if err := checkPrivate(path, fi); err != nil {
		return nil, err
	}
	ids, err := localfront.LoadIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("identities %s: %w", path, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("identities %s: the array is empty, so no request could ever be verified", path)
	}
	return ids, nil
}

// ErrExposedIdentities is returned for an identities file others can read or write.
var ErrExposedIdentities = errors.New("identities file is accessible to other users")

func checkPrivate(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("identities %s: not a regular file", path)
	}
	// Windows has no Unix permission bits to judge; its ACLs are out of reach here.
	if runtime.GOOS == "windows" {
		return nil
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o and holds secret keys; run chmod 600 %s", ErrExposedIdentities, path, perm, path)
	}
	return nil
}

// writeURLFile writes the URL through a temporary file and a rename, so a script
// polling for the file never reads half a URL.
func writeURLFile(path, baseURL string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write url file: %w", err)
	}
	_, werr := tmp.WriteString(baseURL + "\n")
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write url file: %w", err)
	}
	// CreateTemp makes the file 0600; the URL is no secret and other tools may read it.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write url file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write url file: %w", err)
	}
	return nil
}
