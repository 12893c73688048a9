package tvmclient

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// Source is the credentials source name vend puts in aws.Credentials; GrantSource marks
// credentials an approved request's grant allowed, which are never cached on disk.
const (
	Source      = "vend"
	GrantSource = "vend-grant"
)

// Provider is an aws.CredentialsProvider that asks the TVM for one vend profile.
type Provider struct {
	Client *Client
	Request
}

// Retrieve implements aws.CredentialsProvider.
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.Client.Credentials(ctx, p.Request)
	if err != nil {
		return aws.Credentials{}, err
	}
	src := Source
	if c.AccessRequestID != "" {
		src = GrantSource
	}
	return aws.Credentials{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.Token,
		Source:          src,
		CanExpire:       true,
		Expires:         c.Expiration,
		AccountID:       c.AccountID,
	}, nil
}

// LoadBase loads the caller's own AWS configuration through the SDK's default chain
// (environment, shared config and credentials files, SSO, process, IMDS...). A non-empty
// profile selects a shared-config profile, like AWS_PROFILE does.
func LoadBase(ctx context.Context, profile string) (aws.Config, error) {
	// The SDK's own warnings (such as falling back to IMDSv1 off EC2) would come before,
	// and say less than, vend's error.
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithLogger(logging.Nop{})}
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, &BaseCredentialsError{Err: err}
	}
	return cfg, nil
}

// Primed returns a provider whose first Retrieve answers creds, fetched already, and
// whose later calls go to src. It lets a command fetch once up front (to report a denial
// before doing anything else) and hand the same credentials to a cache without a
// second round trip.
func Primed(creds aws.Credentials, src aws.CredentialsProvider) aws.CredentialsProvider {
	return &primed{first: &creds, src: src}
}

type primed struct {
	mu    sync.Mutex
	first *aws.Credentials
	src   aws.CredentialsProvider
}

func (p *primed) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	first := p.first
	p.first = nil
	p.mu.Unlock()
	if first != nil {
		return *first, nil
	}
	return p.src.Retrieve(ctx)
}
