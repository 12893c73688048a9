package iampolicy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// API is the part of the IAM client the publisher uses.
type API interface {
	CreatePolicyVersion(ctx context.Context, in *iam.CreatePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
	ListPolicyVersions(ctx context.Context, in *iam.ListPolicyVersionsInput, optFns ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error)
	DeletePolicyVersion(ctx context.Context, in *iam.DeletePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
}

// Publisher writes policy versions through one IAM client.
type Publisher struct{ iam API }

// New returns a publisher through client.
func New(client API) *Publisher { return &Publisher{iam: client} }

// maxAttempts bounds the create-or-make-room loop: IAM keeps at most five versions of a
// policy, and other TVM containers may be filling the room made at the same time.
const maxAttempts = 10

// ErrNoPolicy: the role has no revocation policy (or the TVM may not see it).
var ErrNoPolicy = errors.New("no revocation policy")

// Publish makes doc the default version of policyARN. When the policy has its five
// versions, every version but the default is deleted first (only the default denies
// anything); a version another container deleted meanwhile is no error. Between
// attempts it waits a few random milliseconds, so that writers racing for the room do
// not keep colliding.
func (p *Publisher) Publish(ctx context.Context, policyARN string, doc []byte) error {
	var err error
	for range maxAttempts {
		_, err = p.iam.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
			PolicyArn: aws.String(policyARN), PolicyDocument: aws.String(string(doc)), SetAsDefault: true,
		})
		var limit *types.LimitExceededException
		switch {
		case err == nil:
			return nil
		case errors.As(err, new(*types.NoSuchEntityException)):
			return fmt.Errorf("%w: %s: %w", ErrNoPolicy, policyARN, err)
		case !errors.As(err, &limit):
			return fmt.Errorf("create a version of %s: %w", policyARN, err)
		}
		if err := p.makeRoom(ctx, policyARN); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(5+rand.IntN(45)) * time.Millisecond):
		}
	}
	return fmt.Errorf("create a version of %s: %d attempts found no room: %w", policyARN, maxAttempts, err)
}

// makeRoom deletes the versions of policyARN that are not its default.
func (p *Publisher) makeRoom(ctx context.Context, policyARN string) error {
	out, err := p.iam.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(policyARN)})
	if err != nil {
		return fmt.Errorf("list the versions of %s: %w", policyARN, err)
	}
	old := slices.DeleteFunc(slices.Clone(out.Versions), func(v types.PolicyVersion) bool { return v.IsDefaultVersion || v.VersionId == nil })
	slices.SortFunc(old, func(a, b types.PolicyVersion) int { return versionNumber(a) - versionNumber(b) })
	for _, v := range old {
		_, err = p.iam.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: v.VersionId})
		if err != nil && !errors.As(err, new(*types.NoSuchEntityException)) && !errors.As(err, new(*types.DeleteConflictException)) {
			return fmt.Errorf("delete version %s of %s: %w", aws.ToString(v.VersionId), policyARN, err)
		}
	}
	return nil
}

// versionNumber is the number in IAM's version ID (v7 is 7), or 0.
func versionNumber(v types.PolicyVersion) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(aws.ToString(v.VersionId), "v"))
	return n
}
