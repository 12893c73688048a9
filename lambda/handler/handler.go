package handler

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// Service is the core the handler drives; *tvm.Service implements it.
type Service interface {
	Credentials(ctx context.Context, c identity.Caller, req tvm.CredentialsRequest) (tvm.Result, error)
	Profiles(ctx context.Context, c identity.Caller) (tvm.ProfilesResult, error)
	Whoami(ctx context.Context, c identity.Caller) (tvm.WhoamiResult, error)
	Request(ctx context.Context, c identity.Caller, req tvm.CredentialsRequest) (wire.AccessRequest, error)
	Requests(ctx context.Context, c identity.Caller) ([]wire.AccessRequest, error)
	Decide(ctx context.Context, c identity.Caller, id, action, comment, requestID string) (wire.AccessRequest, error)
	Revoke(ctx context.Context, c identity.Caller, in tvm.RevokeInput) (wire.Revocation, error)
	Sweep(ctx context.Context) (tvm.SweepResult, error)
}

// Retry-After hints for answers that invite a retry.
const (
	defaultThrottleRetry = 2 * time.Second
	policyRetry          = 5 * time.Second
)

// Bounds on caller-controlled text in the decision log.
const (
	maxLogField   = 256
	maxLogProfile = 128
)

// Handler is the TVM's Lambda handler. It is safe for concurrent use.
type Handler struct {
	svc        Service
	logger     *slog.Logger // operational lines (panics)
	decisions  *slog.Logger // the decision log; nil means logger
	version    string
	commit     string
	buildDate  string
	startupErr error
}

// Option configures a Handler.
type Option func(*Handler)

// WithLogger sets the logger for decision lines and warnings (default: JSON on stdout).
func WithLogger(l *slog.Logger) Option {
	return func(h *Handler) {
		if l != nil {
			h.logger = l
		}
	}
}

// WithDecisionLogger sets a separate logger for decision lines. Main uses it so that
// VEND_LOG_LEVEL can quiet operational lines without ever dropping the audit trail.
func WithDecisionLogger(l *slog.Logger) Option {
	return func(h *Handler) { h.decisions = l }
}

// WithBuild sets the commit and build date that whoami reports beside the version.
func WithBuild(commit, date string) Option {
	return func(h *Handler) { h.commit, h.buildDate = commit, date }
}

// WithVersion sets the TVM version reported in logs and whoami.
func WithVersion(v string) Option {
	return func(h *Handler) { h.version = v }
}

// WithStartupError makes every request fail closed with 500 internal_error: main uses it
// when the configuration is invalid, so that the function answers (and logs why) instead
// of crash-looping. The error is logged, never shown to callers.
func WithStartupError(err error) Option {
	return func(h *Handler) { h.startupErr = err }
}

// New returns a Handler driving svc. svc may be nil only with WithStartupError.
func New(svc Service, opts ...Option) *Handler {
	h := &Handler{svc: svc, logger: slog.New(slog.NewJSONHandler(os.Stdout, nil))}
	for _, o := range opts {
		o(h)
	}
	if h.decisions == nil {
		h.decisions = h.logger
	}
	if h.svc == nil && h.startupErr == nil {
		h.startupErr = errors.New("handler has no service")
	}
	return h
}

// response is the Function URL / HTTP API response. Both accept this shape.
type response struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// record collects what the decision log line says about one request.
type record struct {
	requestID      string
	caller         identity.Caller
	sourceIP       string
	userAgent      string
	method         string
	path           string
	profile        string
	roleARN        string
	status         int
	code           string
	rule           string
	reason         string
	duration       int
	sourceIdentity string
	accessKeyID    string
	policyHash     string
	justification  string // the caller's reason, as checked
	breakGlass     bool
	alerted        bool
	accessRequest  string // the access request a vend used or a route acted on
	sessionPolicy  string // whose session policies a vend passed: profile, caller or ""
	scopeSHA256    string // the inline session policy's SHA-256, never the document
	scopeARNs      []string
	revokedCaller  string // whose sessions a revocation ended
	err            error
}

// marshalFailed is the answer when the response itself cannot be encoded. A test ties
// its status to the wire table.
const marshalFailed = `{"statusCode":500,"headers":{"Content-Type":"application/json","Cache-Control":"no-store"},"body":"{\"code\":\"internal_error\",\"message\":\"internal error\"}"}`

// Invoke handles one event. It always returns a response and a nil error: an error
// returned to Lambda would reach the caller as an opaque 502 and skip the decision log.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if isScheduled(payload) {
		return h.sweep(ctx), nil
	}
	start := time.Now()
	rec := &record{}
	resp := h.serve(ctx, payload, rec)
	h.logDecision(ctx, rec, start)
	out, err := json.Marshal(resp)
	if err != nil {
		// Unreachable with these types; answer something well-formed all the same.
		return []byte(marshalFailed), nil
	}
	return out, nil
}

func (h *Handler) serve(ctx context.Context, payload []byte, rec *record) response {
	var ev Event
	decodeErr := json.Unmarshal(payload, &ev)
	rec.requestID = requestID(ctx, ev.RequestContext.RequestID)
	rec.method = ev.RequestContext.HTTP.Method
	rec.path = EventPath(&ev)
	rec.sourceIP = ev.RequestContext.HTTP.SourceIP
	rec.userAgent = ev.RequestContext.HTTP.UserAgent
	if decodeErr != nil {
		rec.err = decodeErr
		return h.fail(rec, wire.CodeBadRequest, "malformed event", nil)
	}
	if h.startupErr != nil {
		rec.err = h.startupErr
		rec.reason = "tvm configuration invalid"
		return h.fail(rec, wire.CodeInternal, "the TVM is misconfigured; its operators have the details in its logs", nil)
	}
	caller, err := identity.FromAuthorizer(ev.iam())
	if err != nil {
		if a := ev.iam(); a != nil {
			rec.caller.ARN = a.UserARN
		}
		rec.err = err
		return h.fail(rec, wire.CodeUnauthenticated, "no verified IAM caller: the request must be SigV4-signed through an AWS_IAM-authenticated endpoint", nil)
	}
	rec.caller = caller
	req, rerr := ParseRequest(&ev)
	if rerr != nil {
		rec.profile = rerr.Profile
		var hdr map[string]string
		if rerr.Allow != "" {
			hdr = map[string]string{"Allow": rerr.Allow}
		}
		return h.fail(rec, rerr.Code, rerr.Message, hdr)
	}
	rec.path = req.Path

	var resp response
	if p := h.protect(rec, func() { resp = h.route(ctx, caller, req, rec) }); p {
		return h.fail(rec, wire.CodeInternal, "internal error", nil)
	}
	return resp
}

// protect runs fn and turns a panic into a logged failure, so that one bad request
// cannot crash the invocation (and lose its decision line).
func (h *Handler) protect(rec *record, fn func()) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			// Only a runtime error's text is logged: any other panic value is arbitrary
			// data and could carry something that must not reach a log.
			what := "panic of type " + typeName(v)
			if re, ok := v.(runtime.Error); ok {
				what = re.Error()
			}
			h.logger.LogAttrs(context.Background(), slog.LevelError, "panic",
				slog.String("request_id", rec.requestID),
				slog.String("panic", what),
				slog.String("stack", string(debug.Stack())),
				slog.String("tvm_version", h.version))
			rec.err = errors.New(what)
		}
	}()
	fn()
	return false
}

func (h *Handler) route(ctx context.Context, c identity.Caller, req Request, rec *record) response {
	switch req.Route {
	case RouteCredentials:
		return h.credentials(ctx, c, req, rec)
	case RouteProfiles:
		return h.profiles(ctx, c, rec)
	case RouteRequests:
		if req.Method == http.MethodPost {
			return h.createRequest(ctx, c, req, rec)
		}
		return h.listRequests(ctx, c, rec)
	case RouteApprove:
		return h.decide(ctx, c, req, tvm.ActionApprove, rec)
	case RouteReject:
		return h.decide(ctx, c, req, tvm.ActionReject, rec)
	case RouteRevoke:
		return h.revoke(ctx, c, req, rec)
	default:
		return h.whoami(ctx, c, rec)
	}
}

func (h *Handler) credentials(ctx context.Context, c identity.Caller, req Request, rec *record) response {
	rec.profile = req.Profile
	rec.justification = req.Reason
	res, err := h.svc.Credentials(ctx, c, tvm.CredentialsRequest{Profile: req.Profile, Duration: req.Duration, RequestID: rec.requestID, Reason: req.Reason, Scope: req.Scope})
	rec.breakGlass, rec.alerted, rec.accessRequest = res.Decision.BreakGlass, res.Alerted, res.AccessRequestID
	rec.sourceIdentity = res.SourceIdentity
	rec.policyHash = res.PolicyHash
	rec.roleARN = res.Profile.RoleARN
	rec.rule = res.Decision.Rule
	rec.reason = res.Decision.Reason
	rec.duration = res.DurationSeconds
	// The scope's hash and ARNs, never its document: the log names what was passed.
	rec.sessionPolicy, rec.scopeSHA256, rec.scopeARNs = res.SessionPolicy, req.Scope.SHA256(), req.Scope.ARNs
	if res.SessionPolicy == "profile" {
		rec.scopeSHA256, rec.scopeARNs = res.ScopeSHA256, res.ScopeARNs
	}
	if err != nil {
		return h.coreError(rec, err)
	}
	rec.accessKeyID = res.Credentials.AccessKeyID
	body := wire.Credentials{
		AccessKeyID:     res.Credentials.AccessKeyID,
		SecretAccessKey: res.Credentials.SecretAccessKey,
		Token:           res.Credentials.SessionToken,
		Expiration:      res.Credentials.Expiration.UTC(),
		AccountID:       res.AccountID,
		RequestID:       rec.requestID,
		SourceIdentity:  res.SourceIdentity,
		RoleARN:         res.Profile.RoleARN,
		Profile:         res.Profile.Name,
		AccessRequestID: res.AccessRequestID,
		ScopeSHA256:     res.ScopeSHA256,
	}
	return h.ok(rec, body, map[string]string{wire.HeaderSourceIdentity: res.SourceIdentity})
}

func (h *Handler) profiles(ctx context.Context, c identity.Caller, rec *record) response {
	res, err := h.svc.Profiles(ctx, c)
	rec.policyHash = res.PolicyHash
	if err != nil {
		return h.coreError(rec, err)
	}
	body := wire.Profiles{
		Caller:     c.Wire(),
		PolicyHash: res.PolicyHash,
		Profiles:   make([]wire.ProfileStatus, 0, len(res.Profiles)),
		RequestID:  rec.requestID,
	}
	for _, p := range res.Profiles {
		st := wire.ProfileStatus{
			Name:               p.Profile.Name,
			Description:        p.Profile.Description,
			MaxDurationSeconds: maxSeconds(p.Profile.MaxDuration),
			Allowed:            p.Decision.Allowed,
			Rule:               p.Decision.Rule,
			Reason:             p.Decision.Reason,
			RequiresScope:      p.Decision.Allowed && p.Decision.RequireScope,
			SessionPolicies:    p.Profile.Narrowed(),
		}
		// The core already leaves it out for denied profiles; the edge makes sure
		// whatever Service it drives.
		if p.Decision.Allowed {
			st.RoleARN = p.Profile.RoleARN
		}
		body.Profiles = append(body.Profiles, st)
	}
	return h.ok(rec, body, nil)
}

func (h *Handler) whoami(ctx context.Context, c identity.Caller, rec *record) response {
	res, err := h.svc.Whoami(ctx, c)
	rec.policyHash = res.PolicyHash
	rec.sourceIdentity = res.SourceIdentity
	if err != nil {
		return h.coreError(rec, err)
	}
	return h.ok(rec, wire.Whoami{
		Caller:         c.Wire(),
		SourceIdentity: res.SourceIdentity,
		PolicyHash:     res.PolicyHash,
		PolicyVersion:  res.PolicyVersion,
		TVMVersion:     h.version,
		TVMCommit:      h.commit,
		TVMBuildDate:   h.buildDate,
		RequestID:      rec.requestID,
	}, nil)
}

// maxSeconds is what a profile can actually give: its maximum, capped at one hour.
func maxSeconds(d time.Duration) int {
	s := int(d / time.Second)
	if s <= 0 || s > wire.MaxDurationSeconds {
		return wire.MaxDurationSeconds
	}
	return s
}

// coreError maps the core's errors to wire codes. Messages are fixed per kind: the wrapped
// error text (STS messages, parse errors) goes to the log only.
func (h *Handler) coreError(rec *record, err error) response {
	rec.err = err
	var denied *tvm.DeniedError
	switch {
	case errors.As(err, &denied):
		rec.rule, rec.reason = denied.Rule, denied.Reason
		return h.failWith(rec, wire.Error{
			Code: wire.CodeAccessDenied, Message: "the policy does not allow this caller to request this profile",
			Rule: denied.Rule, Reason: denied.Reason,
		}, nil)
	case errors.Is(err, tvm.ErrReasonRequired):
		return h.failWith(rec, wire.Error{
			Code:    wire.CodeReasonRequired,
			Message: "this profile is break-glass: give a reason (vend --reason TEXT) and the TVM vends, and alerts",
			Rule:    rec.rule,
		}, nil)
	case errors.Is(err, tvm.ErrScopeRequired):
		return h.failWith(rec, wire.Error{
			Code:    wire.CodeScopeRequired,
			Message: "the rule allows you this profile only with a scope of your own: narrow the session with vend --scope POLICY.json (or --scope-arn ARN)",
			Rule:    rec.rule,
		}, nil)
	case errors.Is(err, tvm.ErrInvalidScope):
		msg := "the scope cannot be used for this profile"
		var se *tvm.ScopeError
		if errors.As(err, &se) {
			msg = se.Msg
		}
		return h.fail(rec, wire.CodeInvalidScope, msg, nil)
	case errors.Is(err, tvm.ErrEventsUnavailable):
		return h.fail(rec, wire.CodeEventsUnavailable, "the TVM could not raise the alert a break-glass vend needs, so it vended nothing; retry, or ask the TVM's operators to check its events topic", retryAfter(time.Second))
	case errors.Is(err, tvm.ErrApprovalRequired):
		return h.failWith(rec, wire.Error{
			Code:    wire.CodeApprovalRequired,
			Message: "this profile needs an approved request: ask with vend request PROFILE --reason TEXT, and vend it once approved",
			Rule:    rec.rule,
		}, nil)
	case errors.Is(err, tvm.ErrApprovalNotNeeded):
		return h.fail(rec, wire.CodeApprovalNotNeeded, "you may vend this profile now, without a request", nil)
	case errors.Is(err, tvm.ErrRequestNotFound):
		return h.fail(rec, wire.CodeRequestNotFound, "no request has this ID", nil)
	case errors.Is(err, tvm.ErrRequestClosed):
		return h.fail(rec, wire.CodeRequestNotPending, "the request is no longer pending: "+closedWhy(err), nil)
	case errors.Is(err, tvm.ErrSelfApproval):
		return h.fail(rec, wire.CodeSelfApproval, "you cannot decide your own request", nil)
	case errors.Is(err, tvm.ErrNotApprover):
		return h.fail(rec, wire.CodeNotAnApprover, "the policy does not name you as an approver of this request", nil)
	case errors.Is(err, tvm.ErrAlreadyDecided):
		return h.fail(rec, wire.CodeAlreadyDecided, "you have decided this request already", nil)
	case errors.Is(err, tvm.ErrStateUnavailable):
		return h.fail(rec, wire.CodeStateUnavailable, "the TVM's state table cannot be reached, so it cannot check or change requests and grants; retry later", retryAfter(time.Second))
	case errors.Is(err, tvm.ErrNotRevoker):
		return h.fail(rec, wire.CodeNotARevoker, "revoking a caller is for the policy's administrators; a request may also be revoked by its approvers and its requester", nil)
	case errors.Is(err, tvm.ErrInvalidCaller):
		return h.fail(rec, wire.CodeInvalidCaller, "the caller to revoke is not a principal ARN", nil)
	case errors.Is(err, tvm.ErrRevocationUnavailable):
		return h.fail(rec, wire.CodeRevocationUnavailable, "this TVM cannot write revocation policies, so nothing was revoked; ask its operators to configure revocation (the state table and the protected roles' revocation policies)", nil)
	case errors.Is(err, tvm.ErrRevocationIncomplete):
		return h.fail(rec, wire.CodeRevocationIncomplete, "the grants ended, but a revocation policy was not written, so sessions may still work; revoke again", retryAfter(time.Second))
	case errors.Is(err, tvm.ErrUnknownProfile):
		return h.fail(rec, wire.CodeUnknownProfile, "the policy defines no such profile", nil)
	case errors.Is(err, tvm.ErrInvalidDuration):
		return h.fail(rec, wire.CodeInvalidDuration, durationMessage, nil)
	case errors.Is(err, tvm.ErrRateLimited):
		return h.fail(rec, wire.CodeRateLimited, "too many requests from this caller; retry later",
			retryAfter(tvm.RetryAfter(err, time.Second)))
	case errors.Is(err, tvm.ErrPolicyInvalid):
		return h.fail(rec, wire.CodePolicyInvalid, "the TVM's policy failed to load; every request is refused until it is fixed", nil)
	case errors.Is(err, tvm.ErrPolicyUnavailable):
		return h.fail(rec, wire.CodePolicyUnavailable, "the TVM's policy is unavailable; retry later", retryAfter(policyRetry))
	case errors.Is(err, tvm.ErrTrustRefused):
		return h.fail(rec, wire.CodeRoleTrustRefused, "the role's trust policy refused the TVM (it needs sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession for the TVM role)", nil)
	case errors.Is(err, tvm.ErrThrottled):
		return h.fail(rec, wire.CodeSTSThrottled, "STS is throttling the TVM; retry later",
			retryAfter(tvm.RetryAfter(err, defaultThrottleRetry)))
	case errors.Is(err, tvm.ErrSTS):
		return h.fail(rec, wire.CodeSTSError, "STS failed to issue credentials", nil)
	default:
		return h.fail(rec, wire.CodeInternal, "internal error", nil)
	}
}

func retryAfter(d time.Duration) map[string]string {
	secs := int(math.Ceil(d.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return map[string]string{"Retry-After": strconv.Itoa(secs)}
}

func (h *Handler) fail(rec *record, code, message string, extra map[string]string) response {
	return h.failWith(rec, wire.Error{Code: code, Message: message}, extra)
}

// failWith answers an error. The status comes from the code, through the wire table, so
// that the TVM never answers a code with another status than the contract (and the
// error reference generated from it) gives.
func (h *Handler) failWith(rec *record, body wire.Error, extra map[string]string) response {
	status := wire.Status(body.Code)
	rec.status, rec.code = status, body.Code
	body.RequestID = rec.requestID
	return h.respond(rec, status, body, extra)
}

func (h *Handler) ok(rec *record, body any, extra map[string]string) response {
	rec.status = http.StatusOK
	return h.respond(rec, http.StatusOK, body, extra)
}

func (h *Handler) respond(rec *record, status int, body any, extra map[string]string) response {
	b, err := json.Marshal(body)
	if err != nil {
		status = wire.Status(wire.CodeInternal)
		rec.status, rec.code, rec.err = status, wire.CodeInternal, err
		b, _ = json.Marshal(wire.Error{Code: wire.CodeInternal, Message: "internal error", RequestID: rec.requestID})
	}
	headers := make(map[string]string, 4+len(extra))
	headers["Content-Type"] = "application/json"
	headers["Cache-Control"] = "no-store"
	headers[wire.HeaderRequestID] = rec.requestID
	for k, v := range extra {
		headers[k] = v
	}
	return response{StatusCode: status, Headers: headers, Body: string(b)}
}

// decision classifies a request for the log: allow when answered, deny when the caller
// was refused for who they are or what they asked, error otherwise.
func decision(rec *record) string {
	switch {
	case rec.status > 0 && rec.status < 400:
		return "allow"
	case rec.code == wire.CodeAccessDenied, rec.code == wire.CodePolicyInvalid, rec.code == wire.CodeReasonRequired, rec.code == wire.CodeScopeRequired,
		rec.code == wire.CodeApprovalRequired, rec.code == wire.CodeSelfApproval, rec.code == wire.CodeNotAnApprover,
		rec.code == wire.CodeUnknownProfile, rec.code == wire.CodeUnauthenticated:
		return "deny"
	default:
		return "error"
	}
}

// logDecision writes the request's one decision line. It carries identifiers only: the
// issued access key ID, never the secret key or the session token.
func (h *Handler) logDecision(ctx context.Context, rec *record, start time.Time) {
	latency := float64(time.Since(start).Microseconds()) / 1000
	attrs := []slog.Attr{
		slog.String("request_id", rec.requestID),
		slog.String("caller_arn", truncate(rec.caller.ARN, 2048)),
		slog.String("account_id", rec.caller.AccountID),
		slog.String("org_id", rec.caller.OrgID),
		slog.String("caller_access_key_id", rec.caller.AccessKeyID),
		slog.String("source_ip", truncate(rec.sourceIP, 64)),
		slog.String("user_agent", truncate(rec.userAgent, maxLogField)),
		slog.String("method", truncate(rec.method, 16)),
		slog.String("path", truncate(rec.path, maxLogField)),
		slog.String("profile", truncate(rec.profile, maxLogProfile)),
		slog.String("role_arn", rec.roleARN),
		slog.String("decision", decision(rec)),
		slog.Int("status", rec.status),
		slog.String("code", rec.code),
		slog.String("rule", rec.rule),
		slog.String("reason", rec.reason),
		slog.Int("duration_seconds", rec.duration),
		slog.String("source_identity", rec.sourceIdentity),
		slog.String("access_key_id", rec.accessKeyID),
		slog.String("policy_hash", rec.policyHash),
		slog.String("justification", rec.justification),
		slog.Bool("break_glass", rec.breakGlass),
		slog.Bool("alerted", rec.alerted),
		slog.String("access_request_id", rec.accessRequest),
		slog.String("session_policy", rec.sessionPolicy),
		slog.String("scope_sha256", rec.scopeSHA256),
		slog.String("scope_arns", truncate(strings.Join(rec.scopeARNs, ","), maxLogField)),
		slog.Float64("latency_ms", latency),
		slog.String("tvm_version", h.version),
	}
	if rec.revokedCaller != "" {
		attrs = append(attrs, slog.String("revoked_caller_arn", truncate(rec.revokedCaller, 2048)))
	}
	if rec.err != nil {
		attrs = append(attrs, slog.String("error", truncate(rec.err.Error(), 1024)))
	}
	h.decisions.LogAttrs(ctx, slog.LevelInfo, "decision", attrs...)
}

// requestID prefers the HTTP request ID (what the caller sees in API Gateway or Function
// URL logs), then Lambda's, then a random one: the header is always set.
func requestID(ctx context.Context, fromEvent string) string {
	if fromEvent != "" && len(fromEvent) <= 128 {
		return fromEvent
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return rand.Text()
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// typeName names a panic value's type without formatting the value itself.
func typeName(v any) string { return fmt.Sprintf("%T", v) }
