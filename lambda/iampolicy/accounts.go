package iampolicy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vend-tvm/vend/internal/arn"
	"github.com/vend-tvm/vend/internal/revocation"
)

// Accounts publishes each policy through the IAM of the policy's account: the TVM's
// own credentials for its own account, and the writer role of any other account.
type Accounts struct {
	own        func(ctx context.Context) (string, error)
	local      *Publisher
	writerPath string
	through    func(roleARN string) API

	mu        sync.Mutex
	ownID     string
	byAccount map[string]*Publisher
}

// NewAccounts routes publishes. ownAccount tells the account of the TVM's credentials
// (it is asked once, at the first publish that needs it, and again only after it
// failed); local publishes there; writerPath is the IAM path of the writer role in the
// other accounts (such as /vend/); through returns an IAM client acting as a role.
func NewAccounts(ownAccount func(ctx context.Context) (string, error), local API, writerPath string, through func(roleARN string) API) (*Accounts, error) {
	if !strings.HasPrefix(writerPath, "/") || !strings.HasSuffix(writerPath, "/") {
		return nil, fmt.Errorf("the revocation writer's role path %q must start and end with /", writerPath)
	}
	return &Accounts{own: ownAccount, local: New(local), writerPath: writerPath, through: through, byAccount: map[string]*Publisher{}}, nil
}

// WriterRoleARN is the writer role of account in partition under path.
func WriterRoleARN(partition, account, path string) string {
	return "arn:" + partition + ":iam::" + account + ":role" + path + revocation.WriterRoleName
}

// Publish makes doc the default version of policyARN through the IAM of its account.
func (a *Accounts) Publish(ctx context.Context, policyARN string, doc []byte) error {
	p, err := a.publisher(ctx, policyARN)
	if err != nil {
		return err
	}
	return p.Publish(ctx, policyARN, doc)
}

func (a *Accounts) publisher(ctx context.Context, policyARN string) (*Publisher, error) {
	target, err := arn.Parse(policyARN)
	if err != nil || target.Service != "iam" || target.AccountID == "" {
		return nil, fmt.Errorf("revocation policy %q is not an IAM policy ARN with an account", policyARN)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ownID == "" {
		id, err := a.own(ctx)
		if err != nil {
			return nil, fmt.Errorf("learn the TVM's own account: %w", err)
		}
		if !arn.ValidAccountID(id) {
			return nil, errors.New("learn the TVM's own account: STS answered no account ID")
		}
		a.ownID = id
	}
	if target.AccountID == a.ownID {
		return a.local, nil
	}
	p, ok := a.byAccount[target.AccountID]
	if !ok {
		p = New(a.through(WriterRoleARN(target.Partition, target.AccountID, a.writerPath)))
		a.byAccount[target.AccountID] = p
	}
	return p, nil
}

// SessionName is the RoleSessionName of the TVM's sessions in writer roles, so that
// CloudTrail shows what they are for.
const SessionName = "vend-revocation"

// ThroughRole returns IAM clients with cfg's settings acting as a role, with
// credentials stsClient gets and refreshes before they expire.
func ThroughRole(cfg aws.Config, stsClient stscreds.AssumeRoleAPIClient) func(roleARN string) API {
	return func(roleARN string) API {
		c := cfg.Copy()
		c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = SessionName
		}))
		return iam.NewFromConfig(c)
	}
}

// CallerAccount returns the account of stsClient's credentials.
func CallerAccount(stsClient *sts.Client) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		out, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Account), nil
	}
}
