package tvm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policy"
)

const testPolicy = `version: 1
profiles:
  short:
    role_arn: arn:aws:iam::111111111111:role/short
    max_duration: 15m
  long:
    role_arn: arn:aws:iam::222222222222:role/long
  admin:
    role_arn: arn:aws:iam::111111111111:role/admin
rules:
  - name: no-admin
    effect: deny
    principals: ["*"]
    profiles: [admin]
    reason: never
  - name: users
    effect: allow
    principals: ["arn:aws:iam::333333333333:user/*"]
    profiles: ["*"]
`

type staticSource struct {
	p   *policy.Policy
	err error
}

func (s staticSource) Policy(context.Context) (*policy.Policy, error) { return s.p, s.err }

type recAssumer struct {
	in    []AssumeInput
	creds Credentials
	err   error
}

func (r *recAssumer) AssumeRole(_ context.Context, in AssumeInput) (Credentials, error) {
	r.in = append(r.in, in)
	return r.creds, r.err
}

var goodCreds = Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "secret", SessionToken: "token", Expiration: time.Unix(2e9, 0)}

func caller(t *testing.T, arn string) identity.Caller {
	t.Helper()
	c, err := identity.ParseARN(arn)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newService(t *testing.T, a Assumer, src PolicySource, opts ...Option) *Service {
	t.Helper()
	s, err := New(a, src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCredentials(t *testing.T) {
	p, err := policy.Parse([]byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	alice := "arn:aws:iam::333333333333:user/alice"
	tests := []struct {
		name      string
		arn       string
		req       CredentialsRequest
		src       PolicySource
		assumeErr error
		creds     *Credentials
		want      error
		wantSecs  int
		wantRule  string
	}{
		{name: "default duration capped by profile", arn: alice, req: CredentialsRequest{Profile: "short"}, wantSecs: 900, wantRule: "users"},
		{name: "default duration one hour", arn: alice, req: CredentialsRequest{Profile: "long"}, wantSecs: 3600},
		{name: "explicit duration", arn: alice, req: CredentialsRequest{Profile: "long", Duration: "1200"}, wantSecs: 1200},
		{name: "12 hours accepted then capped", arn: alice, req: CredentialsRequest{Profile: "long", Duration: "43200"}, wantSecs: 3600},
		{name: "too short", arn: alice, req: CredentialsRequest{Profile: "long", Duration: "899"}, want: ErrInvalidDuration},
		{name: "deny rule", arn: alice, req: CredentialsRequest{Profile: "admin"}, want: ErrDenied, wantRule: "no-admin"},
		{name: "default deny", arn: "arn:aws:iam::444444444444:user/bob", req: CredentialsRequest{Profile: "long"}, want: ErrDenied, wantRule: policy.DefaultDenyRule},
		{name: "unknown profile", arn: alice, req: CredentialsRequest{Profile: "nope"}, want: ErrUnknownProfile},
		{name: "policy invalid", arn: alice, req: CredentialsRequest{Profile: "long"}, src: staticSource{err: fmt.Errorf("x: %w", policy.ErrInvalid)}, want: ErrPolicyInvalid},
		{name: "policy unavailable", arn: alice, req: CredentialsRequest{Profile: "long"}, src: staticSource{err: errors.New("ssm down")}, want: ErrPolicyUnavailable},
		{name: "nil policy", arn: alice, req: CredentialsRequest{Profile: "long"}, src: staticSource{}, want: ErrPolicyUnavailable},
		{name: "throttled kept", arn: alice, req: CredentialsRequest{Profile: "long"}, assumeErr: WithRetryAfter(fmt.Errorf("%w: x", ErrThrottled), time.Second), want: ErrThrottled},
		{name: "trust refused kept", arn: alice, req: CredentialsRequest{Profile: "long"}, assumeErr: fmt.Errorf("%w: x", ErrTrustRefused), want: ErrTrustRefused},
		{name: "unknown assumer error is sts", arn: alice, req: CredentialsRequest{Profile: "long"}, assumeErr: errors.New("boom"), want: ErrSTS},
		{name: "incomplete credentials", arn: alice, req: CredentialsRequest{Profile: "long"}, creds: &Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t"}, want: ErrSTS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if src == nil {
				src = staticSource{p: p}
			}
			a := &recAssumer{creds: goodCreds, err: tt.assumeErr}
			if tt.creds != nil {
				a.creds = *tt.creds
			}
			s := newService(t, a, src, WithClock(func() time.Time { return time.Unix(1.8e9, 0) }))
			c := caller(t, tt.arn)
			res, err := s.Credentials(context.Background(), c, tt.req)
			if res.SourceIdentity != identity.SourceIdentity(c, identity.DefaultPrefix) {
				t.Errorf("SourceIdentity not filled: %q", res.SourceIdentity)
			}
			if tt.wantRule != "" && res.Decision.Rule != tt.wantRule {
				t.Errorf("rule = %q, want %q", res.Decision.Rule, tt.wantRule)
			}
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				if errors.Is(err, ErrDenied) {
					var d *DeniedError
					if !errors.As(err, &d) || d.Rule != tt.wantRule || len(a.in) != 0 {
						t.Errorf("denied error = %#v, sts calls %d", err, len(a.in))
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.DurationSeconds != tt.wantSecs || a.in[0].Duration != time.Duration(tt.wantSecs)*time.Second {
				t.Errorf("duration = %d (%s), want %d", res.DurationSeconds, a.in[0].Duration, tt.wantSecs)
			}
			if res.Credentials != goodCreds || res.AccountID != strings.Split(res.Profile.RoleARN, ":")[4] || res.PolicyHash != p.Hash() {
				t.Errorf("result = %+v", res)
			}
			if len(a.in[0].Tags) != 3 {
				t.Errorf("tags = %v", a.in[0].Tags)
			}
		})
	}
}

func TestSessionTagsOff(t *testing.T) {
	p, _ := policy.Parse([]byte(testPolicy))
	a := &recAssumer{creds: goodCreds}
	s := newService(t, a, staticSource{p: p}, WithSessionTags(false), WithSourceIdentityPrefix("tvm."))
	res, err := s.Credentials(context.Background(), caller(t, "arn:aws:iam::333333333333:user/alice"), CredentialsRequest{Profile: "long", RequestID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.in[0].Tags) != 0 || !strings.HasPrefix(a.in[0].SourceIdentity, "tvm.alice-") || res.SessionName != a.in[0].SessionName {
		t.Errorf("input = %+v", a.in[0])
	}
}

func TestNewValidates(t *testing.T) {
	src := staticSource{}
	for name, opts := range map[string][]Option{
		"bad prefix":    {WithSourceIdentityPrefix("aws-x")},
		"negative rate": {WithRateLimit(-1, 1)},
		"nil clock":     {WithClock(nil)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(&recAssumer{}, src, opts...); err == nil {
				t.Error("New accepted an invalid option")
			}
		})
	}
	if _, err := New(nil, src); err == nil {
		t.Error("New accepted a nil assumer")
	}
}

func TestParseDurationSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"", 0, true}, {"900", 900, true}, {"3600", 3600, true}, {"43200", 43200, true}, {"0900", 900, true},
		{"899", 0, false}, {"43201", 0, false}, {"-900", 0, false}, {"+900", 0, false}, {"900.0", 0, false},
		{"1e3", 0, false}, {" 900", 0, false}, {"99999999999999999999", 0, false}, {"0", 0, false}, {"١٢٠٠", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDurationSeconds(tt.in)
			if tt.ok != (err == nil) || got != tt.want {
				t.Errorf("ParseDurationSeconds(%q) = %d, %v", tt.in, got, err)
			}
			if err != nil && !errors.Is(err, ErrInvalidDuration) {
				t.Errorf("error does not wrap ErrInvalidDuration: %v", err)
			}
		})
	}
}

func TestEffectiveSeconds(t *testing.T) {
	tests := []struct {
		requested int
		max       time.Duration
		want      int
	}{
		{0, 0, 3600}, {0, time.Hour, 3600}, {0, 30 * time.Minute, 1800}, {0, 10 * time.Minute, 900},
		{1000, time.Hour, 1000}, {43200, time.Hour, 3600}, {2000, 30 * time.Minute, 1800}, {0, 12 * time.Hour, 3600},
	}
	for _, tt := range tests {
		if got := effectiveSeconds(tt.requested, tt.max); got != tt.want {
			t.Errorf("effectiveSeconds(%d, %s) = %d, want %d", tt.requested, tt.max, got, tt.want)
		}
	}
}

func TestTagValue(t *testing.T) {
	tests := map[string]string{
		"engineers-read":    "engineers-read",
		"a b:c/d=e+f-g@h_i": "a b:c/d=e+f-g@h_i",
		"x\ny\x00z":         "x_y_z",
		"é<>":               "___",
	}
	for in, want := range tests {
		if got := tagValue(in); got != want {
			t.Errorf("tagValue(%q) = %q, want %q", in, got, want)
		}
	}
	if got := tagValue(strings.Repeat("a", 300)); len(got) != 256 {
		t.Errorf("tagValue not truncated: %d", len(got))
	}
}

func TestRateLimit(t *testing.T) {
	p, _ := policy.Parse([]byte(testPolicy))
	now := time.Unix(1.8e9, 0)
	s := newService(t, &recAssumer{creds: goodCreds}, staticSource{p: p},
		WithRateLimit(2, 3), WithClock(func() time.Time { return now }))
	alice := caller(t, "arn:aws:iam::333333333333:user/alice")
	bob := caller(t, "arn:aws:iam::333333333333:user/bob")
	for i := range 3 {
		if _, err := s.Whoami(context.Background(), alice); err != nil {
			t.Fatalf("request %d within the burst: %v", i, err)
		}
	}
	_, err := s.Profiles(context.Background(), alice)
	if !errors.Is(err, ErrRateLimited) || RetryAfter(err, 0) < time.Second {
		t.Fatalf("4th request: %v (retry after %s)", err, RetryAfter(err, 0))
	}
	if _, err := s.Whoami(context.Background(), bob); err != nil {
		t.Errorf("another caller is limited too: %v", err)
	}
	now = now.Add(500 * time.Millisecond) // one token back at 2/s
	if _, err := s.Credentials(context.Background(), alice, CredentialsRequest{Profile: "long"}); err != nil {
		t.Errorf("after refill: %v", err)
	}
	if _, err := s.Whoami(context.Background(), alice); !errors.Is(err, ErrRateLimited) {
		t.Errorf("refill gave more than one token: %v", err)
	}

	t.Run("off", func(t *testing.T) {
		s := newService(t, &recAssumer{}, staticSource{p: p}, WithRateLimit(0, 0))
		for range 100 {
			if _, err := s.Whoami(context.Background(), alice); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestLimiterBounded(t *testing.T) {
	l := newLimiter(1, 1)
	now := time.Unix(0, 0)
	for i := range maxBuckets + 10 {
		l.allow(fmt.Sprint("caller-", i), now)
	}
	if len(l.buckets) > maxBuckets {
		t.Errorf("limiter holds %d buckets, bound is %d", len(l.buckets), maxBuckets)
	}
}

func TestProfilesAndWhoami(t *testing.T) {
	p, _ := policy.Parse([]byte(testPolicy))
	s := newService(t, &recAssumer{}, staticSource{p: p})
	alice := caller(t, "arn:aws:iam::333333333333:user/alice")
	pr, err := s.Profiles(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, d := range pr.Profiles {
		allowed[d.Profile.Name] = d.Decision.Allowed
	}
	if len(allowed) != 3 || allowed["admin"] || !allowed["long"] || !allowed["short"] || pr.PolicyHash != p.Hash() {
		t.Errorf("profiles = %+v", pr)
	}
	w, err := s.Whoami(context.Background(), alice)
	if err != nil || w.PolicyVersion != 1 || w.SourceIdentity != s.SourceIdentity(alice) {
		t.Errorf("whoami = %+v, %v", w, err)
	}
}

func TestCredentialsRedacted(t *testing.T) {
	for _, s := range []string{fmt.Sprint(goodCreds), fmt.Sprintf("%v %+v %#v %s", goodCreds, goodCreds, goodCreds, goodCreds)} {
		if strings.Contains(s, "secret") || strings.Contains(s, "token") {
			t.Errorf("formatting leaks: %s", s)
		}
	}
}

func TestConcurrent(t *testing.T) {
	p, _ := policy.Parse([]byte(testPolicy))
	s := newService(t, &syncAssumer{}, staticSource{p: p}, WithRateLimit(1e6, 1e6))
	done := make(chan error)
	for i := range 8 {
		go func() {
			c := caller(t, fmt.Sprintf("arn:aws:iam::333333333333:user/u%d", i))
			var err error
			for range 200 {
				if _, err = s.Credentials(context.Background(), c, CredentialsRequest{Profile: "long"}); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// syncAssumer is safe for concurrent use.
type syncAssumer struct{}

func (syncAssumer) AssumeRole(context.Context, AssumeInput) (Credentials, error) {
	return goodCreds, nil
}
