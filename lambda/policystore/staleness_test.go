package policystore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/vend-tvm/vend/lambda/policy"
)

// sdkError wraps apiErr the way the SDK returns it from GetParameter: an operation error
// around an HTTP response error carrying the status.
func sdkError(status int, apiErr error) error {
	return &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameter", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: apiErr},
		RequestID:     "req-1",
	}}
}

// SDK-shaped errors, as SSM answers them.
var (
	errThrottled     = sdkError(400, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded", Fault: smithy.FaultClient})
	errServer        = sdkError(500, &ssmtypes.InternalServerError{Message: aws.String("internal failure")})
	errNetwork       = &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameter", Err: &smithyhttp.RequestSendError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}}
	errTimeout       = fmt.Errorf("operation error SSM: GetParameter: %w", context.DeadlineExceeded)
	errNotFound      = sdkError(400, &ssmtypes.ParameterNotFound{})
	errAccessDenied  = sdkError(400, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User: arn:aws:sts::111111111111:assumed-role/vend-tvm/vend-tvm is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:eu-west-1:111111111111:parameter/vend/policy", Fault: smithy.FaultClient})
	errKMSViaDenied  = sdkError(400, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User: arn:aws:sts::111111111111:assumed-role/vend-tvm/vend-tvm is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:111111111111:key/1234 (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)", Fault: smithy.FaultClient})
	errKMSCode       = sdkError(400, &smithy.GenericAPIError{Code: "KMS.AccessDeniedException", Message: "denied", Fault: smithy.FaultClient})
	errKMSKeyID      = sdkError(400, &ssmtypes.InvalidKeyId{})
	errOtherRejected = sdkError(400, &smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Fault: smithy.FaultClient})
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		reason     string
		definitive bool
	}{
		{"throttling", errThrottled, ReasonThrottled, false},
		{"unmodeled 429", sdkError(429, &smithy.GenericAPIError{Code: "Unknown"}), ReasonThrottled, false},
		{"server error", errServer, ReasonServerError, false},
		{"bad gateway", sdkError(502, &smithy.GenericAPIError{Code: "Unknown"}), ReasonServerError, false},
		{"request timeout code", sdkError(400, &smithy.GenericAPIError{Code: "RequestTimeout"}), ReasonTimeout, false},
		{"deadline", errTimeout, ReasonTimeout, false},
		{"network", errNetwork, ReasonNetwork, false},
		{"plain error", errors.New("ssm: connection refused"), ReasonNetwork, false},
		{"parameter not found", errNotFound, ReasonNotFound, true},
		{"version not found", sdkError(400, &ssmtypes.ParameterVersionNotFound{}), ReasonNotFound, true},
		{"access denied", errAccessDenied, ReasonAccessDenied, true},
		{"kms access denied through ssm", errKMSViaDenied, ReasonKMSDenied, true},
		{"kms code", errKMSCode, ReasonKMSDenied, true},
		{"kms code without dot", sdkError(400, &smithy.GenericAPIError{Code: "KMSAccessDeniedException"}), ReasonKMSDenied, true},
		{"invalid key id", errKMSKeyID, ReasonKMSDenied, true},
		{"other client error", errOtherRejected, ReasonRejected, true},
		{"no value", errNoValue, ReasonRejected, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, definitive := classify(tt.err)
			if reason != tt.reason || definitive != tt.definitive {
				t.Errorf("classify(%v) = %s, %t; want %s, %t", tt.err, reason, definitive, tt.reason, tt.definitive)
			}
		})
	}
}

// logLine returns the first JSON log line with msg, or nil.
func logLine(t *testing.T, logs, msg string) map[string]any {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
			return m
		}
	}
	return nil
}

// TestSSMStaleness walks a source through outages: each step sets SSM's answer, moves
// the clock and checks what Policy returns, how often SSM was asked and what was logged.
func TestSSMStaleness(t *testing.T) {
	ctx := context.Background()
	const ttl, maxStale = time.Minute, 15 * time.Minute
	type step struct {
		value      string
		err        error
		advance    time.Duration
		wantHash   string // "" means a refusal wrapping ErrUnavailable is expected
		wantReason string // with a refusal
		wantCalls  int32
		wantLog    string            // a line that must be logged
		wantLevel  string            // its level
		wantFields map[string]string // and some of its fields
	}
	hashA, hashB := hashOf(t, policyA), hashOf(t, policyB)
	definitive := func(name string, err error, reason string) struct {
		name  string
		steps []step
	} {
		return struct {
			name  string
			steps []step
		}{name: name, steps: []step{
			{value: policyA, wantHash: hashA, wantCalls: 1, wantLog: "policy_loaded"},
			// Before the TTL passes, the cached policy is served: SSM is not asked.
			{err: err, advance: 30 * time.Second, wantHash: hashA, wantCalls: 1},
			// At the next refresh the source fails closed.
			{err: err, advance: 31 * time.Second, wantReason: reason, wantCalls: 2, wantLog: "policy_unavailable", wantLevel: "ERROR",
				wantFields: map[string]string{"reason": reason, "parameter": "/vend/policy", "dropped_policy_hash": hashA}},
			// Refusals are cached for the retry interval too.
			{err: err, advance: time.Second, wantReason: reason, wantCalls: 2},
			// A transient error afterwards does not bring the dropped policy back.
			{err: errThrottled, advance: 5 * time.Second, wantReason: reason, wantCalls: 3, wantLog: "policy_unavailable",
				wantFields: map[string]string{"reason": reason, "cause": ReasonThrottled}},
			// The parameter comes back (or access is restored): serving again.
			{value: policyB, advance: 5 * time.Second, wantHash: hashB, wantCalls: 4, wantLog: "policy_recovered", wantLevel: "INFO"},
			{value: policyB, advance: 30 * time.Second, wantHash: hashB, wantCalls: 4},
		}}
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "throttling within the bound serves the old policy",
			steps: []step{
				{value: policyA, wantHash: hashA, wantCalls: 1, wantLog: "policy_loaded"},
				{err: errThrottled, advance: time.Minute, wantHash: hashA, wantCalls: 2, wantLog: "policy_stale", wantLevel: "WARN",
					wantFields: map[string]string{"reason": ReasonThrottled, "age": "1m0s", "max_staleness": "15m0s", "policy_hash": hashA}},
				// Within the retry interval: served from the cache, nothing logged.
				{err: errThrottled, advance: 2 * time.Second, wantHash: hashA, wantCalls: 2},
				{err: errServer, advance: 3 * time.Second, wantHash: hashA, wantCalls: 3, wantLog: "policy_stale",
					wantFields: map[string]string{"reason": ReasonServerError, "age": "1m5s"}},
				{err: errNetwork, advance: 10 * time.Minute, wantHash: hashA, wantCalls: 4, wantLog: "policy_stale",
					wantFields: map[string]string{"reason": ReasonNetwork, "age": "11m5s"}},
				{value: policyA, advance: 5 * time.Second, wantHash: hashA, wantCalls: 5, wantLog: "policy_recovered"},
			},
		},
		{
			name: "throttling past the bound refuses",
			steps: []step{
				{value: policyA, wantHash: hashA, wantCalls: 1, wantLog: "policy_loaded"},
				{err: errThrottled, advance: time.Minute, wantHash: hashA, wantCalls: 2, wantLog: "policy_stale"},
				{err: errTimeout, advance: 13*time.Minute + 58*time.Second, wantHash: hashA, wantCalls: 3, wantLog: "policy_stale",
					wantFields: map[string]string{"reason": ReasonTimeout, "age": "14m58s"}},
				// The retry is due at the bound (15m after the last read), not 5s later.
				{err: errThrottled, advance: time.Second, wantHash: hashA, wantCalls: 3},
				{err: errThrottled, advance: time.Second, wantReason: ReasonStale, wantCalls: 4, wantLog: "policy_unavailable", wantLevel: "ERROR",
					wantFields: map[string]string{"reason": ReasonStale, "cause": ReasonThrottled, "age": "15m0s", "age_seconds": "900", "dropped_policy_hash": hashA}},
				{err: errThrottled, advance: time.Second, wantReason: ReasonStale, wantCalls: 4},
				{err: errThrottled, advance: 5 * time.Second, wantReason: ReasonStale, wantCalls: 5, wantLog: "policy_unavailable"},
				{value: policyA, advance: 5 * time.Second, wantHash: hashA, wantCalls: 6, wantLog: "policy_recovered",
					wantFields: map[string]string{"policy_hash": hashA, "since_last_read": "15m11s"}},
			},
		},
		definitive("parameter not found refuses after the ttl", errNotFound, ReasonNotFound),
		definitive("access denied refuses after the ttl", errAccessDenied, ReasonAccessDenied),
		definitive("kms denial refuses after the ttl", errKMSViaDenied, ReasonKMSDenied),
		definitive("invalid key id refuses after the ttl", errKMSKeyID, ReasonKMSDenied),
		{
			name: "a definitive error during an outage refuses at once",
			steps: []step{
				{value: policyA, wantHash: hashA, wantCalls: 1, wantLog: "policy_loaded"},
				{err: errThrottled, advance: time.Minute, wantHash: hashA, wantCalls: 2, wantLog: "policy_stale"},
				{err: errNotFound, advance: 5 * time.Second, wantReason: ReasonNotFound, wantCalls: 3, wantLog: "policy_unavailable"},
			},
		},
		{
			name: "a definitive error at cold start is cached for the retry interval",
			steps: []step{
				{err: errAccessDenied, wantReason: ReasonAccessDenied, wantCalls: 1, wantLog: "policy_unavailable", wantLevel: "ERROR"},
				{err: errAccessDenied, advance: time.Second, wantReason: ReasonAccessDenied, wantCalls: 1},
				{value: policyA, advance: 5 * time.Second, wantHash: hashA, wantCalls: 2, wantLog: "policy_loaded"},
			},
		},
		{
			name: "a transient error at cold start is asked again at once",
			steps: []step{
				{err: errThrottled, wantReason: ReasonThrottled, wantCalls: 1, wantLog: "policy_unavailable", wantLevel: "ERROR",
					wantFields: map[string]string{"reason": ReasonThrottled}},
				{err: errThrottled, wantReason: ReasonThrottled, wantCalls: 2, wantLog: "policy_unavailable"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSSM{}
			clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			var logs bytes.Buffer
			src := SSM(api, "/vend/policy", ttl, WithMaxStaleness(maxStale), WithClock(clk.now),
				WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			for i, s := range tt.steps {
				api.set(s.value, s.err)
				clk.advance(s.advance)
				logs.Reset()
				p, err := src.Policy(ctx)
				if s.wantHash != "" {
					if err != nil || p == nil || p.Hash() != s.wantHash {
						t.Fatalf("step %d: Policy() = %v, %v; want hash %s", i, p, err, s.wantHash)
					}
				} else {
					var uerr *UnavailableError
					if p != nil || !errors.Is(err, ErrUnavailable) || !errors.As(err, &uerr) || uerr.Reason != s.wantReason {
						t.Fatalf("step %d: Policy() = %v, %v; want a refusal for %s", i, p, err, s.wantReason)
					}
					if errors.Is(err, policy.ErrInvalid) || !strings.Contains(err.Error(), "/vend/policy") {
						t.Errorf("step %d: error %q must name the parameter and not claim an invalid policy", i, err)
					}
				}
				if got := api.calls.Load(); got != s.wantCalls {
					t.Errorf("step %d: GetParameter calls = %d, want %d", i, got, s.wantCalls)
				}
				if s.wantLog == "" {
					if logs.Len() > 0 {
						t.Errorf("step %d: logged %s", i, logs.String())
					}
					continue
				}
				line := logLine(t, logs.String(), s.wantLog)
				if line == nil {
					t.Fatalf("step %d: log %q missing in %s", i, s.wantLog, logs.String())
				}
				if s.wantLevel != "" && line["level"] != s.wantLevel {
					t.Errorf("step %d: %s logged at %v, want %s", i, s.wantLog, line["level"], s.wantLevel)
				}
				for k, v := range s.wantFields {
					if got := fmt.Sprint(line[k]); got != v {
						t.Errorf("step %d: %s %s = %q, want %q", i, s.wantLog, k, got, v)
					}
				}
			}
		})
	}
}

func TestSSMMaxStaleness(t *testing.T) {
	tests := []struct {
		name string
		ttl  time.Duration
		opt  time.Duration
		want time.Duration
	}{
		{"zero is not forever", time.Minute, 0, DefaultMaxStaleness},
		{"negative is not forever", time.Minute, -time.Hour, DefaultMaxStaleness},
		{"set", time.Minute, time.Hour, time.Hour},
		{"never below the ttl", 30 * time.Minute, 0, 30 * time.Minute},
		{"never below the ttl when set", time.Hour, 5 * time.Minute, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SSM(&fakeSSM{}, "/p", tt.ttl, WithMaxStaleness(tt.opt)).maxStale; got != tt.want {
				t.Errorf("maxStale = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestSSMMaxStalenessEqualsTTL pins the strictest setting: no stale serving at all.
func TestSSMMaxStalenessEqualsTTL(t *testing.T) {
	api := &fakeSSM{value: policyA}
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	src := SSM(api, "/vend/policy", time.Minute, WithMaxStaleness(time.Minute), WithClock(clk.now), WithLogger(slog.New(slog.DiscardHandler)))
	if _, err := src.Policy(context.Background()); err != nil {
		t.Fatal(err)
	}
	api.set("", errThrottled)
	clk.advance(time.Minute)
	if p, err := src.Policy(context.Background()); p != nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Policy() = %v, %v; want a refusal", p, err)
	}
}

// testMotoDeleted deletes the parameter behind a loaded policy on moto_server, through
// the real SDK: past the TTL the source refuses as not_found, and recovers when the
// parameter is back. TestSSMMoto runs it on its server.
func testMotoDeleted(t *testing.T, client *ssm.Client) {
	const name = "/vend/deleted"
	put := func(t *testing.T) {
		t.Helper()
		if _, err := client.PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(policyA), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true),
		}); err != nil {
			t.Fatalf("PutParameter: %v", err)
		}
	}
	put(t)
	clk := &clock{t: time.Now()}
	var logs bytes.Buffer
	src := SSM(client, name, time.Second, WithClock(clk.now), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	if p, err := src.Policy(context.Background()); err != nil || p.Hash() != hashOf(t, policyA) {
		t.Fatalf("Policy() = %v, %v", p, err)
	}
	if _, err := client.DeleteParameter(context.Background(), &ssm.DeleteParameterInput{Name: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	// Within the TTL the cached policy still answers; SSM is not asked.
	if p, err := src.Policy(context.Background()); err != nil || p == nil {
		t.Fatalf("within the ttl: %v, %v", p, err)
	}
	clk.advance(2 * time.Second)
	p, err := src.Policy(context.Background())
	var uerr *UnavailableError
	if p != nil || !errors.As(err, &uerr) || uerr.Reason != ReasonNotFound {
		t.Fatalf("after the deletion: Policy() = %v, %v; want a not_found refusal", p, err)
	}
	if line := logLine(t, logs.String(), "policy_unavailable"); line == nil || line["reason"] != ReasonNotFound || line["parameter"] != name {
		t.Errorf("no policy_unavailable line naming the parameter and not_found:\n%s", logs.String())
	}
	put(t)
	clk.advance(6 * time.Second)
	if p, err := src.Policy(context.Background()); err != nil || p.Hash() != hashOf(t, policyA) {
		t.Fatalf("after the parameter came back: %v, %v", p, err)
	}
}
