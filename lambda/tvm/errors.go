package tvm

import (
	"errors"
	"time"

	"github.com/vend-tvm/vend/lambda/policy"
)

// Sentinel errors of the core. Errors returned by Service wrap exactly one of them; the
// edge switches with errors.Is and never shows the wrapped text to the caller.
var (
	// ErrDenied: a policy rule (or the default deny) refused the request. The error is a
	// *DeniedError carrying the rule and reason.
	ErrDenied = errors.New("denied by policy")
	// ErrUnknownProfile: the policy has no such profile.
	ErrUnknownProfile = errors.New("unknown profile")
	// ErrInvalidDuration: the requested duration is not an integer in 900..43200.
	ErrInvalidDuration = errors.New("invalid duration")
	// ErrPolicyInvalid: the policy failed to load or validate; every request is refused.
	ErrPolicyInvalid = errors.New("policy invalid")
	// ErrPolicyUnavailable: the policy could not be fetched and none may be used: none is
	// cached, the parameter is gone or unreadable, or the cached copy is too stale.
	ErrPolicyUnavailable = errors.New("policy unavailable")
	// ErrTrustRefused: STS said AccessDenied, i.e. the role's trust policy (or the TVM's
	// own permissions) refused the TVM.
	ErrTrustRefused = errors.New("role trust policy refused the tvm")
	// ErrThrottled: STS throttled the TVM even after retries.
	ErrThrottled = errors.New("sts throttled")
	// ErrSTS: STS failed in any other way.
	ErrSTS = errors.New("sts error")
	// ErrRateLimited: this caller exceeded the per-container request rate.
	ErrRateLimited = errors.New("rate limited")
	// ErrReasonRequired: a break-glass rule allows the request, but the caller gave no
	// reason. The error is a *DeniedError-like *ReasonRequiredError naming the rule.
	ErrReasonRequired = errors.New("reason required")
	// ErrEventsUnavailable: the alert a break-glass vend must raise was not published
	// (no events topic is configured, or publishing failed); nothing was vended.
	ErrEventsUnavailable = errors.New("events unavailable")
	// ErrScopeRequired: the deciding rule allows the request only with the caller's own
	// scope, and none was given. ErrInvalidScope: the caller's scope cannot be used for
	// this profile. The error is a *ScopeError, whose text is written for the caller.
	ErrScopeRequired = policy.ErrScopeRequired
	ErrInvalidScope  = policy.ErrInvalidScope
)

// ScopeError is policy.Decision.Session's refusal of a scope, or of its absence.
type ScopeError = policy.ScopeError

// Errors of the access workflows.
var (
	// ErrApprovalRequired: the deciding rule needs approval and the caller has no grant.
	ErrApprovalRequired = errors.New("approval required")
	// ErrApprovalNotNeeded: a request for a profile the caller may vend without one.
	ErrApprovalNotNeeded = errors.New("approval not needed")
	// ErrRequestNotFound: no request has the ID (or the caller may not see it).
	ErrRequestNotFound = errors.New("no such request")
	// ErrRequestClosed: the request is no longer pending (decided, expired, revoked), or
	// the policy no longer asks for approval of it.
	ErrRequestClosed = errors.New("request not pending")
	// ErrNotApprover: the caller may not decide this request.
	ErrNotApprover = errors.New("not an approver")
	// ErrSelfApproval: the caller is the requester.
	ErrSelfApproval = errors.New("self approval")
	// ErrAlreadyDecided: the caller approved this request already.
	ErrAlreadyDecided = errors.New("already decided")
	// ErrStateConflict: the request changed between reading and writing it; the core
	// reads it again and decides anew.
	ErrStateConflict = errors.New("state changed meanwhile")
	// ErrStateUnavailable: the state store cannot be reached or is not configured.
	ErrStateUnavailable = errors.New("state store unavailable")
)

// Errors of revocation.
var (
	// ErrNotRevoker: the caller may not make this revocation.
	ErrNotRevoker = errors.New("not allowed to revoke")
	// ErrInvalidCaller: the caller to revoke is not a principal ARN.
	ErrInvalidCaller = errors.New("invalid caller")
	// ErrRevocationUnavailable: the TVM cannot write revocation policies (none is
	// configured).
	ErrRevocationUnavailable = errors.New("revocation unavailable")
	// ErrRevocationIncomplete: the grants ended, but the revocation policy of at least one
	// role could not be written. The error is a *RevocationIncompleteError.
	ErrRevocationIncomplete = errors.New("revocation incomplete")
)

// ReasonRequiredError names the break-glass rule that wants a reason.
type ReasonRequiredError struct{ Rule string }

func (e *ReasonRequiredError) Error() string {
	return "break-glass rule " + e.Rule + " requires a reason"
}

// Is makes errors.Is(err, ErrReasonRequired) true.
func (e *ReasonRequiredError) Is(target error) bool { return target == ErrReasonRequired }

// DeniedError says which rule denied a request and why.
type DeniedError struct {
	Rule   string
	Reason string
}

func (e *DeniedError) Error() string {
	if e.Reason == "" {
		return "denied by policy rule " + e.Rule
	}
	return "denied by policy rule " + e.Rule + ": " + e.Reason
}

// Is makes errors.Is(err, ErrDenied) true.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// RetryAfterError is implemented by errors that know when a retry makes sense
// (throttling, rate limiting). Assumer implementations may return one.
type RetryAfterError interface {
	error
	RetryAfter() time.Duration
}

// retryAfter wraps a sentinel with a retry hint.
type retryAfter struct {
	err   error
	after time.Duration
}

func (e *retryAfter) Error() string             { return e.err.Error() }
func (e *retryAfter) Unwrap() error             { return e.err }
func (e *retryAfter) RetryAfter() time.Duration { return e.after }

// RetryAfter returns the retry hint carried by err, or def when it carries none.
func RetryAfter(err error, def time.Duration) time.Duration {
	var ra RetryAfterError
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		return ra.RetryAfter()
	}
	return def
}

// WithRetryAfter wraps err with a retry hint that RetryAfter finds. Assumer
// implementations use it for throttling.
func WithRetryAfter(err error, after time.Duration) error {
	return &retryAfter{err: err, after: after}
}
