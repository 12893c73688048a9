package tvm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/vend-tvm/vend/internal/arn"
	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/lambda/wire"
)

// Duration bounds for the request's duration parameter. Values in range are accepted and
// then capped, because a Lambda's AssumeRole is role chaining and STS refuses more than
// an hour; values outside are refused so that typos do not pass silently.
const (
	minRequestSeconds = 900
	maxRequestSeconds = 43200
)

// Session tag keys set on every vended session (unless disabled).
const (
	TagRequestID = "vend-request-id"
	TagRule      = "vend-rule"
	TagProfile   = "vend-profile"
	// TagBreakGlass is set, to "true", only on sessions a break-glass rule vended.
	TagBreakGlass = "vend-break-glass"
	// TagScope is set on sessions the caller scoped with a document: its SHA-256 (hex).
	TagScope = "vend-scope-sha256"
)

// Credentials are temporary credentials returned by an Assumer.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// String keeps the secret and the token out of anything that formats the value.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{AccessKeyID: %s, Expiration: %s}", c.AccessKeyID, c.Expiration.Format(time.RFC3339))
}

// GoString is String, so that %#v redacts too.
func (c Credentials) GoString() string { return c.String() }

// LogValue keeps the secret and the token out of structured logs.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID), slog.Time("expiration", c.Expiration))
}

// Tag is an STS session tag.
type Tag struct {
	Key, Value string
}

// AssumeInput is what the core asks an Assumer for.
type AssumeInput struct {
	RoleARN        string
	SessionName    string
	SourceIdentity string
	Duration       time.Duration
	Tags           []Tag
	// Policy ("" for none) and PolicyARNs are the session policies: the profile's, or
	// the caller's scope, never both.
	Policy     string
	PolicyARNs []string
}

// Assumer calls sts:AssumeRole. Implementations return errors wrapping ErrThrottled,
// ErrTrustRefused or ErrSTS; anything else is treated as ErrSTS.
type Assumer interface {
	AssumeRole(ctx context.Context, in AssumeInput) (Credentials, error)
}

// PolicySource yields the policy in force. An error wrapping policy.ErrInvalid means the
// policy is broken (fail closed); any other error means it is unavailable.
type PolicySource interface {
	Policy(ctx context.Context) (*policy.Policy, error)
}

// CredentialsRequest is a request for a profile's credentials.
type CredentialsRequest struct {
	Profile string
	// Duration is the raw duration parameter in seconds; "" means absent.
	Duration string
	// RequestID goes into the vend-request-id session tag.
	RequestID string
	// Reason is the caller's justification, already checked by the edge; "" when none
	// was given. Break-glass rules require one.
	Reason string
	// Scope is the caller's own session policies, checked by the edge with
	// sessionpolicy (document, ARNs, size); empty when none was given.
	Scope sessionpolicy.Scope
}

// Result is the outcome of Credentials. It is filled as far as the request got, also
// when an error is returned, so that the edge can log the decision.
type Result struct {
	Credentials     Credentials
	Profile         policy.Profile
	Decision        policy.Decision
	PolicyHash      string
	SourceIdentity  string
	SessionName     string
	DurationSeconds int
	// AccountID is the account of the profile's role.
	AccountID string
	// Alerted says a break-glass event was published for this vend.
	Alerted bool
	// AccessRequestID and GrantedUntil name the grant a vend used, when its rule needs
	// approval.
	AccessRequestID string
	GrantedUntil    time.Time
	// SessionPolicy says whose session policies the session got: "profile", "caller"
	// or "" for none; ScopeSHA256 and ScopeARNs are what was passed.
	SessionPolicy string
	ScopeSHA256   string
	ScopeARNs     []string
}

// ProfileDecision is one profile and the decision for the caller now. The profile's
// RoleARN is empty unless the decision allows it.
type ProfileDecision struct {
	Profile  policy.Profile
	Decision policy.Decision
}

// ProfilesResult lists every profile in the policy with the decision for the caller.
type ProfilesResult struct {
	PolicyHash string
	Profiles   []ProfileDecision
}

// WhoamiResult is what the TVM knows about the caller.
type WhoamiResult struct {
	SourceIdentity string
	PolicyHash     string
	PolicyVersion  int
}

// EventPublisher publishes access-workflow events (see package events). An error means
// the event was not published.
type EventPublisher interface {
	Publish(ctx context.Context, e wire.Event) error
}

// Service is the TVM core. It is safe for concurrent use.
type Service struct {
	assumer     Assumer
	source      PolicySource
	now         func() time.Time
	prefix      string
	sessionTags bool
	limiter     *limiter
	events      EventPublisher
	version     string
	state       StateStore
	revocations RevocationStore
	publisher   PolicyPublisher
	shared      *sharedLimit
	// onEventError hears about events that could not be published after a state change.
	onEventError func(eventType, accessRequestID string, err error)
}

// WithEventErrors sets what hears about events that could not be published after a
// state change (the handler logs them).
func WithEventErrors(f func(eventType, accessRequestID string, err error)) Option {
	return func(s *Service) error {
		s.onEventError = f
		return nil
	}
}

// Option configures a Service.
type Option func(*Service) error

// WithClock sets the clock used for policy time windows and rate limiting.
func WithClock(now func() time.Time) Option {
	return func(s *Service) error {
		if now == nil {
			return errors.New("clock is nil")
		}
		s.now = now
		return nil
	}
}

// WithSourceIdentityPrefix sets the prefix of SourceIdentity and RoleSessionName
// (default identity.DefaultPrefix). It is validated with identity.ValidatePrefix.
func WithSourceIdentityPrefix(prefix string) Option {
	return func(s *Service) error {
		if err := identity.ValidatePrefix(prefix); err != nil {
			return err
		}
		s.prefix = prefix
		return nil
	}
}

// WithSessionTags turns the vend-* session tags on (the default) or off. Tags need
// sts:TagSession in the role's trust policy.
func WithSessionTags(on bool) Option {
	return func(s *Service) error {
		s.sessionTags = on
		return nil
	}
}

// WithEvents sets where events go. Without it a break-glass rule vends nothing: it
// cannot raise its alert.
func WithEvents(p EventPublisher) Option {
	return func(s *Service) error {
		s.events = p
		return nil
	}
}

// WithVersion sets the TVM version that events carry.
func WithVersion(v string) Option {
	return func(s *Service) error {
		s.version = v
		return nil
	}
}

// WithRateLimit sets the per-caller token bucket: perSecond requests per second with the
// given burst. A caller is its principal without a session name (see rateKey), so a
// role's sessions share one bucket. perSecond 0 turns the limit off. The default is 10/s with a burst of 20.
// The limit is per container (Lambda runs many), so it is best effort: it blunts a
// runaway client, it does not enforce a quota.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(s *Service) error {
		if perSecond < 0 || burst < 0 {
			return errors.New("rate limit must not be negative")
		}
		if perSecond == 0 {
			s.limiter = nil
			return nil
		}
		if burst < 1 {
			burst = 1
		}
		s.limiter = newLimiter(perSecond, burst)
		return nil
	}
}

// RateStore counts requests per key and one-second window across every container
// (package store, on DynamoDB): Take counts one for key in the window starting at
// window, and says whether the window's count was below limit.
type RateStore interface {
	Take(ctx context.Context, key string, window time.Time, limit int) (bool, error)
}

type sharedLimit struct {
	store         RateStore
	perWindow     int
	localWhenDown bool
}

// WithSharedRateLimit keeps the per-caller limit in st, so that it holds across all of
// the function's containers: at most the burst of WithRateLimit per caller and second.
// When st cannot be reached, requests are refused (ErrStateUnavailable) unless
// localWhenDown, which falls back to each container's own limit. It needs WithRateLimit
// with a rate above zero; without one there is no limit to share.
func WithSharedRateLimit(st RateStore, localWhenDown bool) Option {
	return func(s *Service) error {
		s.shared = &sharedLimit{store: st, localWhenDown: localWhenDown}
		return nil
	}
}

// New builds a Service.
func New(assumer Assumer, source PolicySource, opts ...Option) (*Service, error) {
	if assumer == nil || source == nil {
		return nil, errors.New("tvm needs an assumer and a policy source")
	}
	s := &Service{
		assumer:     assumer,
		source:      source,
		now:         time.Now,
		prefix:      identity.DefaultPrefix,
		sessionTags: true,
		limiter:     newLimiter(10, 20),
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, fmt.Errorf("configure tvm: %w", err)
		}
	}
	if s.shared != nil {
		if s.limiter == nil {
			s.shared = nil // no limit to share
		} else {
			s.shared.perWindow = int(s.limiter.burst)
		}
	}
	return s, nil
}

// Credentials vends credentials for req.Profile to caller c, or says why not.
func (s *Service) Credentials(ctx context.Context, c identity.Caller, req CredentialsRequest) (Result, error) {
	res := Result{
		SourceIdentity: identity.SourceIdentity(c, s.prefix),
		SessionName:    identity.RoleSessionName(c, s.prefix),
	}
	if err := s.allow(ctx, c); err != nil {
		return res, err
	}
	// Syntax first: a malformed request is refused before the policy is consulted.
	requested, err := ParseDurationSeconds(req.Duration)
	if err != nil {
		return res, err
	}
	p, err := s.policy(ctx)
	if err != nil {
		return res, err
	}
	res.PolicyHash = p.Hash()
	d := p.Evaluate(policy.Request{
		PrincipalARN: c.ARN,
		AccountID:    c.AccountID,
		OrgID:        c.OrgID,
		Profile:      req.Profile,
		Time:         s.now(),
	})
	res.Decision = d
	if d.UnknownProfile {
		return res, ErrUnknownProfile
	}
	res.Profile = d.Profile
	res.AccountID = arn.AccountOf(d.Profile.RoleARN)
	if !d.Allowed {
		return res, &DeniedError{Rule: d.Rule, Reason: d.Reason}
	}
	session, err := d.Session(req.Scope)
	if err != nil {
		return res, err
	}
	if d.BreakGlass && req.Reason == "" {
		return res, &ReasonRequiredError{Rule: d.Rule}
	}
	var grant Grant
	if d.Approval != nil {
		if grant, err = s.grant(ctx, c, d); err != nil {
			return res, err
		}
		res.GrantedUntil = grant.Until
		res.AccessRequestID = grant.RequestID
	}
	if d.BreakGlass && s.events == nil {
		return res, fmt.Errorf("%w: break-glass rule %s matched, and no events topic is configured", ErrEventsUnavailable, d.Rule)
	}
	res.DurationSeconds = effectiveSeconds(requested, d.Profile.MaxDuration)
	if !grant.Until.IsZero() {
		// A session within a grant ends with it, or 15 minutes (STS's least) after.
		left := int(grant.Until.Sub(s.now()) / time.Second)
		res.DurationSeconds = max(min(res.DurationSeconds, left), minRequestSeconds)
	}

	in := AssumeInput{
		RoleARN:        d.Profile.RoleARN,
		SessionName:    res.SessionName,
		SourceIdentity: res.SourceIdentity,
		Duration:       time.Duration(res.DurationSeconds) * time.Second,
		Policy:         string(session.Scope.Policy),
		PolicyARNs:     session.Scope.ARNs,
	}
	if !session.Scope.Empty() {
		res.SessionPolicy, res.ScopeSHA256, res.ScopeARNs = session.Source, session.Scope.SHA256(), session.Scope.ARNs
	}
	if s.sessionTags {
		in.Tags = []Tag{
			{Key: TagRequestID, Value: tagValue(req.RequestID)},
			{Key: TagRule, Value: tagValue(d.Rule)},
			{Key: TagProfile, Value: tagValue(d.Profile.Name)},
		}
		if d.BreakGlass {
			in.Tags = append(in.Tags, Tag{Key: TagBreakGlass, Value: "true"})
		}
		if res.SessionPolicy == "caller" && res.ScopeSHA256 != "" {
			in.Tags = append(in.Tags, Tag{Key: TagScope, Value: res.ScopeSHA256})
		}
	}
	creds, err := s.assumer.AssumeRole(ctx, in)
	if err != nil {
		if !errors.Is(err, ErrThrottled) && !errors.Is(err, ErrTrustRefused) && !errors.Is(err, ErrSTS) {
			err = fmt.Errorf("%w: %w", ErrSTS, err)
		}
		return res, err
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" || creds.SessionToken == "" || creds.Expiration.IsZero() {
		// Some SDKs never refresh credentials without an expiration; refuse to hand
		// out an incomplete set.
		return res, fmt.Errorf("%w: incomplete credentials from sts", ErrSTS)
	}
	if d.Approval != nil {
		if err := s.regrant(ctx, c, d, grant); err != nil {
			return res, err
		}
	}
	if d.BreakGlass {
		// The alert is what makes break-glass acceptable: without it, the credentials are
		// dropped unseen and the caller is told to retry.
		err := s.events.Publish(ctx, wire.Event{
			Version: wire.EventVersion, Type: wire.EventBreakGlass, Time: s.now().UTC(),
			RequestID: req.RequestID, Caller: c.Wire(), SourceIdentity: res.SourceIdentity,
			Profile: d.Profile.Name, RoleARN: d.Profile.RoleARN, Rule: d.Rule, Reason: req.Reason,
			AccessKeyID: creds.AccessKeyID, DurationSeconds: res.DurationSeconds,
			Expiration: creds.Expiration.UTC(), TVMVersion: s.version,
		})
		if err != nil {
			return res, fmt.Errorf("%w: %w", ErrEventsUnavailable, err)
		}
		res.Alerted = true
	}
	res.Credentials = creds
	return res, nil
}

// Profiles lists every profile with the decision for caller c now. Role ARNs are given
// only for the profiles c is allowed.
func (s *Service) Profiles(ctx context.Context, c identity.Caller) (ProfilesResult, error) {
	if err := s.allow(ctx, c); err != nil {
		return ProfilesResult{}, err
	}
	p, err := s.policy(ctx)
	if err != nil {
		return ProfilesResult{}, err
	}
	now := s.now()
	profiles := p.Profiles()
	out := ProfilesResult{PolicyHash: p.Hash(), Profiles: make([]ProfileDecision, 0, len(profiles))}
	for _, pr := range profiles {
		d := p.Evaluate(policy.Request{
			PrincipalARN: c.ARN,
			AccountID:    c.AccountID,
			OrgID:        c.OrgID,
			Profile:      pr.Name,
			Time:         now,
		})
		if !d.Allowed {
			// A caller learns that a profile exists and why it is refused, not which
			// role it vends: a role ARN names an account and a role worth attacking.
			pr.RoleARN, d.Profile.RoleARN = "", ""
		}
		out.Profiles = append(out.Profiles, ProfileDecision{Profile: pr, Decision: d})
	}
	return out, nil
}

// Whoami says how the TVM sees caller c. It consults the policy too, so that a broken
// policy refuses every route alike.
func (s *Service) Whoami(ctx context.Context, c identity.Caller) (WhoamiResult, error) {
	if err := s.allow(ctx, c); err != nil {
		return WhoamiResult{}, err
	}
	p, err := s.policy(ctx)
	if err != nil {
		return WhoamiResult{}, err
	}
	return WhoamiResult{
		SourceIdentity: identity.SourceIdentity(c, s.prefix),
		PolicyHash:     p.Hash(),
		PolicyVersion:  p.Version(),
	}, nil
}

// SourceIdentity is the SourceIdentity this service sets for caller c.
func (s *Service) SourceIdentity(c identity.Caller) string {
	return identity.SourceIdentity(c, s.prefix)
}

func (s *Service) allow(ctx context.Context, c identity.Caller) error {
	if s.limiter == nil {
		return nil
	}
	now := s.now()
	if sh := s.shared; sh != nil {
		ok, err := sh.store.Take(ctx, rateKey(c), now.Truncate(time.Second), sh.perWindow)
		switch {
		case err == nil && ok:
			return nil
		case err == nil:
			return &retryAfter{err: ErrRateLimited, after: time.Second}
		case !sh.localWhenDown:
			return fmt.Errorf("%w: the shared rate limit: %w", ErrStateUnavailable, err)
		}
		// The store is down and the operators chose this container's own limit meanwhile.
	}
	if ok, wait := s.limiter.allow(rateKey(c), now); !ok {
		return &retryAfter{err: ErrRateLimited, after: wait}
	}
	return nil
}

func (s *Service) policy(ctx context.Context) (*policy.Policy, error) {
	p, err := s.source.Policy(ctx)
	switch {
	case err != nil && errors.Is(err, policy.ErrInvalid):
		return nil, fmt.Errorf("%w: %w", ErrPolicyInvalid, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrPolicyUnavailable, err)
	case p == nil:
		return nil, ErrPolicyUnavailable
	}
	return p, nil
}

// ParseDurationSeconds parses the duration parameter: "" means absent (0); otherwise
// an integer number of seconds in 900..43200, digits only. Anything else wraps
// ErrInvalidDuration. The result is not yet capped; see the profile's maximum.
func ParseDurationSeconds(raw string) (int, error) {
	if raw == "" {
		return 0, nil
	}
	if len(raw) > 5 {
		return 0, fmt.Errorf("%w: not an integer number of seconds in %d..%d", ErrInvalidDuration, minRequestSeconds, maxRequestSeconds)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return 0, fmt.Errorf("%w: not an integer number of seconds", ErrInvalidDuration)
		}
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < minRequestSeconds || n > maxRequestSeconds {
		return 0, fmt.Errorf("%w: not in %d..%d seconds", ErrInvalidDuration, minRequestSeconds, maxRequestSeconds)
	}
	return n, nil
}

// effectiveSeconds caps a request (0 = default) at min(one hour, the profile's maximum)
// and never goes below STS's minimum of 900 seconds.
func effectiveSeconds(requested int, profileMax time.Duration) int {
	limit := wire.MaxDurationSeconds
	if m := int(profileMax / time.Second); m > 0 && m < limit {
		limit = m
	}
	if limit < wire.MinDurationSeconds {
		limit = wire.MinDurationSeconds
	}
	if requested == 0 || requested > limit {
		return limit
	}
	return requested
}

// tagValue keeps a session tag value within STS's rules: at most 256 characters of
// letters, digits, spaces and _ . : / = + - @. Anything else becomes '_'.
func tagValue(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 256 {
			break
		}
		n++
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ',
			strings.ContainsRune("_.:/=+-@", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
