package tvm

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vend-tvm/vend/lambda/policy"
)

func TestRateKey(t *testing.T) {
	tests := []struct {
		arn, want string
	}{
		{"arn:aws:sts::111111111111:assumed-role/ci/job-1", "arn:aws:sts::111111111111:assumed-role/ci"},
		{"arn:aws-cn:sts::111111111111:assumed-role/ci/job-2", "arn:aws-cn:sts::111111111111:assumed-role/ci"},
		{"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Eng_0123456789abcdef/jane@example.com",
			"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Eng_0123456789abcdef"},
		{"arn:aws:sts::111111111111:federated-user/anything", "arn:aws:sts::111111111111:federated-user"},
		{"arn:aws:iam::111111111111:user/team/alice", "arn:aws:iam::111111111111:user/team/alice"},
		{"arn:aws:iam::111111111111:root", "arn:aws:iam::111111111111:root"},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			if got := rateKey(caller(t, tt.arn)); got != tt.want {
				t.Errorf("rateKey = %q, want %q", got, tt.want)
			}
		})
	}
}

// Regression: the limiter keyed on the full caller ARN, so a role session that took a
// new session name for every request never ran out of tokens.
func TestRateLimitSessionNamesShareTheRolesBucket(t *testing.T) {
	p, err := policy.Parse([]byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	const burst = 5
	now := time.Unix(1.8e9, 0)
	s := newService(t, &recAssumer{creds: goodCreds}, staticSource{p: p},
		WithRateLimit(0.001, burst), WithClock(func() time.Time { return now }))
	ctx := context.Background()

	tests := []struct {
		name, format string
	}{
		{"assumed-role", "arn:aws:sts::333333333333:assumed-role/ci/session-%d"},
		{"identity-center", "arn:aws:sts::333333333333:assumed-role/AWSReservedSSO_Eng_0123456789abcdef/user%d@example.com"},
		{"federated-user", "arn:aws:sts::333333333333:federated-user/name-%d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range burst {
				if _, err := s.Whoami(ctx, caller(t, fmt.Sprintf(tt.format, i))); err != nil {
					t.Fatalf("request %d within the burst: %v", i, err)
				}
			}
			_, err := s.Whoami(ctx, caller(t, fmt.Sprintf(tt.format, burst)))
			if !errors.Is(err, ErrRateLimited) {
				t.Fatalf("a fresh session name got a fresh bucket: %v", err)
			}
		})
	}

	// Other principals still have their own buckets.
	for _, arn := range []string{
		"arn:aws:sts::333333333333:assumed-role/deploy/session-0", // another role
		"arn:aws:sts::444444444444:assumed-role/ci/session-0",     // the same role name elsewhere
		"arn:aws:sts::444444444444:federated-user/name-0",         // federated users of another account
		"arn:aws:iam::333333333333:user/alice",
	} {
		if _, err := s.Whoami(ctx, caller(t, arn)); err != nil {
			t.Errorf("%s shares an exhausted bucket: %v", arn, err)
		}
	}
}
