package handler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/vend-tvm/vend/lambda/assume"
	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// Secrets the fake STS issues; no log line may ever contain them.
const (
	testSecret = "SECRETwJalrXUtnFEMIK7MDENGbPxRfiCY-never-log"
	testToken  = "TOKENFwoGZXIvYXdzEJr-session-token-never-log"
	testKeyID  = "ASIAISSUEDKEYID00001"
)

const testPolicy = `version: 1
profiles:
  prod-readonly:
    role_arn: arn:aws:iam::111111111111:role/vend/prod-readonly
    max_duration: 30m
    description: Read production
  prod-admin:
    role_arn: arn:aws:iam::111111111111:role/vend/prod-admin
rules:
  - name: no-admin
    effect: deny
    principals: ["*"]
    profiles: [prod-admin]
    reason: Admin is break-glass only
  - name: engineers-read
    effect: allow
    principals: ["arn:aws:sts::*:assumed-role/AWSReservedSSO_Engineer_*/*"]
    org_ids: [o-abc123def4]
    profiles: [prod-readonly]
    reason: Engineers read production
`

// fakeAssumer is STS in process: it issues fixed credentials or fails as told.
type fakeAssumer struct {
	mu  sync.Mutex
	got []tvm.AssumeInput
	err error
}

func (f *fakeAssumer) AssumeRole(_ context.Context, in tvm.AssumeInput) (tvm.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, in)
	if f.err != nil {
		return tvm.Credentials{}, f.err
	}
	return tvm.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken,
		Expiration: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)}, nil
}

// panicService panics in the core.
type panicService struct{}

func (panicService) Credentials(context.Context, identity.Caller, tvm.CredentialsRequest) (tvm.Result, error) {
	var m map[string]int
	//lint:ignore SA5000 the nil-map write is the point: a runtime panic, like a real bug
	m["boom"]++ // assignment to a nil map: a runtime error, like a real bug
	return tvm.Result{}, nil
}
func (panicService) Profiles(context.Context, identity.Caller) (tvm.ProfilesResult, error) {
	panic(errors.New("core exploded with " + testSecret))
}
func (panicService) Whoami(context.Context, identity.Caller) (tvm.WhoamiResult, error) {
	panic("whoami " + testToken)
}
func (panicService) Request(context.Context, identity.Caller, tvm.CredentialsRequest) (wire.AccessRequest, error) {
	panic("request")
}
func (panicService) Requests(context.Context, identity.Caller) ([]wire.AccessRequest, error) {
	panic("requests")
}
func (panicService) Decide(context.Context, identity.Caller, string, string, string, string) (wire.AccessRequest, error) {
	panic("decide")
}

func (panicService) Revoke(context.Context, identity.Caller, tvm.RevokeInput) (wire.Revocation, error) {
	panic("revoke")
}

func (panicService) Sweep(context.Context) (tvm.SweepResult, error) { panic("sweep") }

func loadEvent(t testing.TB, name string) Event {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func mustPolicy(t testing.TB, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(src))
	if err != nil {
		t.Fatalf("parse test policy: %v", err)
	}
	return p
}

type harness struct {
	h       *Handler
	assumer *fakeAssumer
	logs    *bytes.Buffer
}

func newHarness(t testing.TB, src tvm.PolicySource, opts ...tvm.Option) *harness {
	t.Helper()
	fa := &fakeAssumer{}
	clock := func() time.Time { return time.Date(2026, 3, 1, 10, 15, 0, 0, time.UTC) }
	svc, err := tvm.New(fa, src, append([]tvm.Option{tvm.WithClock(clock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	h := New(svc, WithLogger(slog.New(slog.NewJSONHandler(logs, nil))), WithVersion("test-1.2.3"), WithBuild("abc123def456", "2026-11-01T00:00:00Z"))
	return &harness{h: h, assumer: fa, logs: logs}
}

// invoke runs one event through the handler and decodes the response.
func invoke(t testing.TB, h *Handler, payload []byte) response {
	t.Helper()
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke returned an error: %v", err)
	}
	var r response
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, out)
	}
	return r
}

func marshal(t testing.TB, ev Event) []byte {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decisionKeys are the keys every decision line carries.
var decisionKeys = []string{"time", "request_id", "caller_arn", "account_id", "org_id", "caller_access_key_id", "source_ip", "user_agent",
	"method", "path", "profile", "role_arn", "decision", "status", "code", "rule", "reason", "duration_seconds",
	"source_identity", "access_key_id", "policy_hash", "justification", "break_glass", "alerted", "latency_ms", "tvm_version"}

// decisionLine checks that the log holds exactly one decision line with every key, and
// no secret anywhere, and returns that line.
func decisionLine(t testing.TB, logs string) map[string]any {
	t.Helper()
	for _, s := range []string{testSecret, testToken} {
		if strings.Contains(logs, s) {
			t.Fatalf("log output contains a secret:\n%s", logs)
		}
	}
	var found []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		if m["msg"] == "decision" {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one decision line, got %d:\n%s", len(found), logs)
	}
	for _, k := range decisionKeys {
		if _, ok := found[0][k]; !ok {
			t.Errorf("decision line lacks %q: %v", k, found[0])
		}
	}
	return found[0]
}

func withQuery(q string) func(*Event) { return func(e *Event) { e.RawQueryString = q } }

// handlerCase is one request through the handler and what must come of it.
type handlerCase struct {
	name       string
	event      string // testdata file
	edit       func(*Event)
	stsErr     error
	wantStatus int
	wantCode   string // "" for 200
	wantDec    string
	wantRule   string
	wantHeader map[string]string
	check      func(t *testing.T, r response, logLine map[string]any, fa *fakeAssumer)
}

func TestHandler(t *testing.T) {
	stsErr := func(code string) error {
		return assume.Classify(&smithy.GenericAPIError{Code: code, Message: "STS-INTERNAL-TEXT arn:aws:sts::999:assumed-role/tvm/x is not authorized"})
	}
	tests := []handlerCase{
		{
			name: "allow via function url", event: "function-url-event.json",
			wantStatus: 200, wantDec: "allow", wantRule: "engineers-read",
			check: func(t *testing.T, r response, line map[string]any, fa *fakeAssumer) {
				var c wire.Credentials
				if err := json.Unmarshal([]byte(r.Body), &c); err != nil {
					t.Fatal(err)
				}
				if c.AccessKeyID != testKeyID || c.SecretAccessKey != testSecret || c.Token != testToken || c.Expiration.IsZero() {
					t.Errorf("credentials body = %s", r.Body)
				}
				if c.AccountID != "111111111111" || c.Profile != "prod-readonly" || c.RoleARN != "arn:aws:iam::111111111111:role/vend/prod-readonly" {
					t.Errorf("vend fields = %+v", c)
				}
				if !strings.HasPrefix(c.SourceIdentity, "vend-jane.doe@example.com.111122223333-") || r.Headers[wire.HeaderSourceIdentity] != c.SourceIdentity {
					t.Errorf("source identity = %q, header %q", c.SourceIdentity, r.Headers[wire.HeaderSourceIdentity])
				}
				if line["caller_access_key_id"] != "ASIAEXAMPLECALLER" {
					t.Errorf("caller_access_key_id = %v, want the key the caller signed with", line["caller_access_key_id"])
				}
				if line["access_key_id"] != testKeyID || line["duration_seconds"] != 900.0 || line["source_identity"] != c.SourceIdentity {
					t.Errorf("decision line = %v", line)
				}
				if line["caller_arn"] != "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Engineer_0123456789abcdef/jane.doe@example.com" ||
					line["org_id"] != "o-abc123def4" || line["request_id"] != "3c7a1c2e-5d0b-4a58-9f0e-1b2c3d4e5f60" ||
					line["source_ip"] != "203.0.113.7" || line["tvm_version"] != "test-1.2.3" || !strings.HasPrefix(line["policy_hash"].(string), "sha256:") {
					t.Errorf("decision line = %v", line)
				}
				in := fa.got[0]
				if in.Duration != 900*time.Second || in.SourceIdentity != c.SourceIdentity || in.SessionName != c.SourceIdentity {
					t.Errorf("assume input = %+v", in)
				}
				tags := map[string]string{}
				for _, tg := range in.Tags {
					tags[tg.Key] = tg.Value
				}
				if tags[tvm.TagProfile] != "prod-readonly" || tags[tvm.TagRule] != "engineers-read" || tags[tvm.TagRequestID] != "3c7a1c2e-5d0b-4a58-9f0e-1b2c3d4e5f60" {
					t.Errorf("session tags = %v", tags)
				}
			},
		},
		{
			name: "allow via api gateway stage", event: "apigw-v2-event.json",
			wantStatus: 200, wantDec: "allow", wantRule: "engineers-read",
			check: func(t *testing.T, r response, line map[string]any, _ *fakeAssumer) {
				if line["path"] != "/v1/credentials" || line["request_id"] != "UcqZ1jL8FiAEJ7w=" {
					t.Errorf("decision line = %v", line)
				}
			},
		},
		{
			name: "default duration is the profile maximum", event: "function-url-event.json", edit: withQuery("profile=prod-readonly"),
			wantStatus: 200, wantDec: "allow",
			check: func(t *testing.T, _ response, line map[string]any, fa *fakeAssumer) {
				if fa.got[0].Duration != 30*time.Minute || line["duration_seconds"] != 1800.0 {
					t.Errorf("duration = %s", fa.got[0].Duration)
				}
			},
		},
		{
			name: "long duration is capped", event: "function-url-event.json", edit: withQuery("profile=prod-readonly&duration=43200"),
			wantStatus: 200, wantDec: "allow",
			check: func(t *testing.T, _ response, _ map[string]any, fa *fakeAssumer) {
				if fa.got[0].Duration != 30*time.Minute {
					t.Errorf("duration = %s", fa.got[0].Duration)
				}
			},
		},
		{
			name: "deny rule", event: "function-url-event.json", edit: withQuery("profile=prod-admin"),
			wantStatus: 403, wantCode: wire.CodeAccessDenied, wantDec: "deny", wantRule: "no-admin",
			check: func(t *testing.T, r response, line map[string]any, fa *fakeAssumer) {
				var e wire.Error
				_ = json.Unmarshal([]byte(r.Body), &e)
				if e.Rule != "no-admin" || e.Reason != "Admin is break-glass only" || line["reason"] != e.Reason {
					t.Errorf("body = %s, line = %v", r.Body, line)
				}
				if line["role_arn"] != "arn:aws:iam::111111111111:role/vend/prod-admin" {
					t.Errorf("role_arn = %v", line["role_arn"])
				}
				if len(fa.got) != 0 {
					t.Error("STS was called for a denied request")
				}
			},
		},
		{
			name: "default deny", event: "function-url-event.json",
			edit: func(e *Event) {
				e.RequestContext.Authorizer.IAM.UserARN = "arn:aws:iam::111122223333:user/mallory"
			},
			wantStatus: 403, wantCode: wire.CodeAccessDenied, wantDec: "deny", wantRule: policy.DefaultDenyRule,
		},
		{
			name: "unknown profile", event: "function-url-event.json", edit: withQuery("profile=nope"),
			wantStatus: 404, wantCode: wire.CodeUnknownProfile, wantDec: "deny",
		},
		{
			name: "missing identity", event: "function-url-event.json", edit: func(e *Event) { e.RequestContext.Authorizer = nil },
			wantStatus: 401, wantCode: wire.CodeUnauthenticated, wantDec: "deny",
		},
		{
			name: "authorizer without iam block", event: "apigw-v2-event.json", edit: func(e *Event) { e.RequestContext.Authorizer.IAM = nil },
			wantStatus: 401, wantCode: wire.CodeUnauthenticated, wantDec: "deny",
		},
		{
			name: "malformed caller arn", event: "function-url-event.json", edit: func(e *Event) { e.RequestContext.Authorizer.IAM.UserARN = "jane" },
			wantStatus: 401, wantCode: wire.CodeUnauthenticated, wantDec: "deny",
		},
		{
			name: "post", event: "function-url-event.json", edit: func(e *Event) { e.RequestContext.HTTP.Method = "POST" },
			wantStatus: 405, wantCode: wire.CodeMethodNotAllowed, wantDec: "error", wantHeader: map[string]string{"Allow": "GET"},
		},
		{
			name: "head", event: "function-url-event.json", edit: func(e *Event) { e.RequestContext.HTTP.Method = "HEAD" },
			wantStatus: 405, wantCode: wire.CodeMethodNotAllowed, wantDec: "error", wantHeader: map[string]string{"Allow": "GET"},
		},
		{
			name: "unknown path", event: "function-url-event.json", edit: func(e *Event) { e.RawPath = "/v1/secrets" },
			wantStatus: 404, wantCode: wire.CodeNotFound, wantDec: "error",
		},
		{
			// A custom domain's API mapping drops the stage from rawPath.
			name: "custom domain without stage prefix", event: "apigw-v2-event.json", edit: func(e *Event) { e.RawPath = "/v1/credentials" },
			wantStatus: 200, wantDec: "allow",
		},
		{
			name: "stage root", event: "apigw-v2-event.json", edit: func(e *Event) { e.RawPath = "/prod" },
			wantStatus: 404, wantCode: wire.CodeNotFound, wantDec: "error",
		},
		{
			name: "trailing slash", event: "function-url-event.json", edit: func(e *Event) { e.RawPath = "/v1/credentials/" },
			wantStatus: 404, wantCode: wire.CodeNotFound, wantDec: "error",
		},
		{
			name: "oversized query", event: "function-url-event.json", edit: withQuery("profile=prod-readonly&pad=" + strings.Repeat("a", MaxQueryBytes)),
			wantStatus: 413, wantCode: wire.CodeRequestTooLarge, wantDec: "error",
		},
		{
			name: "oversized body", event: "function-url-event.json", edit: func(e *Event) { e.Body = strings.Repeat("x", MaxBodyBytes+1) },
			wantStatus: 413, wantCode: wire.CodeRequestTooLarge, wantDec: "error",
		},
		{
			name: "body on get", event: "function-url-event.json", edit: func(e *Event) { e.Body = "{}" },
			wantStatus: 400, wantCode: wire.CodeBadRequest, wantDec: "error",
		},
		{
			name: "repeated profile", event: "function-url-event.json", edit: withQuery("profile=prod-readonly&profile=prod-admin"),
			wantStatus: 400, wantCode: wire.CodeBadRequest, wantDec: "error",
		},
		{
			name: "sts throttled", event: "function-url-event.json", stsErr: stsErr("Throttling"),
			wantStatus: 503, wantCode: wire.CodeSTSThrottled, wantDec: "error", wantRule: "engineers-read",
			wantHeader: map[string]string{"Retry-After": "2"},
		},
		{
			name: "sts access denied", event: "function-url-event.json", stsErr: stsErr("AccessDenied"),
			wantStatus: 502, wantCode: wire.CodeRoleTrustRefused, wantDec: "error",
			check: func(t *testing.T, _ response, line map[string]any, _ *fakeAssumer) {
				// Operators get STS's text; the caller does not (checked for every case below).
				if !strings.Contains(line["error"].(string), "STS-INTERNAL-TEXT") {
					t.Errorf("error not logged for operators: %v", line)
				}
			},
		},
		{
			name: "sts region disabled", event: "function-url-event.json", stsErr: stsErr("RegionDisabledException"),
			wantStatus: 502, wantCode: wire.CodeSTSError, wantDec: "error",
		},
		{
			name: "sts unclassified error", event: "function-url-event.json", stsErr: errors.New("STS-INTERNAL-TEXT dial tcp"),
			wantStatus: 502, wantCode: wire.CodeSTSError, wantDec: "error",
		},
	}
	for _, bad := range []struct{ name, query string }{
		{"dot dot slash", "profile=..%2Fx"}, {"nul", "profile=%00"}, {"unicode", "profile=pr%C3%B6d"},
		{"200 chars", "profile=" + strings.Repeat("p", 200)}, {"missing", "duration=900"}, {"empty", "profile="},
		{"space", "profile=prod+readonly"}, {"leading dash", "profile=-prod"},
	} {
		tests = append(tests, handlerCase{name: "odd profile " + bad.name, event: "function-url-event.json", edit: withQuery(bad.query),
			wantStatus: 400, wantCode: wire.CodeInvalidProfile, wantDec: "error"})
	}
	for _, d := range []string{"899", "43201", "-900", "1e3", "900.0", "0x384", "99999999999999999999", "", "%20900"} {
		tests = append(tests, handlerCase{name: "invalid duration " + d, event: "function-url-event.json", edit: withQuery("profile=prod-readonly&duration=" + d),
			wantStatus: 400, wantCode: wire.CodeInvalidDuration, wantDec: "error"})
	}

	p := mustPolicy(t, testPolicy)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, policystore.Static(p, nil))
			hs.assumer.err = tt.stsErr
			ev := loadEvent(t, tt.event)
			if tt.edit != nil {
				tt.edit(&ev)
			}
			r := invoke(t, hs.h, marshal(t, ev))
			line := decisionLine(t, hs.logs.String())
			assertResponse(t, r, tt.wantStatus, tt.wantCode)
			if line["decision"] != tt.wantDec || line["status"] != float64(tt.wantStatus) || line["code"] != tt.wantCode {
				t.Errorf("decision line = %v; want decision %s status %d code %q", line, tt.wantDec, tt.wantStatus, tt.wantCode)
			}
			if tt.wantRule != "" && line["rule"] != tt.wantRule {
				t.Errorf("rule = %v, want %s", line["rule"], tt.wantRule)
			}
			for k, v := range tt.wantHeader {
				if r.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, r.Headers[k], v)
				}
			}
			if tt.check != nil {
				tt.check(t, r, line, hs.assumer)
			}
		})
	}
}

// assertResponse checks status, the headers every response has, the error body and
// that nothing internal leaked into it.
func assertResponse(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.StatusCode != status {
		t.Errorf("status = %d, want %d; body %s", r.StatusCode, status, r.Body)
	}
	if code != "" && r.StatusCode != wire.Status(code) {
		t.Errorf("status = %d, but the wire table gives %s %d", r.StatusCode, code, wire.Status(code))
	}
	if r.Headers["Content-Type"] != "application/json" || r.Headers["Cache-Control"] != "no-store" || r.Headers[wire.HeaderRequestID] == "" {
		t.Errorf("headers = %v", r.Headers)
	}
	if !json.Valid([]byte(r.Body)) {
		t.Errorf("body is not JSON: %s", r.Body)
	}
	if code == "" {
		return
	}
	var e wire.Error
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil || e.Code != code || e.Message == "" || e.RequestID != r.Headers[wire.HeaderRequestID] {
		t.Errorf("error body = %s, want code %s", r.Body, code)
	}
	for _, leak := range []string{"STS-INTERNAL-TEXT", testSecret, testToken, "runtime error", "goroutine", "policy.go"} {
		if strings.Contains(r.Body, leak) {
			t.Errorf("error body leaks %q: %s", leak, r.Body)
		}
	}
}

func TestPolicyFailures(t *testing.T) {
	brokenFile := policystore.File("testdata/does-not-exist.yaml")
	tests := []struct {
		name       string
		src        tvm.PolicySource
		wantStatus int
		wantCode   string
		wantDec    string
	}{
		{"invalid policy", brokenFile, 403, wire.CodePolicyInvalid, "deny"},
		{"unavailable policy", policystore.Static(nil, errors.New("ssm down")), 503, wire.CodePolicyUnavailable, "error"},
	}
	for _, tt := range tests {
		for _, path := range []string{"/v1/credentials", "/v1/profiles", "/v1/whoami"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				hs := newHarness(t, tt.src)
				ev := loadEvent(t, "function-url-event.json")
				ev.RawPath = path
				r := invoke(t, hs.h, marshal(t, ev))
				assertResponse(t, r, tt.wantStatus, tt.wantCode)
				line := decisionLine(t, hs.logs.String())
				if line["decision"] != tt.wantDec || line["code"] != tt.wantCode {
					t.Errorf("decision line = %v", line)
				}
				if len(hs.assumer.got) != 0 {
					t.Error("STS was called without a valid policy")
				}
			})
		}
	}
}
