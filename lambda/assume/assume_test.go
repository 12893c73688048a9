package assume

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/vend-tvm/vend/lambda/internal/motoserver"
	"github.com/vend-tvm/vend/lambda/tvm"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		code      string
		want      error
		wantRetry bool
	}{
		{"Throttling", tvm.ErrThrottled, true},
		{"ThrottlingException", tvm.ErrThrottled, true},
		{"RequestLimitExceeded", tvm.ErrThrottled, true},
		{"TooManyRequestsException", tvm.ErrThrottled, true},
		{"AccessDenied", tvm.ErrTrustRefused, false},
		{"RegionDisabledException", tvm.ErrSTS, false},
		{"ExpiredToken", tvm.ErrSTS, false},
		{"MalformedPolicyDocument", tvm.ErrSTS, false},
		{"", tvm.ErrSTS, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			src := &smithy.GenericAPIError{Code: tt.code, Message: "secret-looking STS text"}
			err := Classify(fmt.Errorf("assume role: %w", src))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Classify(%s) = %v, want %v", tt.code, err, tt.want)
			}
			if !errors.Is(err, src) {
				t.Errorf("the SDK error is not kept for the logs")
			}
			if got := tvm.RetryAfter(err, 0) > 0; got != tt.wantRetry {
				t.Errorf("retry hint = %v, want %v", got, tt.wantRetry)
			}
		})
	}
	t.Run("plain error", func(t *testing.T) {
		if err := Classify(context.DeadlineExceeded); !errors.Is(err, tvm.ErrSTS) {
			t.Errorf("Classify(deadline) = %v", err)
		}
	})
	t.Run("nil", func(t *testing.T) {
		if Classify(nil) != nil {
			t.Error("Classify(nil) != nil")
		}
	})
}

type fakeAPI struct {
	got *sts.AssumeRoleInput
	out *sts.AssumeRoleOutput
	err error
}

func (f *fakeAPI) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.got = in
	return f.out, f.err
}

func TestAssumeRoleInput(t *testing.T) {
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	api := &fakeAPI{out: &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("ASIAFAKE"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &exp,
	}}}
	in := tvm.AssumeInput{
		RoleARN: "arn:aws:iam::123456789012:role/deploy", SessionName: "vend-alice-0123456789abcdef",
		SourceIdentity: "vend-alice-0123456789abcdef", Duration: 15 * time.Minute,
		Tags: []tvm.Tag{{Key: "vend-profile", Value: "deploy"}},
	}
	creds, err := New(api).AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "ASIAFAKE" || creds.SecretAccessKey != "s" || creds.SessionToken != "t" || !creds.Expiration.Equal(exp) {
		t.Errorf("credentials = %#v", creds)
	}
	g := api.got
	if aws.ToString(g.RoleArn) != in.RoleARN || aws.ToString(g.RoleSessionName) != in.SessionName ||
		aws.ToString(g.SourceIdentity) != in.SourceIdentity || aws.ToInt32(g.DurationSeconds) != 900 {
		t.Errorf("input = %+v", g)
	}
	if len(g.Tags) != 1 || aws.ToString(g.Tags[0].Key) != "vend-profile" || aws.ToString(g.Tags[0].Value) != "deploy" {
		t.Errorf("tags = %+v", g.Tags)
	}
	if g.Policy != nil || g.PolicyArns != nil {
		t.Errorf("session policies without any asked: %v %v", g.Policy, g.PolicyArns)
	}

	t.Run("session policies", func(t *testing.T) {
		scoped := in
		scoped.Policy = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`
		scoped.PolicyARNs = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/p"}
		if _, err := New(api).AssumeRole(context.Background(), scoped); err != nil {
			t.Fatal(err)
		}
		g := api.got
		if aws.ToString(g.Policy) != scoped.Policy || len(g.PolicyArns) != 2 ||
			aws.ToString(g.PolicyArns[0].Arn) != scoped.PolicyARNs[0] || aws.ToString(g.PolicyArns[1].Arn) != scoped.PolicyARNs[1] {
			t.Errorf("Policy %q, PolicyArns %+v", aws.ToString(g.Policy), g.PolicyArns)
		}
	})

	t.Run("no credentials", func(t *testing.T) {
		_, err := New(&fakeAPI{out: &sts.AssumeRoleOutput{}}).AssumeRole(context.Background(), in)
		if !errors.Is(err, tvm.ErrSTS) {
			t.Errorf("err = %v", err)
		}
	})
}

// newTestClient builds the production client pointed at url through the SDK's own
// endpoint variable, with static credentials and instant retries.
func newTestClient(t *testing.T, url string, opts ...ClientOption) *sts.Client {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_STS", url)
	t.Setenv("AWS_REGION", "us-east-1")
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")))
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]ClientOption{WithBackoff(retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
		return time.Millisecond, nil
	}))}, opts...)
	return NewClient(cfg, opts...)
}

const stsErrorXML = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>%s</Code><Message>User: arn:aws:sts::123456789012:assumed-role/tvm/x is not authorized</Message></Error>
  <RequestId>4f2c8f1e-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>`

// TestClientAgainstFailingSTS checks classification and the retry policy through the
// real SDK stack (serialisation, retryer, error parsing) against a local fake STS.
func TestClientAgainstFailingSTS(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		code         string
		want         error
		wantAttempts int32
	}{
		{"throttled is retried then classified", 400, "Throttling", tvm.ErrThrottled, 3},
		{"access denied is not retried", 403, "AccessDenied", tvm.ErrTrustRefused, 1},
		{"region disabled", 403, "RegionDisabledException", tvm.ErrSTS, 1},
		{"expired token", 400, "ExpiredToken", tvm.ErrSTS, 1},
		{"server error is retried", 500, "InternalFailure", tvm.ErrSTS, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var attempts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				attempts.Add(1)
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, stsErrorXML, tt.code)
			}))
			defer srv.Close()
			a := New(newTestClient(t, srv.URL))
			_, err := a.AssumeRole(context.Background(), tvm.AssumeInput{
				RoleARN: "arn:aws:iam::123456789012:role/deploy", SessionName: "vend-x-0123456789abcdef", Duration: time.Hour,
			})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := attempts.Load(); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
		})
	}

	t.Run("slow sts is bounded by the attempt timeout", func(t *testing.T) {
		var attempts atomic.Int32
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			attempts.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		a := New(newTestClient(t, srv.URL, WithAttemptTimeout(50*time.Millisecond)))
		_, err := a.AssumeRole(context.Background(), tvm.AssumeInput{RoleARN: "arn:aws:iam::123456789012:role/deploy", SessionName: "vend-x", Duration: time.Hour})
		if !errors.Is(err, tvm.ErrSTS) {
			t.Fatalf("err = %v, want ErrSTS", err)
		}
		if got := attempts.Load(); got != DefaultMaxAttempts {
			t.Errorf("attempts = %d, want %d", got, DefaultMaxAttempts)
		}
	})
}

// TestAssumeRoleMoto vends real (emulated) credentials from moto_server.
func TestAssumeRoleMoto(t *testing.T) {
	base := motoserver.Start(t)
	roleARN := motoserver.CreateRole(t, base, "vend-test-deploy")
	a := New(newTestClient(t, base))
	before := time.Now()
	creds, err := a.AssumeRole(context.Background(), tvm.AssumeInput{
		RoleARN:        roleARN,
		SessionName:    "vend-alice-0123456789abcdef",
		SourceIdentity: "vend-alice-0123456789abcdef",
		Duration:       900 * time.Second,
		Tags:           []tvm.Tag{{Key: tvm.TagProfile, Value: "deploy"}, {Key: tvm.TagRule, Value: "ops"}},
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SecretAccessKey == "" || creds.SessionToken == "" {
		t.Errorf("credentials = %#v", creds)
	}
	if d := creds.Expiration.Sub(before); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("expiration %s is not ~15 minutes away", creds.Expiration)
	}
	if s := fmt.Sprint(creds) + fmt.Sprintf("%#v", creds); strings.Contains(s, creds.SecretAccessKey) || strings.Contains(s, creds.SessionToken) {
		t.Errorf("formatting leaks a secret: %s", s)
	}
}
