package policystore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"golang.org/x/sync/singleflight"

	"github.com/vend-tvm/vend/lambda/policy"
)

// Defaults of the SSM source.
const (
	DefaultTTL = 60 * time.Second
	// fetchTimeout bounds one GetParameter, detached from the request that triggered it
	// so that one impatient caller cannot fail the fetch for everyone waiting on it.
	fetchTimeout = 5 * time.Second
	// retryInterval is how long a stale policy is served after a failed fetch before
	// SSM is asked again, so that an outage does not add an SSM call to every request.
	retryInterval = 5 * time.Second
)

// ErrUnavailable is wrapped when SSM cannot be read and no policy is cached.
var ErrUnavailable = errors.New("policy parameter unavailable")

// SSMAPI is the part of the SSM client the source uses.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SSMSource is a policy read from an SSM parameter (String or SecureString) and cached.
type SSMSource struct {
	api    SSMAPI
	name   string
	ttl    time.Duration
	now    func() time.Time
	logger *slog.Logger
	group  singleflight.Group

	mu    sync.RWMutex
	state ssmState
}

type ssmState struct {
	p       *policy.Policy // last valid policy; nil when none or when the newest is invalid
	invalid error          // set when the newest value does not parse: fail closed
	raw     string         // value p or invalid came from, to skip re-parsing
	next    time.Time      // when to ask SSM again
	fetched bool
}

// SSMOption configures an SSMSource.
type SSMOption func(*SSMSource)

// WithLogger sets the logger for operational warnings (default slog.Default()).
func WithLogger(l *slog.Logger) SSMOption {
	return func(s *SSMSource) {
		if l != nil {
			s.logger = l
		}
	}
}

// WithClock sets the clock deciding when the cache expires.
func WithClock(now func() time.Time) SSMOption {
	return func(s *SSMSource) {
		if now != nil {
			s.now = now
		}
	}
}

// SSM returns a source reading parameter name with decryption. The policy is cached
// for ttl (DefaultTTL when ttl <= 0); concurrent fetches are collapsed into one.
func SSM(api SSMAPI, name string, ttl time.Duration, opts ...SSMOption) *SSMSource {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	s := &SSMSource{api: api, name: name, ttl: ttl, now: time.Now, logger: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Policy returns the cached policy while it is fresh, and otherwise fetches it.
func (s *SSMSource) Policy(ctx context.Context) (*policy.Policy, error) {
	s.mu.RLock()
	st := s.state
	s.mu.RUnlock()
	if st.fetched && s.now().Before(st.next) {
		return st.p, st.invalid
	}
	ch := s.group.DoChan("policy", func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		return s.refresh(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		p, _ := r.Val.(*policy.Policy)
		return p, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
}

// refresh fetches the parameter and updates the cache; it runs once at a time.
func (s *SSMSource) refresh(ctx context.Context) (*policy.Policy, error) {
	s.mu.RLock()
	st := s.state
	s.mu.RUnlock()
	now := s.now()
	if st.fetched && now.Before(st.next) {
		// Another fetch finished while this one was being scheduled.
		return st.p, st.invalid
	}

	out, err := s.api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.name), WithDecryption: aws.Bool(true)})
	if err == nil && (out == nil || out.Parameter == nil || out.Parameter.Value == nil) {
		err = errors.New("parameter has no value")
	}
	if err != nil {
		if st.p != nil {
			// SSM outage with a valid policy in hand: keep serving it, loudly.
			s.logger.Warn("policy_stale",
				slog.String("parameter", s.name),
				slog.String("policy_hash", st.p.Hash()),
				slog.String("error", err.Error()))
			st.next = now.Add(min(retryInterval, s.ttl))
			s.store(st)
			return st.p, nil
		}
		if st.invalid != nil {
			// The newest known value is broken: stay closed, whatever SSM says now.
			s.logger.Warn("policy_fetch_failed",
				slog.String("parameter", s.name), slog.String("error", err.Error()))
			st.next = now.Add(min(retryInterval, s.ttl))
			s.store(st)
			return nil, st.invalid
		}
		s.logger.Warn("policy_unavailable", slog.String("parameter", s.name), slog.String("error", err.Error()))
		return nil, fmt.Errorf("%w: get parameter %s: %w", ErrUnavailable, s.name, err)
	}

	raw := aws.ToString(out.Parameter.Value)
	next := ssmState{raw: raw, next: now.Add(s.ttl), fetched: true}
	switch {
	case st.fetched && raw == st.raw:
		next.p, next.invalid = st.p, st.invalid
	default:
		p, perr := policy.Parse([]byte(raw))
		if perr != nil {
			// Fail closed: drop the previous policy too, it may be what was revoked.
			next.invalid = fmt.Errorf("parameter %s: %w", s.name, perr)
			s.logger.Error("policy_invalid", slog.String("parameter", s.name), slog.String("error", perr.Error()))
		} else {
			next.p = p
			if st.p == nil || st.p.Hash() != p.Hash() {
				s.logger.Info("policy_loaded", slog.String("parameter", s.name), slog.String("policy_hash", p.Hash()),
					slog.Int64("parameter_version", out.Parameter.Version))
			}
		}
	}
	s.store(next)
	return next.p, next.invalid
}

func (s *SSMSource) store(st ssmState) {
	s.mu.Lock()
	s.state = st
	s.mu.Unlock()
}
