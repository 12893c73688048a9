package credentialprocess

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
)

// CredentialProcessOptions are the dependencies and flags of `vend credential-process`.
type CredentialProcessOptions struct {
	IO      *iostreams.IOStreams
	Vend    func(ctx context.Context, profile string, vf factory.VendFlags) (*factory.Vended, error)
	Context context.Context

	Profile string
	factory.VendFlags
}

// NewCmdCredentialProcess returns the credential-process command. runF, when set,
// replaces credentialProcessRun (tests).
func NewCmdCredentialProcess(f *factory.Factory, runF func(*CredentialProcessOptions) error) *cobra.Command {
	opts := &CredentialProcessOptions{IO: f.IOStreams, Vend: f.Vend}
	cmd := &cobra.Command{
		Use:   "credential-process [flags] PROFILE",
		Short: "Print credentials in the credential_process format",
		Long: `Print PROFILE's credentials as the JSON that AWS SDKs and the AWS CLI read from a
credential_process. Add a profile to ~/.aws/config:

  [profile deploy]
  credential_process = vend credential-process deploy

The AWS CLI runs the process for every command, so a run that finds fresh credentials
in vend's disk cache answers from there without loading your AWS configuration or
calling the TVM; the AWS CLI thus never sees credentials inside its 15-minute refresh
window. Errors go to stderr, which the AWS CLI shows.

` + factory.CacheHelp,
		Example: `  # ~/.aws/config
  [profile deploy]
  credential_process = vend credential-process deploy
  region = eu-west-1

  # then
  aws --profile deploy sts get-caller-identity

  # 30-minute credentials from a specific TVM
  credential_process = vend credential-process --duration 30m --remote-server https://ID.lambda-url.eu-west-1.on.aws deploy

  # A CI profile narrowed to what the job needs (the path must be absolute here)
  credential_process = vend credential-process --scope /etc/ci/deploy-scope.json deploy`,
		Args: output.OneProfile("credential-process", "Example (~/.aws/config):\n  credential_process = vend credential-process PROFILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Profile = args[0]
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return credentialProcessRun(opts)
		},
	}
	opts.VendFlags.Register(cmd.Flags(), factory.OneSet)
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
	v, err := opts.Vend(ctx, opts.Profile, opts.VendFlags)
	if err != nil {
		return err
	}
	return Write(opts.IO.Out, v.Credentials)
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
