package iampolicy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vend-tvm/vend/internal/testkit"
)

// workloadAccount is an account other than moto's default, the TVM's own in these tests.
const workloadAccount = "210987654321"

// TestAccountsPublishInEachAccount publishes, through the local AWS's real STS and IAM,
// to a policy in the TVM's own account and to one in another account: the first with
// the TVM's own credentials, the second as the writer role there (the local AWS acts in
// the account of the role a session belongs to), each landing in its own account.
func TestAccountsPublishInEachAccount(t *testing.T) {
	m := testkit.MotoForTest(t)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIAMPOLICYTEST000", "secret", ""),
		BaseEndpoint: aws.String(m.URL()),
	}
	stsClient := sts.NewFromConfig(cfg)
	own := iam.NewFromConfig(cfg)
	// The workload account's admin, as Terraform would create the policy there.
	admin := cfg.Copy()
	admin.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, "arn:aws:iam::"+workloadAccount+":role/OrganizationAccountAccessRole"))
	other := iam.NewFromConfig(admin)

	ownARN := createPolicy(t, own, "own")
	otherARN := createPolicy(t, other, "workload")
	if !strings.Contains(otherARN, ":"+workloadAccount+":") {
		t.Fatalf("policy made as the workload admin is %s, want one in %s", otherARN, workloadAccount)
	}
	var roles []string
	through := ThroughRole(cfg, stsClient)
	a, err := NewAccounts(CallerAccount(stsClient), own, "/vend/", func(role string) API {
		roles = append(roles, role)
		return through(role)
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		for _, p := range []string{ownARN, otherARN} {
			if err := a.Publish(ctx, p, []byte(doc(i))); err != nil {
				t.Fatalf("publish %d to %s: %v", i, p, err)
			}
		}
	}
	if got, _ := defaultDocument(t, own, ownARN); !strings.Contains(got, "VendRevocationsV2") {
		t.Errorf("own account's policy: %s", got)
	}
	if got, _ := defaultDocument(t, other, otherARN); !strings.Contains(got, "VendRevocationsV2") {
		t.Errorf("workload account's policy: %s", got)
	}
	if want := []string{"arn:aws:iam::" + workloadAccount + ":role/vend/vend-revocation-writer"}; !slices.Equal(roles, want) {
		t.Errorf("writer roles used = %v, want %v once (the client is kept per account)", roles, want)
	}
}

// fakeIAM records the policies it was asked to version.
type fakeIAM struct {
	API
	name      string
	published *[]string
}

func (f fakeIAM) CreatePolicyVersion(_ context.Context, in *iam.CreatePolicyVersionInput, _ ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error) {
	*f.published = append(*f.published, f.name+" "+aws.ToString(in.PolicyArn))
	return &iam.CreatePolicyVersionOutput{}, nil
}

// TestAccountsRouting: the own account is asked once it is needed and again only after a
// failure; a failure publishes nothing; policy ARNs without an IAM account are refused.
func TestAccountsRouting(t *testing.T) {
	var published []string
	asked := 0
	fail := true
	own := func(context.Context) (string, error) {
		asked++
		if fail {
			return "", errors.New("sts down")
		}
		return "123456789012", nil
	}
	a, err := NewAccounts(own, fakeIAM{name: "local", published: &published}, "/ops/vend/", func(role string) API {
		return fakeIAM{name: role, published: &published}
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.Publish(ctx, "arn:aws:iam::123456789012:policy/vend-revocation/r", nil); err == nil || !strings.Contains(err.Error(), "own account") {
		t.Fatalf("publish while STS fails: %v, want the own account's error", err)
	}
	fail = false
	for _, p := range []string{"arn:aws:iam::123456789012:policy/vend-revocation/r", "arn:aws-us-gov:iam::333333333333:policy/vend-revocation/r"} {
		if err := a.Publish(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"local arn:aws:iam::123456789012:policy/vend-revocation/r",
		"arn:aws-us-gov:iam::333333333333:role/ops/vend/vend-revocation-writer arn:aws-us-gov:iam::333333333333:policy/vend-revocation/r",
	}
	if !slices.Equal(published, want) || asked != 2 {
		t.Errorf("published %q after asking STS %d times, want %q after 2", published, asked, want)
	}
	for _, bad := range []string{"", "arn:aws:sns:us-east-1:123456789012:topic", "arn:aws:iam:::policy/x"} {
		if err := a.Publish(ctx, bad, nil); err == nil {
			t.Errorf("publish to %q: no error", bad)
		}
	}
	if _, err := NewAccounts(own, nil, "vend", nil); err == nil {
		t.Error("a writer path without slashes was accepted")
	}
}
