package assume

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/vend-tvm/vend/lambda/tvm"
)

// Client defaults. Three attempts and a two-second attempt timeout keep a failing STS
// call under about eight seconds, inside a typical TVM Lambda timeout.
const (
	DefaultMaxAttempts    = 3
	DefaultAttemptTimeout = 2 * time.Second
	DefaultMaxBackoff     = time.Second
	// throttleRetryAfter is the hint given to callers when STS throttles.
	throttleRetryAfter = 2 * time.Second
)

// API is the part of the STS client the Assumer uses.
type API interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// Assumer implements tvm.Assumer on STS.
type Assumer struct {
	api API
}

var _ tvm.Assumer = (*Assumer)(nil)

// New returns an Assumer calling api, typically the client NewClient built.
func New(api API) *Assumer { return &Assumer{api: api} }

// AssumeRole calls sts:AssumeRole. Errors wrap tvm.ErrThrottled (with a retry hint),
// tvm.ErrTrustRefused or tvm.ErrSTS, and the SDK's error for the logs.
func (a *Assumer) AssumeRole(ctx context.Context, in tvm.AssumeInput) (tvm.Credentials, error) {
	input := &sts.AssumeRoleInput{
		RoleArn:         aws.String(in.RoleARN),
		RoleSessionName: aws.String(in.SessionName),
		DurationSeconds: aws.Int32(int32(in.Duration / time.Second)),
	}
	if in.SourceIdentity != "" {
		input.SourceIdentity = aws.String(in.SourceIdentity)
	}
	if in.Policy != "" {
		input.Policy = aws.String(in.Policy)
	}
	for _, a := range in.PolicyARNs {
		input.PolicyArns = append(input.PolicyArns, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
	}
	for _, t := range in.Tags {
		input.Tags = append(input.Tags, ststypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	out, err := a.api.AssumeRole(ctx, input)
	if err != nil {
		return tvm.Credentials{}, Classify(fmt.Errorf("assume role %s: %w", in.RoleARN, err))
	}
	if out == nil || out.Credentials == nil {
		return tvm.Credentials{}, fmt.Errorf("%w: assume role %s: no credentials in response", tvm.ErrSTS, in.RoleARN)
	}
	c := out.Credentials
	return tvm.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Expiration:      aws.ToTime(c.Expiration),
	}, nil
}

// throttleCodes are the API error codes that mean "slow down". STS uses Throttling; the
// rest are what the SDK's retryer treats as throttles, kept here so a proxy or a future
// STS change is still classified right.
var throttleCodes = map[string]bool{
	"Throttling":                true,
	"ThrottlingException":       true,
	"ThrottledException":        true,
	"RequestThrottledException": true,
	"TooManyRequestsException":  true,
	"RequestLimitExceeded":      true,
	"RequestThrottled":          true,
	"SlowDown":                  true,
	"LimitExceededException":    true,
}

// Classify maps an STS call's error to the core's kinds. It keeps err in the chain for
// logs; the handler shows the caller only the kind.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		switch {
		case throttleCodes[code]:
			return tvm.WithRetryAfter(fmt.Errorf("%w: %w", tvm.ErrThrottled, err), throttleRetryAfter)
		case code == "AccessDenied" || code == "AccessDeniedException":
			return fmt.Errorf("%w: %w", tvm.ErrTrustRefused, err)
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusTooManyRequests {
		return tvm.WithRetryAfter(fmt.Errorf("%w: %w", tvm.ErrThrottled, err), throttleRetryAfter)
	}
	// RegionDisabledException, ExpiredToken, MalformedPolicyDocument, timeouts, network
	// errors and anything unexpected.
	return fmt.Errorf("%w: %w", tvm.ErrSTS, err)
}

// ClientOption tunes NewClient.
type ClientOption func(*clientOptions)

type clientOptions struct {
	maxAttempts    int
	attemptTimeout time.Duration
	maxBackoff     time.Duration
	backoff        retry.BackoffDelayer
}

// WithMaxAttempts sets how many attempts one AssumeRole may make (default 3).
func WithMaxAttempts(n int) ClientOption {
	return func(o *clientOptions) {
		if n > 0 {
			o.maxAttempts = n
		}
	}
}

// WithAttemptTimeout bounds each HTTP attempt (default 2s).
func WithAttemptTimeout(d time.Duration) ClientOption {
	return func(o *clientOptions) {
		if d > 0 {
			o.attemptTimeout = d
		}
	}
}

// WithMaxBackoff bounds the delay between attempts (default 1s).
func WithMaxBackoff(d time.Duration) ClientOption {
	return func(o *clientOptions) {
		if d > 0 {
			o.maxBackoff = d
		}
	}
}

// WithBackoff replaces the retryer's backoff strategy; tests use it to retry at once.
func WithBackoff(b retry.BackoffDelayer) ClientOption {
	return func(o *clientOptions) { o.backoff = b }
}

// NewClient builds the STS client once per container from cfg (config.LoadDefaultConfig,
// which picks up AWS_REGION, AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL).
func NewClient(cfg aws.Config, opts ...ClientOption) *sts.Client {
	o := clientOptions{
		maxAttempts:    DefaultMaxAttempts,
		attemptTimeout: DefaultAttemptTimeout,
		maxBackoff:     DefaultMaxBackoff,
	}
	for _, fn := range opts {
		fn(&o)
	}
	return sts.NewFromConfig(cfg, func(so *sts.Options) {
		so.Retryer = retry.NewStandard(func(ro *retry.StandardOptions) {
			ro.MaxAttempts = o.maxAttempts
			ro.MaxBackoff = o.maxBackoff
			if o.backoff != nil {
				ro.Backoff = o.backoff
			}
		})
		so.RetryMaxAttempts = o.maxAttempts
		// http.Client.Timeout covers one round trip, i.e. one attempt.
		so.HTTPClient = awshttp.NewBuildableClient().WithTimeout(o.attemptTimeout)
	})
}
