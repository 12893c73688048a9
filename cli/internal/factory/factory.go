package factory

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/vend-tvm/vend/cli/internal/build"
	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/tvmclient"
)

// GlobalFlags are the flags every command accepts; the root command binds them.
type GlobalFlags struct {
	RemoteServer   string
	BaseProfile    string
	SigningService string
	SigningRegion  string
	Debug          bool
	// Timeout bounds each call to the TVM, retries included (0: the attempts' own bounds).
	Timeout time.Duration
}

// Factory is what commands get their dependencies from.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Flags     GlobalFlags

	Getenv  func(string) string
	Environ func() []string
	Now     func() time.Time

	// LoadAWSConfig loads the caller's base AWS configuration for a shared-config profile
	// ("" for the default chain).
	LoadAWSConfig func(ctx context.Context, profile string) (aws.Config, error)
	// CacheDir is where credential-process, exec, export and serve keep their disk cache.
	CacheDir func() (string, error)
	// ClientOptions are appended to every TVM client's options (tests shorten backoff).
	ClientOptions []tvmclient.Option
	// HTTPClient, when set, replaces the TVM client's default HTTP client.
	HTTPClient *http.Client

	configOnce sync.Once
	configFile *config.File
	configErr  error
}

// New returns a factory wired to the real process.
func New(ios *iostreams.IOStreams) *Factory {
	return &Factory{
		IOStreams:     ios,
		Getenv:        os.Getenv,
		Environ:       os.Environ,
		Now:           time.Now,
		LoadAWSConfig: tvmclient.LoadBase,
		CacheDir: func() (string, error) {
			dir, err := os.UserCacheDir()
			if err != nil {
				return "", err
			}
			return filepath.Join(dir, "vend"), nil
		},
	}
}

// Logger returns the debug logger: JSON records on stderr with --debug, else nothing.
func (f *Factory) Logger() *slog.Logger {
	if !f.Flags.Debug {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewJSONHandler(f.IOStreams.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// ConfigFile loads the configuration file once.
func (f *Factory) ConfigFile() (*config.File, error) {
	f.configOnce.Do(func() {
		path, explicit, err := config.DefaultPath(f.Getenv)
		if err != nil {
			f.configErr = err
			return
		}
		f.configFile, f.configErr = config.Load(path, explicit)
	})
	return f.configFile, f.configErr
}

// Settings resolves the settings for a vend profile ("" for commands without one).
func (f *Factory) Settings(profile string, duration config.Duration) (config.Settings, error) {
	file, err := f.ConfigFile()
	if err != nil {
		return config.Settings{}, err
	}
	flags := config.Settings{
		RemoteServer:   f.Flags.RemoteServer,
		BaseProfile:    f.Flags.BaseProfile,
		SigningService: f.Flags.SigningService,
		SigningRegion:  f.Flags.SigningRegion,
		Duration:       duration,
	}
	return config.Resolve(file, flags, f.Getenv, profile)
}

// Remote is a configured connection to the TVM.
type Remote struct {
	Settings config.Settings
	Client   *tvmclient.Client
	// Base is the caller's own AWS configuration, whose credentials sign the requests.
	Base aws.Config
}

// Connect resolves settings, loads the base AWS configuration and builds the client.
func (f *Factory) Connect(ctx context.Context, profile string, duration config.Duration) (*Remote, error) {
	s, err := f.Settings(profile, duration)
	if err != nil {
		return nil, err
	}
	return f.connect(ctx, s)
}

// EnvExecProfile is set by vend exec (and printed by vend serve) in the child's
// environment: the profile whose credentials the child has.
const EnvExecProfile = "VEND_PROFILE"

// NestedError is vend started inside a vend exec child without credentials of its own:
// its AWS credentials would be the vended profile's, which the TVM would refuse or, worse,
// treat as the caller.
type NestedError struct{ Profile string }

func (e *NestedError) Error() string {
	return "vend is running inside vend exec " + e.Profile + " (" + EnvExecProfile + " is set), so its AWS credentials are that profile's, not yours: " +
		"run it outside that command or shell (exit it first), or pass --base-profile with a profile that holds your own credentials"
}

// connect loads the base AWS configuration and builds the client for resolved settings.
func (f *Factory) connect(ctx context.Context, s config.Settings) (*Remote, error) {
	if p := f.Getenv(EnvExecProfile); p != "" && s.BaseProfile == "" && f.Getenv("AWS_ACCESS_KEY_ID") == "" {
		return nil, &NestedError{Profile: p}
	}
	base, err := f.LoadAWSConfig(ctx, s.BaseProfile)
	if err != nil {
		return nil, err
	}
	if base.Credentials == nil {
		return nil, &tvmclient.BaseCredentialsError{Err: errNoCredentials}
	}
	opts := []tvmclient.Option{
		tvmclient.WithDefaultRegion(base.Region),
		tvmclient.WithSigningService(s.SigningService),
		tvmclient.WithSigningRegion(s.SigningRegion),
		tvmclient.WithLogger(f.Logger()),
		tvmclient.WithUserAgent("vend/" + build.Version),
		tvmclient.WithTimeout(f.Flags.Timeout),
		tvmclient.WithWaiting(func(w tvmclient.Waiting) {
			fmt.Fprintf(f.IOStreams.ErrOut, "vend: waiting for the TVM at %s (attempt %d/%d, %s so far)\n", w.Host, w.Attempt, w.Of, w.Since.Round(time.Second))
		}),
	}
	if f.HTTPClient != nil {
		opts = append(opts, tvmclient.WithHTTPClient(f.HTTPClient))
	}
	if pool := customRootCAs(base); pool != nil {
		opts = append(opts, tvmclient.WithRootCAs(pool))
	}
	opts = append(opts, f.ClientOptions...)
	client, err := tvmclient.New(s.RemoteServer, base.Credentials, opts...)
	if err != nil {
		return nil, err
	}
	return &Remote{Settings: s, Client: client, Base: base}, nil
}

var errNoCredentials = errors.New("no credentials provider in the AWS configuration")

// customRootCAs returns the CA pool the SDK built from the base configuration's CA
// bundle (AWS_CA_BUNDLE or the profile's ca_bundle), or nil when it trusts the system's.
func customRootCAs(cfg aws.Config) *x509.CertPool {
	bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	if !ok {
		return nil
	}
	if tr := bc.GetTransport(); tr != nil && tr.TLSClientConfig != nil {
		return tr.TLSClientConfig.RootCAs
	}
	return nil
}
