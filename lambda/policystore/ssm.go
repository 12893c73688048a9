package policystore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/singleflight"

	"github.com/vend-tvm/vend/lambda/policy"
)

// Defaults of the SSM source.
const (
	DefaultTTL = 60 * time.Second
	// DefaultMaxStaleness bounds how long the last valid policy is served after SSM stopped
	// answering. Fifteen minutes rides out throttling bursts and short regional blips (the
	// SDK has already retried inside each fetch), is the shortest session the TVM issues,
	// and caps what an attacker gains by throttling the account's SSM reads to keep a
	// policy alive that an operator has since tightened.
	DefaultMaxStaleness = 15 * time.Minute
	// fetchTimeout bounds one GetParameter, detached from the request that triggered it
	// so that one impatient caller cannot fail the fetch for everyone waiting on it.
	fetchTimeout = 5 * time.Second
	// retryInterval is how long a stale policy (or a refusal) is served after a failed
	// fetch before SSM is asked again, so that an outage does not add an SSM call to every
	// request, and so that the warning is logged once per interval, not per request.
	retryInterval = 5 * time.Second
)

// ErrUnavailable is wrapped when the source refuses because SSM cannot be read: nothing
// is cached, SSM answered that the parameter is gone or unreadable, or the cached policy
// is older than the maximum staleness. Every such error is an *UnavailableError.
var ErrUnavailable = errors.New("policy parameter unavailable")

// Reasons an SSM read failed, as logged in the reason field of policy_stale and
// policy_unavailable and carried by UnavailableError.
const (
	// Transient: SSM did not answer, or answered "later". The last valid policy is served
	// up to the maximum staleness.
	ReasonThrottled   = "throttled"    // a throttling error code or HTTP 429
	ReasonServerError = "server_error" // a server fault or HTTP 5xx
	ReasonTimeout     = "timeout"      // the fetch timed out
	ReasonNetwork     = "network"      // no answer from SSM at all
	ReasonRetryable   = "retryable"    // another error the SDK retries

	// Definitive: SSM answered and will keep answering so. The source fails closed at
	// the next refresh and drops the cached policy, since this may be a revocation.
	ReasonNotFound     = "not_found"     // ParameterNotFound, ParameterVersionNotFound
	ReasonAccessDenied = "access_denied" // AccessDenied*: the TVM may no longer read the parameter
	ReasonKMSDenied    = "kms_denied"    // a KMS error: the value cannot be decrypted
	ReasonRejected     = "rejected"      // any other client error, or an answer without a value

	// ReasonStale: the cached policy is older than the maximum staleness.
	ReasonStale = "stale"
)

// UnavailableError says why the SSM source refuses. It wraps ErrUnavailable and the SDK
// error; its text names the parameter and is for logs, never for callers.
type UnavailableError struct {
	Parameter string
	Reason    string        // one of the Reason constants
	Age       time.Duration // with ReasonStale: time since SSM last returned the policy
	Err       error
}

func (e *UnavailableError) Error() string {
	s := fmt.Sprintf("%s: parameter %s: %s", ErrUnavailable, e.Parameter, e.Reason)
	if e.Reason == ReasonStale {
		s += fmt.Sprintf(" (last read %s ago)", e.Age.Round(time.Second))
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap makes errors.Is(err, ErrUnavailable) true and exposes the SDK error.
func (e *UnavailableError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrUnavailable}
	}
	return []error{ErrUnavailable, e.Err}
}

// SSMAPI is the part of the SSM client the source uses.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SSMSource is a policy read from an SSM parameter (String or SecureString) and cached.
type SSMSource struct {
	api      SSMAPI
	name     string
	ttl      time.Duration
	maxStale time.Duration
	now      func() time.Time
	logger   *slog.Logger
	group    singleflight.Group

	mu    sync.RWMutex
	state ssmState
}

type ssmState struct {
	p        *policy.Policy // last valid policy; nil when none, when the newest is invalid, or when refused
	invalid  error          // set when the newest value does not parse: fail closed
	refused  *UnavailableError
	raw      string    // value p or invalid came from, to skip re-parsing
	verified time.Time // when SSM last returned the value p or invalid came from
	stale    bool      // p is being served past a failed refresh
	next     time.Time // when to ask SSM again
	fetched  bool
}

// answer is what Policy returns from this state.
func (st *ssmState) answer() (*policy.Policy, error) {
	if st.refused != nil {
		return nil, st.refused
	}
	return st.p, st.invalid
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

// WithMaxStaleness bounds how long the last valid policy is served while SSM cannot be
// read for a transient reason (DefaultMaxStaleness when d <= 0: there is no way to serve
// it forever). The bound counts from the last successful read and is never below the TTL.
func WithMaxStaleness(d time.Duration) SSMOption {
	return func(s *SSMSource) {
		if d > 0 {
			s.maxStale = d
		}
	}
}

// SSM returns a source reading parameter name with decryption. The policy is cached
// for ttl (DefaultTTL when ttl <= 0); concurrent fetches are collapsed into one.
//
// When a refresh fails, the error decides. SSM throttling, server errors, timeouts and
// network errors keep the last valid policy in service, with a policy_stale warning per
// retry, until it is older than the maximum staleness; then the source refuses. An
// answer that will not change by waiting (the parameter is gone, the TVM may no longer
// read it or decrypt it) refuses at once, logged as policy_unavailable: that may be a
// revocation. Refusals wrap ErrUnavailable; SSM is asked again every few seconds.
func SSM(api SSMAPI, name string, ttl time.Duration, opts ...SSMOption) *SSMSource {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	s := &SSMSource{api: api, name: name, ttl: ttl, maxStale: DefaultMaxStaleness, now: time.Now, logger: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	s.maxStale = max(s.maxStale, s.ttl)
	return s
}

// Policy returns the cached policy while it is fresh, and otherwise fetches it.
func (s *SSMSource) Policy(ctx context.Context) (*policy.Policy, error) {
	s.mu.RLock()
	st := s.state
	s.mu.RUnlock()
	if st.fetched && s.now().Before(st.next) {
		return st.answer()
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
		// The caller gave up; the fetch goes on for the next one.
		return nil, &UnavailableError{Parameter: s.name, Reason: ReasonTimeout, Err: ctx.Err()}
	}
}

// errNoValue stands for an answer without a value, which the SDK never returns.
var errNoValue = errors.New("parameter has no value")

// refresh fetches the parameter and updates the cache; it runs once at a time.
func (s *SSMSource) refresh(ctx context.Context) (*policy.Policy, error) {
	s.mu.RLock()
	st := s.state
	s.mu.RUnlock()
	now := s.now()
	if st.fetched && now.Before(st.next) {
		// Another fetch finished while this one was being scheduled.
		return st.answer()
	}

	out, err := s.api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.name), WithDecryption: aws.Bool(true)})
	if err == nil && (out == nil || out.Parameter == nil || out.Parameter.Value == nil) {
		err = errNoValue
	}
	if err != nil {
		return s.failed(st, now, err)
	}

	raw := aws.ToString(out.Parameter.Value)
	next := ssmState{raw: raw, verified: now, next: now.Add(s.ttl), fetched: true}
	switch {
	case st.fetched && st.refused == nil && raw == st.raw:
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
	if (st.stale || st.refused != nil) && !st.verified.IsZero() {
		// Says when the condition behind policy_stale or policy_unavailable ended.
		s.logger.Info("policy_recovered", slog.String("parameter", s.name), slog.String("policy_hash", policyHash(next.p)),
			slog.String("since_last_read", now.Sub(st.verified).Round(time.Second).String()))
	}
	s.store(next)
	return next.p, next.invalid
}

// failed decides what a failed fetch means for the cached state (see SSM).
func (s *SSMSource) failed(st ssmState, now time.Time, err error) (*policy.Policy, error) {
	reason, definitive := classify(err)
	retryAt := now.Add(min(retryInterval, s.ttl))
	refuse := func(uerr *UnavailableError, attrs ...slog.Attr) (*policy.Policy, error) {
		attrs = append([]slog.Attr{slog.String("parameter", s.name), slog.String("reason", uerr.Reason)}, attrs...)
		attrs = append(attrs, slog.String("error", err.Error()))
		s.logger.LogAttrs(context.Background(), slog.LevelError, "policy_unavailable", attrs...)
		// Keep verified so that policy_recovered can say how long it lasted.
		s.store(ssmState{refused: uerr, verified: st.verified, next: retryAt, fetched: true})
		return nil, uerr
	}
	switch {
	case definitive:
		// SSM answered and waiting will not change its answer: the parameter was deleted,
		// or the TVM's access to it or its key was taken away. Either may be a revocation,
		// so the cached policy goes too.
		var attrs []slog.Attr
		if st.p != nil {
			attrs = append(attrs, slog.String("dropped_policy_hash", st.p.Hash()))
		}
		return refuse(&UnavailableError{Parameter: s.name, Reason: reason, Err: err}, attrs...)
	case st.refused != nil:
		// The newest known answer is a refusal: stay closed until SSM returns a value.
		return refuse(st.refused, slog.String("cause", reason))
	case st.p != nil:
		age := now.Sub(st.verified)
		if age >= s.maxStale {
			return refuse(&UnavailableError{Parameter: s.name, Reason: ReasonStale, Age: age, Err: err},
				slog.String("cause", reason), slog.String("dropped_policy_hash", st.p.Hash()),
				slog.String("age", age.Round(time.Second).String()), slog.Int64("age_seconds", int64(age/time.Second)),
				slog.String("max_staleness", s.maxStale.String()))
		}
		// SSM outage with a valid policy in hand: keep serving it, loudly, but not past
		// the bound: the next retry is due by then at the latest.
		s.logger.Warn("policy_stale",
			slog.String("parameter", s.name),
			slog.String("reason", reason),
			slog.String("policy_hash", st.p.Hash()),
			slog.String("age", age.Round(time.Second).String()),
			slog.Int64("age_seconds", int64(age/time.Second)),
			slog.String("max_staleness", s.maxStale.String()),
			slog.String("error", err.Error()))
		st.stale = true
		st.next = minTime(retryAt, st.verified.Add(s.maxStale))
		s.store(st)
		return st.p, nil
	case st.invalid != nil:
		// The newest known value is broken: stay closed, whatever SSM says now.
		s.logger.Warn("policy_fetch_failed",
			slog.String("parameter", s.name), slog.String("reason", reason), slog.String("error", err.Error()))
		st.next = retryAt
		s.store(st)
		return nil, st.invalid
	}
	// Nothing cached (cold start): refuse, and ask again on the next request.
	uerr := &UnavailableError{Parameter: s.name, Reason: reason, Err: err}
	s.logger.Error("policy_unavailable", slog.String("parameter", s.name), slog.String("reason", reason), slog.String("error", err.Error()))
	return nil, uerr
}

// classify names why a fetch failed and whether waiting can help, going by the SDK's own
// error types. Without an API error SSM never answered (timeout, network), so nothing
// says the policy changed: transient. With one, throttling and server faults are
// transient, and every other answer is definitive: it is what SSM will keep saying.
func classify(err error) (reason string, definitive bool) {
	if errors.Is(err, errNoValue) {
		return ReasonRejected, true
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		var t interface{ Timeout() bool }
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &t) && t.Timeout()) {
			return ReasonTimeout, false
		}
		return ReasonNetwork, false
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return ReasonThrottled, false
	}
	code := apiErr.ErrorCode()
	var status interface{ HTTPStatusCode() int }
	switch {
	case apiErr.ErrorFault() == smithy.FaultServer || (errors.As(err, &status) && status.HTTPStatusCode() >= 500):
		return ReasonServerError, false
	case isRetryableCode(code):
		return ReasonTimeout, false
	case retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary:
		// Whatever else the SDK retries (a clock skew, for one) is worth waiting for.
		return ReasonRetryable, false
	}
	msg := strings.ToLower(apiErr.ErrorMessage())
	switch {
	case code == "ParameterNotFound" || code == "ParameterVersionNotFound":
		return ReasonNotFound, true
	// SSM reports KMS refusals either with a KMS code or as AccessDeniedException whose
	// message names the key or the kms: action.
	case strings.Contains(strings.ToUpper(code), "KMS") || code == "InvalidKeyId" ||
		strings.Contains(msg, "kms:") || strings.Contains(msg, "awskms") || strings.Contains(msg, "kms key"):
		return ReasonKMSDenied, true
	case strings.HasPrefix(code, "AccessDenied"):
		return ReasonAccessDenied, true
	default:
		return ReasonRejected, true
	}
}

func policyHash(p *policy.Policy) string {
	if p == nil {
		return ""
	}
	return p.Hash()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func (s *SSMSource) store(st ssmState) {
	s.mu.Lock()
	s.state = st
	s.mu.Unlock()
}

// isRetryableCode reports the codes the SDK retries as timeouts (RequestTimeout...).
func isRetryableCode(code string) bool {
	_, ok := retry.DefaultRetryableErrorCodes[code]
	return ok
}
