package wire

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Routes served by the TVM.
const (
	PathCredentials = "/v1/credentials"
	PathProfiles    = "/v1/profiles"
	PathWhoami      = "/v1/whoami"
)

// Query parameters of PathCredentials.
const (
	QueryProfile  = "profile"
	QueryDuration = "duration"
	// QueryReason is the caller's justification (vend --reason): required by
	// break-glass rules, recorded in the decision line and events whenever given.
	QueryReason = "reason"
	// QueryScope is the caller's inline session policy (vend --scope): the compact JSON
	// document, base64url-encoded without padding. QueryScopeARN, repeated, names managed
	// session policies (vend --scope-arn). A scope can only narrow the session.
	QueryScope    = "scope"
	QueryScopeARN = "scope_arn"
)

// MaxReasonBytes bounds a justification: UTF-8 bytes, before percent-encoding.
const MaxReasonBytes = 512

// Response headers the TVM sets in addition to the JSON body.
const (
	HeaderRequestID      = "X-Vend-Request-Id"
	HeaderSourceIdentity = "X-Vend-Source-Identity"
)

// Duration limits. A Lambda holds role-session credentials, so its AssumeRole is role
// chaining and STS refuses more than one hour.
const (
	MinDurationSeconds     = 900
	MaxDurationSeconds     = 3600
	DefaultDurationSeconds = 3600
)

// Credentials is the TVM's answer to PathCredentials. The first five fields are the
// container-credentials format that AWS SDKs read; the rest are vend's own and SDKs
// ignore them. Expiration is always set: some SDKs never refresh without it.
type Credentials struct {
	AccessKeyID     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey"`
	Token           string    `json:"Token"`
	Expiration      time.Time `json:"Expiration"`
	AccountID       string    `json:"AccountId,omitempty"`

	RequestID      string `json:"RequestId,omitempty"`
	SourceIdentity string `json:"SourceIdentity,omitempty"`
	RoleARN        string `json:"RoleArn,omitempty"`
	Profile        string `json:"Profile,omitempty"`
	// ScopeSHA256 is the SHA-256 of the inline session policy the session got (the
	// caller's scope or the profile's), for the caller to check.
	ScopeSHA256 string `json:"ScopeSha256,omitempty"`
	// AccessRequestID is set when an approved request's grant allowed the vend: such
	// credentials are not kept in the CLI's disk cache, so that a revoked grant is felt
	// at the next command.
	AccessRequestID string `json:"AccessRequestId,omitempty"`
}

// String keeps the secret and the token out of anything that formats the value.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{AccessKeyId: %s, Expiration: %s, RoleArn: %s}",
		c.AccessKeyID, c.Expiration.Format(time.RFC3339), c.RoleARN)
}

// GoString is String, so that %#v redacts too.
func (c Credentials) GoString() string { return c.String() }

// LogValue keeps the secret and the token out of structured logs.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key_id", c.AccessKeyID),
		slog.Time("expiration", c.Expiration),
		slog.String("role_arn", c.RoleARN),
	)
}

// Error is the body of every error response, from the TVM and from the CLI's loopback
// endpoint. Rule and Reason are set when a policy rule denied the request.
type Error struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
	Rule      string `json:"rule,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Revocation is set with revocation_incomplete: what was done, role by role.
	Revocation *Revocation `json:"revocation,omitempty"`
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Rule != "" {
		s += " (rule " + e.Rule
		if e.Reason != "" {
			s += ": " + e.Reason
		}
		s += ")"
	}
	return s
}

// Stable error codes. Clients may switch on them; never rename one. codes gives each
// its HTTP status.
const (
	CodeBadRequest            = "bad_request"
	CodeInvalidProfile        = "invalid_profile"
	CodeInvalidDuration       = "invalid_duration"
	CodeUnauthenticated       = "unauthenticated"
	CodeAccessDenied          = "access_denied"
	CodePolicyInvalid         = "policy_invalid"
	CodeUnknownProfile        = "unknown_profile"
	CodeNotFound              = "not_found"
	CodeMethodNotAllowed      = "method_not_allowed"
	CodeRequestTooLarge       = "request_too_large"
	CodeRateLimited           = "rate_limited"
	CodeRoleTrustRefused      = "role_trust_refused"
	CodeSTSError              = "sts_error"
	CodeSTSThrottled          = "sts_throttled"
	CodePolicyUnavailable     = "policy_unavailable"
	CodeInvalidReason         = "invalid_reason"
	CodeReasonRequired        = "reason_required"
	CodeInvalidScope          = "invalid_scope"
	CodeScopeRequired         = "scope_required"
	CodeEventsUnavailable     = "events_unavailable"
	CodeApprovalRequired      = "approval_required"
	CodeApprovalNotNeeded     = "approval_not_needed"
	CodeRequestNotFound       = "request_not_found"
	CodeRequestNotPending     = "request_not_pending"
	CodeSelfApproval          = "self_approval"
	CodeNotAnApprover         = "not_an_approver"
	CodeAlreadyDecided        = "already_decided"
	CodeStateUnavailable      = "state_unavailable"
	CodeNotARevoker           = "not_a_revoker"
	CodeInvalidCaller         = "invalid_caller"
	CodeRevocationUnavailable = "revocation_unavailable"
	CodeRevocationIncomplete  = "revocation_incomplete"
	CodeInternal              = "internal_error"
)

// CodeInfo is what the contract says about one error code.
type CodeInfo struct {
	Code string
	// Status is the HTTP status of every TVM answer with this code.
	Status int
	// Meaning is one line for the error reference. It may be empty when the
	// reference's hand-written entry (site/data/errorfixes.json) says it instead.
	Meaning string
}

// codes is the one table of error codes: the TVM's handler takes every error status
// from it (through Status), and the site's error reference is generated from it, in
// this order. The generator reads this source rather than importing the package, so
// write each entry keyed, as {Code: CodeX, Status: 400, Meaning: "..."}, with the
// status as a number and the meaning as a plain string.
var codes = []CodeInfo{
	{Code: CodeBadRequest, Status: 400, Meaning: "malformed request"},
	{Code: CodeInvalidProfile, Status: 400, Meaning: "profile name missing or not a valid name"},
	{Code: CodeInvalidDuration, Status: 400, Meaning: "duration not an integer in range"},
	{Code: CodeUnauthenticated, Status: 401, Meaning: "no verified IAM caller in the request"},
	{Code: CodeAccessDenied, Status: 403, Meaning: "a policy rule (or no rule) denied"},
	{Code: CodePolicyInvalid, Status: 403, Meaning: "the TVM's policy failed to load; every request is refused"},
	{Code: CodeUnknownProfile, Status: 404, Meaning: "no such profile in the policy"},
	{Code: CodeNotFound, Status: 404, Meaning: "no such route"},
	{Code: CodeMethodNotAllowed, Status: 405},
	{Code: CodeRequestTooLarge, Status: 413},
	{Code: CodeRateLimited, Status: 429},
	{Code: CodeRoleTrustRefused, Status: 502, Meaning: "STS AccessDenied: the role's trust policy refused the TVM"},
	{Code: CodeSTSError, Status: 502, Meaning: "STS failed otherwise"},
	{Code: CodeSTSThrottled, Status: 503, Meaning: "STS throttled; Retry-After is set"},
	{Code: CodePolicyUnavailable, Status: 503, Meaning: "the policy could not be fetched: none cached, the parameter gone or unreadable, or stale past the bound"},
	{Code: CodeInvalidReason, Status: 400, Meaning: "reason empty, longer than 512 bytes, not UTF-8, or holding control characters"},
	{Code: CodeReasonRequired, Status: 403, Meaning: "a break-glass rule allows this request only with a reason"},
	{Code: CodeInvalidScope, Status: 400, Meaning: "the scope is not a session policy the TVM passes: not valid, over AWS's limits, or on a profile with session policies of its own"},
	{Code: CodeScopeRequired, Status: 403, Meaning: "the rule allows this caller only with a scope of their own (vend --scope or --scope-arn)"},
	{Code: CodeEventsUnavailable, Status: 503, Meaning: "the alert a break-glass vend must raise could not be published; nothing was vended"},
	{Code: CodeApprovalRequired, Status: 403, Meaning: "the rule needs an approved request and the caller has no grant"},
	{Code: CodeApprovalNotNeeded, Status: 409, Meaning: "a request for a profile the caller may vend without one"},
	{Code: CodeRequestNotFound, Status: 404, Meaning: "no request has this ID"},
	{Code: CodeRequestNotPending, Status: 409, Meaning: "the request was decided, expired or revoked, or the policy no longer asks for it"},
	{Code: CodeSelfApproval, Status: 403, Meaning: "a requester cannot decide their own request"},
	{Code: CodeNotAnApprover, Status: 403, Meaning: "the policy does not name the caller as an approver of the request"},
	{Code: CodeAlreadyDecided, Status: 409, Meaning: "the caller decided this request already"},
	{Code: CodeStateUnavailable, Status: 503, Meaning: "the state table cannot be reached or is not configured: no request, decision or grant check"},
	{Code: CodeNotARevoker, Status: 403, Meaning: "revoking a caller is for the policy's administrators"},
	{Code: CodeInvalidCaller, Status: 400, Meaning: "the caller to revoke is not an IAM or STS principal ARN"},
	{Code: CodeRevocationUnavailable, Status: 503, Meaning: "the TVM has no revocation policy writer configured: nothing was revoked"},
	{Code: CodeRevocationIncomplete, Status: 503, Meaning: "the grants ended, but a role's revocation policy was not written: its sessions may still work; revoke again"},
	{Code: CodeInternal, Status: 500},
}

// Codes returns every error code with its status, in the order the reference lists them.
func Codes() []CodeInfo { return slices.Clone(codes) }

// Status returns the HTTP status the TVM answers code with: 500 for a code the table
// does not list, which the tests of this package and the handler rule out.
func Status(code string) int {
	for i := range codes {
		if codes[i].Code == code {
			return codes[i].Status
		}
	}
	return 500
}

// Caller is the verified caller as the TVM sees it.
type Caller struct {
	ARN           string `json:"arn"`
	AccountID     string `json:"account_id"`
	OrgID         string `json:"org_id,omitempty"`
	UserID        string `json:"user_id,omitempty"`
	PrincipalType string `json:"principal_type"` // user, assumed-role, identity-center, root, federated-user, unknown
	Name          string `json:"name,omitempty"` // human-readable, for display only
}

// Whoami is the answer to PathWhoami.
type Whoami struct {
	Caller         Caller `json:"caller"`
	SourceIdentity string `json:"source_identity"`
	PolicyHash     string `json:"policy_hash"`
	PolicyVersion  int    `json:"policy_version"`
	TVMVersion     string `json:"tvm_version,omitempty"`
	TVMCommit      string `json:"tvm_commit,omitempty"`
	TVMBuildDate   string `json:"tvm_build_date,omitempty"`
	RequestID      string `json:"request_id,omitempty"`
}

// ProfileStatus says whether the caller may request one profile now, and which rule says so.
// RoleARN is set only when Allowed: a caller is not told the roles it cannot get.
type ProfileStatus struct {
	Name               string `json:"name"`
	RoleARN            string `json:"role_arn,omitempty"`
	Description        string `json:"description,omitempty"`
	MaxDurationSeconds int    `json:"max_duration_seconds"`
	Allowed            bool   `json:"allowed"`
	Rule               string `json:"rule"`
	Reason             string `json:"reason,omitempty"`
	// RequiresScope says the deciding rule allows only with the caller's scope (vend
	// --scope); SessionPolicies says the profile narrows every session itself (and so
	// takes no scope).
	RequiresScope   bool `json:"requires_scope,omitempty"`
	SessionPolicies bool `json:"session_policies,omitempty"`
}

// Profiles is the answer to PathProfiles: every profile in the policy with the decision
// for this caller at the time of the request.
type Profiles struct {
	Caller     Caller          `json:"caller"`
	PolicyHash string          `json:"policy_hash"`
	Profiles   []ProfileStatus `json:"profiles"`
	RequestID  string          `json:"request_id,omitempty"`
}

// Event types, published to the TVM's events topic.
const (
	// EventBreakGlass: a break-glass rule vended credentials, with the caller's reason.
	EventBreakGlass = "break_glass"
	// EventRequestCreated: a caller asked for a profile that needs approval.
	EventRequestCreated = "request_created"
	// EventRequestApproved: an approver approved a request that needs more approvals.
	EventRequestApproved = "request_approved"
	// EventGrantStarted: the last approval a request needed; its grant has begun.
	EventGrantStarted = "grant_started"
	// EventRequestRejected: an approver rejected a request.
	EventRequestRejected = "request_rejected"
	// EventRevoked: someone revoked a caller's sessions (and a request's grant, or all the
	// caller's grants).
	EventRevoked = "revoked"
	// EventRequestExpired: a request lapsed undecided.
	EventRequestExpired = "request_expired"
	// EventGrantExpired: an approved request's grant ended.
	EventGrantExpired = "grant_expired"
)

// EventVersion is the version of the event schema.
const EventVersion = 1

// Event is one access-workflow event as the TVM publishes it: who, what, why, and the
// request ID that ties it to a decision line. It never holds a credential: the issued
// access key ID is an identifier CloudTrail shows, not a secret.
type Event struct {
	Version        int       `json:"version"`
	Type           string    `json:"type"`
	Time           time.Time `json:"time"`
	RequestID      string    `json:"request_id"`
	Caller         Caller    `json:"caller"`
	SourceIdentity string    `json:"source_identity"`
	Profile        string    `json:"profile"`
	RoleARN        string    `json:"role_arn,omitempty"`
	Rule           string    `json:"rule,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	// The session fields are set for events about a vend: its access key ID, lifetime and
	// end, so that responders can find it in CloudTrail.
	AccessKeyID     string    `json:"access_key_id,omitempty"`
	DurationSeconds int       `json:"duration_seconds,omitempty"`
	Expiration      time.Time `json:"expiration,omitzero"`
	TVMVersion      string    `json:"tvm_version,omitempty"`
	// The request fields are set for events about an access request: its ID, its status
	// after the event, and who decided (approver) when someone did.
	AccessRequestID string `json:"access_request_id,omitempty"`
	Status          string `json:"status,omitempty"`
	By              string `json:"by,omitempty"`
	// The revocation fields are set for revoked events: sessions issued before
	// RevokedBefore on RoleARNs end; Incomplete lists the roles whose policy could not be
	// written.
	RevokedBefore time.Time `json:"revoked_before,omitzero"`
	RoleARNs      []string  `json:"role_arns,omitempty"`
	Incomplete    []string  `json:"incomplete,omitempty"`
}

// CheckReason says what is wrong with a justification, or nil: it must be UTF-8, from 1
// to MaxReasonBytes bytes, with no control characters (line breaks and tabs included)
// and none of the Unicode characters that reorder or hide text, so that it shows in a
// log, an alert or a terminal as what it says.
func CheckReason(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("reason is empty: say why you need the access, e.g. an incident or ticket")
	case len(s) > MaxReasonBytes:
		return fmt.Errorf("reason is %d bytes long; at most %d", len(s), MaxReasonBytes)
	case !utf8.ValidString(s):
		return errors.New("reason is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
			return fmt.Errorf("reason holds the control or format character %U; write it on one line of plain text", r)
		}
	}
	return nil
}

// Routes of the access workflows. PathRequests answers GET (the requests the caller made
// or may decide) and POST (a new request: QueryProfile, QueryReason, QueryDuration for
// the grant); the decisions are POSTs with QueryID and an optional QueryComment.
const (
	PathRequests = "/v1/requests"
	PathApprove  = "/v1/requests/approve"
	PathReject   = "/v1/requests/reject"
	// PathRevoke (POST) ends a grant and the sessions already issued: QueryID names a
	// request, or QueryCaller a caller (with QueryProfile to limit it to one profile).
	PathRevoke = "/v1/revoke"
)

// Query parameters of the access-workflow routes.
const (
	QueryID      = "id"
	QueryComment = "comment"
	QueryCaller  = "caller"
)

// The statuses of an access request.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
	StatusExpired  = "expired"
	StatusRevoked  = "revoked"
)

// AccessRequest is a request for a profile that needs approval, as the TVM reports it.
// Status is computed when it is read: an approved request whose grant has ended, or a
// pending one past ExpiresAt, is expired.
type AccessRequest struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Requester Caller    `json:"requester"`
	Profile   string    `json:"profile"`
	Rule      string    `json:"rule"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when a pending request lapses undecided.
	ExpiresAt time.Time `json:"expires_at"`
	// Approvals is how many the rule needs; Decisions lists those given, and the
	// rejection or revocation that ended the request.
	Approvals    int        `json:"approvals_needed"`
	GrantSeconds int        `json:"grant_seconds"`
	GrantedUntil time.Time  `json:"granted_until,omitzero"`
	Decisions    []Decision `json:"decisions"`
	// ExpiryPublished is when the TVM's sweep published the request's expiry event: each
	// expiry is published once.
	ExpiryPublished time.Time `json:"expiry_published,omitzero"`
}

// The actions a Decision records.
const (
	ActionApprove = "approve"
	ActionReject  = "reject"
	ActionRevoke  = "revoke"
)

// ApprovalsGiven counts the approvals among r's decisions.
func (r AccessRequest) ApprovalsGiven() int {
	n := 0
	for _, d := range r.Decisions {
		if d.Action == ActionApprove {
			n++
		}
	}
	return n
}

// Decision is one approver's approval or rejection, or a revocation.
type Decision struct {
	By      string    `json:"by"`
	Action  string    `json:"action"` // ActionApprove, ActionReject or ActionRevoke
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

// Revocation is the answer to POST PathRevoke: whose sessions, issued before when, end on
// which roles, and which requests' grants ended with them.
type Revocation struct {
	Caller         Caller          `json:"caller"`
	SourceIdentity string          `json:"source_identity"`
	Before         time.Time       `json:"issued_before"`
	Roles          []RevokedRole   `json:"roles"`
	Requests       []AccessRequest `json:"requests"`
	RequestID      string          `json:"request_id,omitempty"`
}

// RevokedRole is one role a revocation was written to.
type RevokedRole struct {
	RoleARN   string `json:"role_arn"`
	PolicyARN string `json:"policy_arn"`
	// Done is false when the role's revocation policy could not be written: sessions on
	// the role may still work, and the same revocation should be made again.
	Done  bool   `json:"done"`
	Error string `json:"error,omitempty"`
}

// AccessRequests is the answer to GET PathRequests.
type AccessRequests struct {
	Requests  []AccessRequest `json:"requests"`
	RequestID string          `json:"request_id,omitempty"`
}
