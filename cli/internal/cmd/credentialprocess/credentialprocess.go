package credentialprocess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/credcache"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmclient"
)

// CredentialProcessOptions are the dependencies and flags of `vend credential-process`.
type CredentialProcessOptions struct {
	IO       *iostreams.IOStreams
	Connect  func(ctx context.Context, profile string, d config.Duration) (*factory.Remote, error)
	CacheDir func() (string, error)
	Context  context.Context

	Profile  string
	Duration config.Duration
	NoCache  bool
}

// NewCmdCredentialProcess returns the credential-process command. runF, when set,
// replaces credentialProcessRun (tests).
func NewCmdCredentialProcess(f *factory.Factory, runF func(*CredentialProcessOptions) error) *cobra.Command {
	opts := &CredentialProcessOptions{IO: f.IOStreams, Connect: f.Connect, CacheDir: f.CacheDir}
	cmd := &cobra.Command{
		Use:   "credential-process [flags] PROFILE",
		Short: "Print credentials in the credential_process format",
		Long: `Print PROFILE's credentials as the JSON that AWS SDKs and the AWS CLI read from a
credential_process. Add a profile to ~/.aws/config:

  [profile deploy]
  credential_process = vend credential-process deploy

The AWS CLI runs the process for every command, so vend keeps the credentials in a
private disk cache (mode 0600 files in a 0700 directory under your user cache
directory) and serves them from there while more than 16 minutes remain, so that the
AWS CLI never sees them inside its 15-minute refresh window. Sessions shorter than 20
minutes start inside that window: they are served while their lifetime less 4 minutes
remains, and never with 11 minutes or less. Errors go to stderr, which the AWS CLI
shows.`,
		Example: `  # ~/.aws/config
  [profile deploy]
  credential_process = vend credential-process deploy
  region = eu-west-1

  # then
  aws --profile deploy sts get-caller-identity

  # 30-minute credentials from a specific TVM
  credential_process = vend credential-process --duration 30m --remote-server https://ID.lambda-url.eu-west-1.on.aws deploy`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return status.Usagef("credential-process takes one profile\n\nExample (~/.aws/config):\n  credential_process = vend credential-process PROFILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Profile = args[0]
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return credentialProcessRun(opts)
		},
	}
	cmd.Flags().Var(&opts.Duration, "duration", "lifetime of the credentials, 15m to 1h (default: the TVM's)")
	cmd.Flags().BoolVar(&opts.NoCache, "no-cache", false, "always ask the TVM; neither read nor write the disk cache")
	return cmd
}

// EnvGuard is set in vend's own environment while credential-process loads the base
// credentials. Finding it already set means the base credentials come from a profile
// whose credential_process is vend itself, which would start vend again and again.
const EnvGuard = "VEND_CREDENTIAL_PROCESS_ACTIVE"

func credentialProcessRun(opts *CredentialProcessOptions) error {
	ctx := opts.Context
	if _, nested := os.LookupEnv(EnvGuard); nested {
		return errors.New("vend credential-process is calling itself: its base credentials come from a profile " +
			"whose credential_process is vend (check AWS_PROFILE); pass --base-profile with a profile that holds your own credentials")
	}
	if err := os.Setenv(EnvGuard, "1"); err != nil {
		return err
	}
	defer os.Unsetenv(EnvGuard)
	remote, err := opts.Connect(ctx, opts.Profile, opts.Duration)
	if err != nil {
		return err
	}
	provider := &tvmclient.Provider{Client: remote.Client, Profile: opts.Profile, Duration: time.Duration(remote.Settings.Duration)}
	if opts.NoCache {
		creds, err := provider.Retrieve(ctx)
		if err != nil {
			return err
		}
		return Write(opts.IO.Out, creds)
	}

	// The key includes the base access key so that switching identities (another SSO
	// login, another base profile) never serves the previous identity's credentials.
	base, err := remote.Base.Credentials.Retrieve(ctx)
	if err != nil {
		return &tvmclient.BaseCredentialsError{Err: err}
	}
	key := credcache.CacheKey(remote.Client.URL(), opts.Profile, base.AccessKeyID, strconv.Itoa(remote.Settings.Duration.Seconds()))
	cache := openCache(opts)
	if cache != nil {
		if creds, ok := cache.GetFresh(key); ok {
			return Write(opts.IO.Out, creds)
		}
	}
	creds, err := provider.Retrieve(ctx)
	if err != nil {
		return err
	}
	if cache != nil {
		if err := cache.Put(key, creds); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "vend: warning: cannot cache credentials: %v\n", err)
		}
	}
	return Write(opts.IO.Out, creds)
}

// openCache returns nil, after a warning, when the cache cannot be used: a broken cache
// must not stop the AWS CLI from working.
func openCache(opts *CredentialProcessOptions) *credcache.FileCache {
	dir, err := opts.CacheDir()
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "vend: warning: no cache directory, not caching: %v\n", err)
		return nil
	}
	cache, err := credcache.NewFileCache(dir)
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "vend: warning: not caching credentials: %v\n", err)
		return nil
	}
	return cache
}

// Output is the credential_process format. Version must be 1.
type Output struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
}

// Write prints creds in the credential_process format.
func Write(w io.Writer, creds aws.Credentials) error {
	return json.NewEncoder(w).Encode(Output{
		Version:         1,
		AccessKeyID:     creds.AccessKeyID,
		SecretAccessKey: creds.SecretAccessKey,
		SessionToken:    creds.SessionToken,
		Expiration:      creds.Expires.UTC().Format(time.RFC3339),
	})
}
