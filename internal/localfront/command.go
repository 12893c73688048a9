package localfront

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Usage is the localfront command's help.
const Usage = `localfront: a SigV4-verifying local Function URL in front of the Lambda RIE

Usage:
  localfront --invoke-url URL --identities FILE [--addr 127.0.0.1:0] [--region R]
             [--account-id ID] [--url-file FILE] [--debug]

Stand in for an AWS Lambda Function URL with AuthType AWS_IAM on a local machine: verify
the SigV4 signature of each request against the identities in --identities, pass the
caller in requestContext.authorizer.iam as AWS does, invoke the function through the
Lambda Runtime Interface Emulator at --invoke-url, and answer as a Function URL.

--identities is a JSON array of {"accessKeyId", "secretAccessKey", "sessionToken",
"arn", "accountId", "userId", "principalOrgId"} objects. It holds secret keys, so the
front refuses it unless only its owner can read it (mode 0600).

The front listens on loopback only and reaches the emulator on loopback only. It prints
its URL on stdout, writes it to --url-file once it accepts requests, logs one JSON line
per request on stderr (never a secret, a signature or a body) and runs until SIGINT or
SIGTERM. It is a test and local-deploy stand-in: it is not part of the vend CLI.

Example:
  aws-lambda-rie --runtime-interface-emulator-address 127.0.0.1:9001 ./bootstrap &
  localfront --invoke-url http://127.0.0.1:9001 --identities .vend/identities.json \
    --region eu-west-1 --account-id 123456789012 --url-file .vend/url
`

// Options are the command's flags.
type Options struct {
	Addr           string
	InvokeURL      string
	IdentitiesFile string
	Region         string
	AccountID      string
	URLFile        string
	Debug          bool
}

// ErrUsage is wrapped by every error that a corrected command line would avoid.
var ErrUsage = errors.New("usage")

// stopTimeout bounds the graceful shutdown; an invocation in flight may be an RIE
// cold start, but a stop request should not hang a script for long.
const stopTimeout = 10 * time.Second

// ParseFlags reads the command line.
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("localfront", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, Usage) }
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:0", "loopback address to listen on (port 0: a free one)")
	fs.StringVar(&o.InvokeURL, "invoke-url", "", "base URL of the Lambda Runtime Interface Emulator")
	fs.StringVar(&o.IdentitiesFile, "identities", "", "JSON array of the identities whose signatures the front accepts (mode 0600)")
	fs.StringVar(&o.Region, "region", DefaultRegion, "region requests must be signed for")
	fs.StringVar(&o.AccountID, "account-id", DefaultAccountID, "account that owns the function (requestContext.accountId)")
	fs.StringVar(&o.URLFile, "url-file", "", "write the front's URL to this file once it accepts requests")
	fs.BoolVar(&o.Debug, "debug", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	switch {
	case fs.NArg() != 0:
		return o, fmt.Errorf("%w: localfront takes no arguments, got %q", ErrUsage, fs.Args())
	case o.InvokeURL == "" || o.IdentitiesFile == "":
		return o, fmt.Errorf("%w: --invoke-url and --identities are required", ErrUsage)
	case o.Region == "" || o.AccountID == "":
		return o, fmt.Errorf("%w: --region and --account-id must not be empty", ErrUsage)
	}
	if err := checkAddr(o.Addr); err != nil {
		return o, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if err := checkInvokeURL(o.InvokeURL); err != nil {
		return o, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	return o, nil
}

// Main runs the command with args until ctx ends and returns its exit status: 0, 1 for
// an error, 2 for a usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "localfront: %v\nRun 'localfront -h' for usage.\n", err)
		return 2
	}
	level := slog.LevelInfo
	if o.Debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := Run(ctx, o, stdout, logger); err != nil {
		fmt.Fprintf(stderr, "localfront: %v\n", err)
		return 1
	}
	return 0
}

// errNotLoopback is the usage error for addresses off the machine's loopback.
var errNotLoopback = errors.New("must be a loopback address (127.0.0.1, [::1] or localhost): the front is for local use only")

// checkAddr refuses what Start would refuse, before anything else happens.
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

// Run serves the front until ctx ends.
func Run(ctx context.Context, o Options, stdout io.Writer, logger *slog.Logger) error {
	ids, err := loadIdentities(o.IdentitiesFile)
	if err != nil {
		return err
	}
	front, err := New(RIEInvoker{URL: o.InvokeURL}, ids, WithRegion(o.Region), WithAccountID(o.AccountID), WithLogger(logger))
	if err != nil {
		return err
	}
	baseURL, stopFront, err := front.Start(o.Addr)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := stopFront(sctx); err != nil {
			logger.Warn("local front stop", slog.String("error", err.Error()))
		}
	}()
	if o.URLFile != "" {
		if err := writeURLFile(o.URLFile, baseURL); err != nil {
			return err
		}
		// A stale file would send the next script to a port nobody listens on.
		defer os.Remove(o.URLFile)
	}
	arns := make([]string, len(ids))
	for i, id := range ids {
		arns[i] = id.ARN
	}
	logger.Info("local front listening",
		slog.String("url", baseURL), slog.String("invoke_url", o.InvokeURL),
		slog.String("region", o.Region), slog.String("account_id", o.AccountID),
		slog.Any("identities", arns))
	fmt.Fprintln(stdout, baseURL)

	<-ctx.Done()
	logger.Info("local front stopping")
	return nil
}

// loadIdentities reads the identities file after checking, on the open file, that
// only its owner can read it: it holds secret keys.
func loadIdentities(path string) ([]Identity, error) {
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
	ids, err := LoadIdentities(f)
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
