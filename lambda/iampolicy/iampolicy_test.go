package iampolicy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/vend-tvm/vend/internal/testkit"
)

func newIAM(t *testing.T) *iam.Client {
	t.Helper()
	m := testkit.MotoForTest(t)
	return iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIAMPOLICYTEST000", "secret", ""),
		BaseEndpoint: aws.String(m.URL()),
	})
}

func createPolicy(t *testing.T, c *iam.Client, name string) string {
	t.Helper()
	out, err := c.CreatePolicy(context.Background(), &iam.CreatePolicyInput{
		PolicyName: aws.String(name), Path: aws.String("/vend-revocation/"), PolicyDocument: aws.String(doc(0)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Policy.Arn)
}

func doc(n int) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"VendRevocationsV%d","Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2000-01-01T00:00:00Z"}}}]}`, n)
}

// defaultDocument reads the default version's document as IAM returns it.
func defaultDocument(t *testing.T, c *iam.Client, arn string) (string, int) {
	t.Helper()
	ctx := context.Background()
	p, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		t.Fatal(err)
	}
	d, err := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return d, len(vs.Versions)
}

// TestPublishBeyondFiveVersions publishes more versions than IAM keeps: each becomes the
// default, and the oldest are deleted to make room.
func TestPublishBeyondFiveVersions(t *testing.T) {
	c := newIAM(t)
	arn := createPolicy(t, c, "admin")
	p := New(c)
	for i := 1; i <= 8; i++ {
		if err := p.Publish(context.Background(), arn, []byte(doc(i))); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		got, n := defaultDocument(t, c, arn)
		if !strings.Contains(got, fmt.Sprintf("VendRevocationsV%d", i)) || n > 5 {
			t.Fatalf("after publish %d: %d versions, default %s", i, n, got)
		}
	}
}

// TestPublishConcurrently has several writers racing for room: every one succeeds.
func TestPublishConcurrently(t *testing.T) {
	c := newIAM(t)
	arn := createPolicy(t, c, "admin")
	p := New(c)
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() { errs <- p.Publish(context.Background(), arn, []byte(doc(i+1))) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if _, n := defaultDocument(t, c, arn); n > 5 {
		t.Errorf("%d versions", n)
	}
}

func TestPublishWithoutAPolicy(t *testing.T) {
	c := newIAM(t)
	err := New(c).Publish(context.Background(), "arn:aws:iam::123456789012:policy/vend-revocation/none", []byte(doc(1)))
	if !errors.Is(err, ErrNoPolicy) {
		t.Fatalf("Publish to no policy: %v, want ErrNoPolicy", err)
	}
}
