package handler

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// Request size limits. Real requests are a few dozen bytes of query and no body.
const (
	MaxQueryBytes = 8192
	MaxBodyBytes  = 1024
)

// Event is the part of a Function URL or HTTP API payload 2.0 event the TVM reads. Both
// services send the same shape; only API Gateway sets a stage. Headers are left out on
// purpose: the TVM trusts none of them, and decoding them was half the handler's cost.
type Event struct {
	Version         string         `json:"version"`
	RawPath         string         `json:"rawPath"`
	RawQueryString  string         `json:"rawQueryString"`
	Body            string         `json:"body,omitempty"`
	IsBase64Encoded bool           `json:"isBase64Encoded"`
	RequestContext  RequestContext `json:"requestContext"`
}

// RequestContext is the event's requestContext.
type RequestContext struct {
	RequestID  string       `json:"requestId"`
	Stage      string       `json:"stage,omitempty"`
	Authorizer *Authorizers `json:"authorizer,omitempty"`
	HTTP       HTTPContext  `json:"http"`
}

// Authorizers is requestContext.authorizer; only the IAM block is trusted.
type Authorizers struct {
	IAM *identity.Authorizer `json:"iam,omitempty"`
}

// HTTPContext is requestContext.http.
type HTTPContext struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// iam returns the IAM authorizer block or nil.
func (e *Event) iam() *identity.Authorizer {
	if e.RequestContext.Authorizer == nil {
		return nil
	}
	return e.RequestContext.Authorizer.IAM
}

// Route is a TVM route.
type Route int

// The routes.
const (
	RouteNone Route = iota
	RouteCredentials
	RouteProfiles
	RouteWhoami
	RouteRequests // GET lists, POST files one
	RouteApprove
	RouteReject
	RouteRevoke
)

// Request is a parsed, bounded request.
type Request struct {
	Route Route
	// Path is rawPath without the API Gateway stage prefix.
	Path string
	// Profile and Duration are set for RouteCredentials. Profile is a valid profile name;
	// Duration is the raw duration parameter, "" when absent.
	Profile  string
	Duration string
	// Reason is the caller's justification, checked by wire.CheckReason; "" when absent.
	Reason string
	// Scope is the caller's session policies for RouteCredentials, checked by
	// sessionpolicy; empty when none was given.
	Scope sessionpolicy.Scope
	// Method is GET or POST (RouteRequests takes both).
	Method string
	// ID and Comment are set for RouteApprove and RouteReject, and for RouteRevoke with
	// either ID or Caller (and Profile, optionally).
	ID      string
	Comment string
	Caller  string
}

// RequestError is a request refused before it reaches the core.
type RequestError struct {
	Status  int // always wire.Status(Code)
	Code    string
	Message string
	// Allow is set for 405.
	Allow string
	// Profile is the requested profile as sent, for the decision log only.
	Profile string
}

func (e *RequestError) Error() string { return e.Code + ": " + e.Message }

// refuse returns a RequestError whose Status is the wire table's for code.
func refuse(code, message string) *RequestError {
	return &RequestError{Status: wire.Status(code), Code: code, Message: message}
}

func (e *RequestError) withProfile(p string) *RequestError { e.Profile = p; return e }

func (e *RequestError) withAllow(methods string) *RequestError { e.Allow = methods; return e }

// RoutePath returns the route's path, or "" for RouteNone.
func RoutePath(r Route) string {
	switch r {
	case RouteCredentials:
		return wire.PathCredentials
	case RouteProfiles:
		return wire.PathProfiles
	case RouteWhoami:
		return wire.PathWhoami
	case RouteRequests:
		return wire.PathRequests
	case RouteApprove:
		return wire.PathApprove
	case RouteReject:
		return wire.PathReject
	case RouteRevoke:
		return wire.PathRevoke
	}
	return ""
}

func routeOf(path string) Route {
	switch path {
	case wire.PathCredentials:
		return RouteCredentials
	case wire.PathProfiles:
		return RouteProfiles
	case wire.PathWhoami:
		return RouteWhoami
	case wire.PathRequests:
		return RouteRequests
	case wire.PathApprove:
		return RouteApprove
	case wire.PathReject:
		return RouteReject
	case wire.PathRevoke:
		return RouteRevoke
	}
	return RouteNone
}

// methods are what each route answers.
func methods(r Route) []string {
	switch r {
	case RouteRequests:
		return []string{http.MethodGet, http.MethodPost}
	case RouteApprove, RouteReject, RouteRevoke:
		return []string{http.MethodPost}
	}
	return []string{http.MethodGet}
}

// EventPath is rawPath (or http.path when rawPath is empty) without the stage prefix
// that API Gateway keeps for named stages on its execute-api domain. Behind a custom
// domain's API mapping rawPath has no stage prefix, and is used as it is.
func EventPath(e *Event) string {
	p := e.RawPath
	if p == "" {
		p = e.RequestContext.HTTP.Path
	}
	if st := e.RequestContext.Stage; st != "" && st != "$default" {
		prefix := "/" + st
		if p == prefix {
			return "/"
		}
		if strings.HasPrefix(p, prefix+"/") {
			return p[len(prefix):]
		}
	}
	return p
}

// ParseRequest checks an event against the routes and limits. It is pure: it reads
// nothing but the event. The caller's identity is checked elsewhere.
func ParseRequest(e *Event) (Request, *RequestError) {
	if len(e.RawQueryString) > MaxQueryBytes {
		return Request{}, refuse(wire.CodeRequestTooLarge, "query string too large")
	}
	bodyLen := len(e.Body)
	if e.IsBase64Encoded {
		bodyLen = base64.StdEncoding.DecodedLen(len(e.Body))
	}
	if bodyLen > MaxBodyBytes {
		return Request{}, refuse(wire.CodeRequestTooLarge, "request body too large")
	}
	path := EventPath(e)
	route := routeOf(path)
	if route == RouteNone {
		return Request{Path: path}, refuse(wire.CodeNotFound, "no such route")
	}
	req := Request{Route: route, Path: path, Method: e.RequestContext.HTTP.Method}
	if allowed := methods(route); !slices.Contains(allowed, req.Method) {
		list := strings.Join(allowed, ", ")
		return req, refuse(wire.CodeMethodNotAllowed, "only "+strings.Join(allowed, " or ")+" is allowed here").withAllow(list)
	}
	if len(e.Body) > 0 {
		return req, refuse(wire.CodeBadRequest, "vend's requests carry their parameters in the query and have no body")
	}
	q, err := url.ParseQuery(e.RawQueryString)
	if err != nil {
		return req, refuse(wire.CodeBadRequest, "malformed query string")
	}
	switch {
	case route == RouteApprove || route == RouteReject:
		return parseDecision(req, q)
	case route == RouteRevoke:
		return parseRevoke(req, q)
	case route == RouteRequests && req.Method == http.MethodPost:
		// A new request: a profile, a reason and optionally a grant length, as below.
	case route != RouteCredentials:
		return req, nil
	}
	profiles := q[wire.QueryProfile]
	switch {
	case len(profiles) > 1:
		return req, refuse(wire.CodeBadRequest, "profile given more than once").withProfile(profiles[0])
	case len(profiles) == 0 || profiles[0] == "":
		return req, refuse(wire.CodeInvalidProfile, "profile is missing")
	case !policy.ValidProfileName(profiles[0]):
		return req, refuse(wire.CodeInvalidProfile, "profile is not a valid profile name").withProfile(profiles[0])
	}
	req.Profile = profiles[0]
	if ds, ok := q[wire.QueryDuration]; ok {
		if len(ds) > 1 {
			return req, refuse(wire.CodeBadRequest, "duration given more than once").withProfile(req.Profile)
		}
		if _, err := tvm.ParseDurationSeconds(ds[0]); err != nil || ds[0] == "" {
			return req, refuse(wire.CodeInvalidDuration, durationMessage).withProfile(req.Profile)
		}
		req.Duration = ds[0]
	}
	if rs, ok := q[wire.QueryReason]; ok {
		if len(rs) > 1 {
			return req, refuse(wire.CodeBadRequest, "reason given more than once").withProfile(req.Profile)
		}
		if err := wire.CheckReason(rs[0]); err != nil {
			return req, refuse(wire.CodeInvalidReason, err.Error()).withProfile(req.Profile)
		}
		req.Reason = rs[0]
	}
	if route == RouteCredentials {
		return parseScope(req, q)
	}
	return req, nil
}

// parseScope reads the caller's scope: an inline session policy (base64url JSON, at
// most once) and managed policy ARNs. Its errors quote no more of the input than
// sessionpolicy does.
func parseScope(req Request, q url.Values) (Request, *RequestError) {
	invalid := func(msg string) *RequestError {
		return refuse(wire.CodeInvalidScope, msg).withProfile(req.Profile)
	}
	var s sessionpolicy.Scope
	if docs, ok := q[wire.QueryScope]; ok {
		if len(docs) > 1 {
			return req, invalid("scope given more than once; give one document (its statements can say everything)")
		}
		raw, err := base64.RawURLEncoding.DecodeString(docs[0])
		if err != nil || docs[0] == "" {
			return req, invalid("scope is not base64url without padding (vend encodes the document so)")
		}
		if s.Policy, err = sessionpolicy.ParseDocument(raw); err != nil {
			return req, invalid("scope: " + strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
		}
	}
	s.ARNs = q[wire.QueryScopeARN]
	if err := s.Validate(); err != nil {
		return req, invalid("scope: " + strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
	}
	req.Scope = s
	return req, nil
}

// parseDecision reads the ID and the optional comment of an approval or rejection.
func parseDecision(req Request, q url.Values) (Request, *RequestError) {
	ids := q[wire.QueryID]
	switch {
	case len(ids) != 1:
		return req, refuse(wire.CodeBadRequest, "give the request's id once")
	case !tvm.ValidRequestID(ids[0]):
		return req, refuse(wire.CodeBadRequest, "id is not a request ID (req- and 26 letters and digits)")
	}
	req.ID = ids[0]
	return parseComment(req, q)
}

// parseRevoke reads a revocation: a request's ID, or a caller's ARN with an optional
// profile; and an optional comment.
func parseRevoke(req Request, q url.Values) (Request, *RequestError) {
	ids, callers, profiles := q[wire.QueryID], q[wire.QueryCaller], q[wire.QueryProfile]
	switch {
	case len(ids)+len(callers) != 1:
		return req, refuse(wire.CodeBadRequest, "give either a request's id or a caller's ARN, once")
	case len(ids) == 1 && len(profiles) > 0:
		return req, refuse(wire.CodeBadRequest, "a request names its profile: give profile only with caller")
	case len(ids) == 1 && !tvm.ValidRequestID(ids[0]):
		return req, refuse(wire.CodeBadRequest, "id is not a request ID (req- and 26 letters and digits)")
	case len(profiles) > 1:
		return req, refuse(wire.CodeBadRequest, "profile given more than once")
	case len(profiles) == 1 && !policy.ValidProfileName(profiles[0]):
		return req, refuse(wire.CodeInvalidProfile, "profile is not a valid profile name").withProfile(profiles[0])
	}
	if len(ids) == 1 {
		req.ID = ids[0]
	} else {
		if _, err := identity.ParseARN(callers[0]); err != nil {
			return req, refuse(wire.CodeInvalidCaller, "caller is not a principal ARN, such as arn:aws:iam::111111111111:user/alice or arn:aws:sts::111111111111:assumed-role/ROLE/SESSION")
		}
		req.Caller = callers[0]
		if len(profiles) == 1 {
			req.Profile = profiles[0]
		}
	}
	return parseComment(req, q)
}

// parseComment reads the optional comment of a decision or revocation.
func parseComment(req Request, q url.Values) (Request, *RequestError) {
	if cs, ok := q[wire.QueryComment]; ok {
		if len(cs) > 1 {
			return req, refuse(wire.CodeBadRequest, "comment given more than once")
		}
		if err := wire.CheckReason(cs[0]); err != nil {
			return req, refuse(wire.CodeInvalidReason, "comment: "+strings.TrimPrefix(err.Error(), "reason "))
		}
		req.Comment = cs[0]
	}
	return req, nil
}

const durationMessage = "duration must be an integer number of seconds from 900 to 43200"
