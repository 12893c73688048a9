package handler

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/wire"
)

// TestEventTestdata checks the testdata events against aws-lambda-go's own types and
// that Event keeps everything it reads through a re-marshal.
func TestEventTestdata(t *testing.T) {
	tests := []struct {
		file     string
		upstream any
		wantPath string
	}{
		{"function-url-event.json", &events.LambdaFunctionURLRequest{}, "/v1/credentials"},
		{"apigw-v2-event.json", &events.APIGatewayV2HTTPRequest{}, "/v1/credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, tt.upstream); err != nil {
				t.Fatalf("aws-lambda-go cannot decode the testdata: %v", err)
			}
			var ev Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			// Same fields as upstream sees them.
			var method, rawPath, query, reqID, arn, account string
			switch u := tt.upstream.(type) {
			case *events.LambdaFunctionURLRequest:
				method, rawPath, query, reqID = u.RequestContext.HTTP.Method, u.RawPath, u.RawQueryString, u.RequestContext.RequestID
				arn, account = u.RequestContext.Authorizer.IAM.UserARN, u.RequestContext.Authorizer.IAM.AccountID
			case *events.APIGatewayV2HTTPRequest:
				method, rawPath, query, reqID = u.RequestContext.HTTP.Method, u.RawPath, u.RawQueryString, u.RequestContext.RequestID
				arn, account = u.RequestContext.Authorizer.IAM.UserARN, u.RequestContext.Authorizer.IAM.AccountID
				if ev.iam().PrincipalOrgID != u.RequestContext.Authorizer.IAM.PrincipalOrgID {
					t.Errorf("org id differs")
				}
			}
			if ev.RequestContext.HTTP.Method != method || ev.RawPath != rawPath || ev.RawQueryString != query ||
				ev.RequestContext.RequestID != reqID || ev.iam().UserARN != arn || ev.iam().AccountID != account {
				t.Errorf("Event = %+v disagrees with aws-lambda-go", ev)
			}
			// aws-lambda-go's Function URL type has no principalOrgId; Event must keep it.
			if ev.iam().PrincipalOrgID != "o-abc123def4" {
				t.Errorf("principalOrgId lost: %+v", ev.iam())
			}
			if got := EventPath(&ev); got != tt.wantPath {
				t.Errorf("EventPath = %q, want %q", got, tt.wantPath)
			}
			again, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var ev2 Event
			if err := json.Unmarshal(again, &ev2); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ev, ev2) {
				t.Errorf("re-marshal changed the event:\n%+v\n%+v", ev, ev2)
			}
		})
	}
}

// TestResponseShape checks that the handler's response decodes as both services' types.
func TestResponseShape(t *testing.T) {
	p, err := policy.Parse([]byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	hs := newHarness(t, policystore.Static(p, nil))
	raw, err := os.ReadFile("testdata/function-url-event.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := hs.h.Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var furl events.LambdaFunctionURLResponse
	var apigw events.APIGatewayV2HTTPResponse
	for _, v := range []any{&furl, &apigw} {
		dec := json.NewDecoder(strings.NewReader(string(out)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("decode %T: %v", v, err)
		}
	}
	if furl.StatusCode != 200 || apigw.StatusCode != 200 || furl.Body != apigw.Body || furl.IsBase64Encoded ||
		furl.Headers["Content-Type"] != "application/json" || apigw.Headers[wire.HeaderSourceIdentity] == "" {
		t.Errorf("response = %s", out)
	}
}

func TestParseRequest(t *testing.T) {
	base := func() Event {
		return Event{RawPath: wire.PathCredentials, RawQueryString: "profile=prod-readonly", RequestContext: RequestContext{HTTP: HTTPContext{Method: "GET"}}}
	}
	tests := []struct {
		name       string
		edit       func(*Event)
		wantRoute  Route
		wantStatus int
		wantCode   string
		wantDur    string
	}{
		{name: "credentials", wantRoute: RouteCredentials},
		{name: "with duration", edit: func(e *Event) { e.RawQueryString = "duration=900&profile=prod-readonly" }, wantRoute: RouteCredentials, wantDur: "900"},
		{name: "unknown params ignored", edit: func(e *Event) { e.RawQueryString += "&x=1" }, wantRoute: RouteCredentials},
		{name: "profiles", edit: func(e *Event) { e.RawPath, e.RawQueryString = wire.PathProfiles, "" }, wantRoute: RouteProfiles},
		{name: "whoami", edit: func(e *Event) { e.RawPath = wire.PathWhoami }, wantRoute: RouteWhoami},
		{name: "http path fallback", edit: func(e *Event) { e.RawPath, e.RequestContext.HTTP.Path = "", wire.PathWhoami }, wantRoute: RouteWhoami},
		{name: "default stage kept", edit: func(e *Event) { e.RequestContext.Stage = "$default" }, wantRoute: RouteCredentials},
		{name: "named stage stripped", edit: func(e *Event) { e.RequestContext.Stage, e.RawPath = "v2", "/v2"+wire.PathWhoami }, wantRoute: RouteWhoami},
		{name: "other stage not stripped", edit: func(e *Event) { e.RequestContext.Stage, e.RawPath = "v2", "/v3"+wire.PathWhoami }, wantStatus: 404, wantCode: wire.CodeNotFound},
		{name: "root", edit: func(e *Event) { e.RawPath = "/" }, wantStatus: 404, wantCode: wire.CodeNotFound},
		{name: "case", edit: func(e *Event) { e.RawPath = "/V1/credentials" }, wantStatus: 404, wantCode: wire.CodeNotFound},
		{name: "lowercase method", edit: func(e *Event) { e.RequestContext.HTTP.Method = "get" }, wantStatus: 405, wantCode: wire.CodeMethodNotAllowed},
		{name: "options", edit: func(e *Event) { e.RequestContext.HTTP.Method = http.MethodOptions }, wantStatus: 405, wantCode: wire.CodeMethodNotAllowed},
		{name: "semicolon query", edit: func(e *Event) { e.RawQueryString = "profile=a;b" }, wantStatus: 400, wantCode: wire.CodeBadRequest},
		{name: "bad escape", edit: func(e *Event) { e.RawQueryString = "profile=%zz" }, wantStatus: 400, wantCode: wire.CodeBadRequest},
		{name: "repeated duration", edit: func(e *Event) { e.RawQueryString += "&duration=900&duration=901" }, wantStatus: 400, wantCode: wire.CodeBadRequest},
		{name: "query at limit", edit: func(e *Event) {
			e.RawQueryString += "&p=" + strings.Repeat("a", MaxQueryBytes-len(e.RawQueryString)-3)
		}, wantRoute: RouteCredentials},
		{name: "query over limit", edit: func(e *Event) {
			e.RawQueryString += "&p=" + strings.Repeat("a", MaxQueryBytes-len(e.RawQueryString)-2)
		}, wantStatus: 413, wantCode: wire.CodeRequestTooLarge},
		{name: "base64 body over limit", edit: func(e *Event) { e.IsBase64Encoded, e.Body = true, strings.Repeat("QUJD", 400) }, wantStatus: 413, wantCode: wire.CodeRequestTooLarge},
		{name: "base64 body on get", edit: func(e *Event) { e.IsBase64Encoded, e.Body = true, "QUJD" }, wantStatus: 400, wantCode: wire.CodeBadRequest},
		{name: "oversized beats unknown path", edit: func(e *Event) { e.RawPath, e.Body = "/x", strings.Repeat("a", 2000) }, wantStatus: 413, wantCode: wire.CodeRequestTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := base()
			if tt.edit != nil {
				tt.edit(&ev)
			}
			req, rerr := ParseRequest(&ev)
			if tt.wantCode != "" {
				if rerr == nil || rerr.Status != tt.wantStatus || rerr.Code != tt.wantCode {
					t.Fatalf("ParseRequest = %+v, %v; want %d %s", req, rerr, tt.wantStatus, tt.wantCode)
				}
				return
			}
			if rerr != nil {
				t.Fatalf("unexpected error %v", rerr)
			}
			if req.Route != tt.wantRoute || req.Duration != tt.wantDur {
				t.Errorf("ParseRequest = %+v", req)
			}
		})
	}
}

// FuzzParseRequest checks that no event makes ParseRequest panic and that whatever it
// accepts is within the limits and names a valid profile.
func FuzzParseRequest(f *testing.F) {
	f.Add("GET", "/v1/credentials", "profile=prod-readonly&duration=900", "", "", false)
	f.Add("GET", "/prod/v1/credentials", "profile=a&profile=b", "", "prod", false)
	f.Add("HEAD", "/v1/whoami", "", "", "$default", false)
	f.Add("GET", "/v1/credentials", "profile=%00&duration=-1", "eA==", "", true)
	f.Add("POST", "/v1/profiles", "x=%zz;y", "body", "", false)
	f.Fuzz(func(t *testing.T, method, path, query, body, stage string, b64 bool) {
		ev := Event{RawPath: path, RawQueryString: query, Body: body, IsBase64Encoded: b64,
			RequestContext: RequestContext{Stage: stage, HTTP: HTTPContext{Method: method}}}
		req, rerr := ParseRequest(&ev)
		if rerr != nil {
			if rerr.Status < 400 || rerr.Status > 499 || rerr.Code == "" || rerr.Message == "" {
				t.Fatalf("bad error %+v", rerr)
			}
			if (rerr.Status == 405) != (rerr.Allow != "") {
				t.Fatalf("Allow header and 405 disagree: %+v", rerr)
			}
			return
		}
		if len(query) > MaxQueryBytes || len(body) > 0 || method != "GET" {
			t.Fatalf("accepted out-of-bounds request %+v", ev)
		}
		if RoutePath(req.Route) != req.Path {
			t.Fatalf("route %d for path %q", req.Route, req.Path)
		}
		if req.Route == RouteCredentials && !policy.ValidProfileName(req.Profile) {
			t.Fatalf("accepted invalid profile %q", req.Profile)
		}
	})
}

func TestParseRevoke(t *testing.T) {
	const id = "req-abcdefghijklmnopqrstuvwxyz"
	const alice = "arn:aws:iam::111111111111:user/alice"
	ok := []struct{ query, id, caller, profile, comment string }{
		{"id=" + id, id, "", "", ""},
		{"id=" + id + "&comment=left+the+team", id, "", "", "left the team"},
		{"caller=" + alice, "", alice, "", ""},
		{"caller=" + alice + "&profile=prod-admin", "", alice, "prod-admin", ""},
		{"caller=arn:aws:sts::111111111111:assumed-role/Dev/alice", "", "arn:aws:sts::111111111111:assumed-role/Dev/alice", "", ""},
	}
	for _, tt := range ok {
		ev := Event{RawPath: wire.PathRevoke, RawQueryString: tt.query, RequestContext: RequestContext{HTTP: HTTPContext{Method: "POST"}}}
		req, rerr := ParseRequest(&ev)
		if rerr != nil || req.Route != RouteRevoke || req.ID != tt.id || req.Caller != tt.caller || req.Profile != tt.profile || req.Comment != tt.comment {
			t.Errorf("ParseRequest(%s) = %+v, %v", tt.query, req, rerr)
		}
	}
	bad := map[string]string{
		"":                                 wire.CodeBadRequest,
		"id=" + id + "&caller=" + alice:    wire.CodeBadRequest,
		"id=" + id + "&id=" + id:           wire.CodeBadRequest,
		"id=req-x":                         wire.CodeBadRequest,
		"id=" + id + "&profile=prod-admin": wire.CodeBadRequest,
		"caller=alice":                     wire.CodeInvalidCaller,
		"caller=arn:aws:iam::1:user/alice": wire.CodeInvalidCaller,
		"caller=" + alice + "&profile=a&profile=b": wire.CodeBadRequest,
		"caller=" + alice + "&profile=../x":        wire.CodeInvalidProfile,
		"caller=" + alice + "&comment=a%0Ab":       wire.CodeInvalidReason,
	}
	for q, code := range bad {
		ev := Event{RawPath: wire.PathRevoke, RawQueryString: q, RequestContext: RequestContext{HTTP: HTTPContext{Method: "POST"}}}
		if _, rerr := ParseRequest(&ev); rerr == nil || rerr.Code != code || rerr.Status != wire.Status(code) {
			t.Errorf("ParseRequest(%q) = %v; want %s", q, rerr, code)
		}
	}
	ev := Event{RawPath: wire.PathRevoke, RawQueryString: "id=" + id, RequestContext: RequestContext{HTTP: HTTPContext{Method: "GET"}}}
	if _, rerr := ParseRequest(&ev); rerr == nil || rerr.Code != wire.CodeMethodNotAllowed || rerr.Allow != "POST" {
		t.Errorf("GET revoke: %v", rerr)
	}
}
