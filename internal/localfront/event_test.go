package localfront

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// goldenRequest is a verified request as the event builder sees it.
func goldenRequest(t *testing.T, body []byte) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost,
		"http://localfunctionurl0000000000000000.lambda-url.eu-west-1.on.aws/v1/credentials?profile=dev&profile=ops&duration=900",
		bytes.NewReader(body))
	r.RemoteAddr = "192.0.2.10:54321"
	r.Header.Set("User-Agent", "vend/1.0 aws-sdk-go-v2/1.48.0")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Add("Cookie", "a=1; b=2")
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	return r
}

func goldenFront(t *testing.T) *Front {
	t.Helper()
	f, err := New(&fakeInvoker{}, nil, WithRegion("eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEventGolden(t *testing.T) {
	f := goldenFront(t)
	ev := f.buildEvent(goldenRequest(t, []byte(`{"hello":"world"}`)), []byte(`{"hello":"world"}`),
		mustNormalize(t, userID), "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", testNow)
	raw, err := marshalEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	got := append(indented.Bytes(), '\n')
	path := filepath.Join("testdata", "event-iam.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("event differs from %s (run go test -update after checking):\n%s", path, got)
	}
}

func mustNormalize(t *testing.T, id Identity) Identity {
	t.Helper()
	n, err := id.normalize()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEventShapeMatchesAWS compares the keys of the front's event, at every level,
// with the request AWS documents for a Function URL with IAM auth.
func TestEventShapeMatchesAWS(t *testing.T) {
	f := goldenFront(t)
	ev := f.buildEvent(goldenRequest(t, []byte("x")), []byte("x"), mustNormalize(t, userID), "id", testNow)
	ours, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := os.ReadFile(filepath.Join("testdata", "aws-function-url-iam-request.json"))
	if err != nil {
		t.Fatal(err)
	}
	// AWS documents these as "null or excluded from the JSON".
	optional := map[string]bool{"pathParameters": true, "stageVariables": true}
	var a, b any
	if err := json.Unmarshal(ours, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(theirs, &b); err != nil {
		t.Fatal(err)
	}
	gotKeys, wantKeys := keyPaths(a, "", optional), keyPaths(b, "", optional)
	if !reflect.DeepEqual(gotKeys, wantKeys) {
		t.Errorf("event keys differ from AWS's\n got: %v\nwant: %v", gotKeys, wantKeys)
	}
}

// keyPaths lists the dotted paths of object keys, not descending into the free-form
// maps (headers, queryStringParameters).
func keyPaths(v any, prefix string, skip map[string]bool) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for k, child := range m {
		if skip[k] {
			continue
		}
		p := prefix + k
		out = append(out, p)
		if k == "headers" || k == "queryStringParameters" {
			continue
		}
		out = append(out, keyPaths(child, p+".", skip)...)
	}
	sort.Strings(out)
	return out
}

func TestEventRoundTripsThroughAWSLambdaGo(t *testing.T) {
	f := goldenFront(t)
	body := []byte("hello")
	ev := f.buildEvent(goldenRequest(t, body), body, mustNormalize(t, roleID), "req-1", testNow)
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var first events.LambdaFunctionURLRequest
	if err := json.Unmarshal(raw, &first); err != nil {
		t.Fatalf("unmarshal into events.LambdaFunctionURLRequest: %v", err)
	}
	again, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	var second events.LambdaFunctionURLRequest
	if err := json.Unmarshal(again, &second); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("round trip differs:\n%+v\n%+v", first, second)
	}

	rc := first.RequestContext
	checks := []struct{ name, got, want string }{
		{"version", first.Version, "2.0"},
		{"rawPath", first.RawPath, "/v1/credentials"},
		{"rawQueryString", first.RawQueryString, "profile=dev&profile=ops&duration=900"},
		{"query profile", first.QueryStringParameters["profile"], "dev,ops"},
		{"query duration", first.QueryStringParameters["duration"], "900"},
		{"cookies", strings.Join(first.Cookies, "|"), "a=1|b=2"},
		{"repeated header", first.Headers["x-multi"], "one,two"},
		{"host header", first.Headers["host"], "localfunctionurl0000000000000000.lambda-url.eu-west-1.on.aws"},
		{"x-forwarded-for", first.Headers["x-forwarded-for"], "192.0.2.10"},
		{"accountId (function owner)", rc.AccountID, DefaultAccountID},
		{"apiId", rc.APIID, DefaultURLID},
		{"domainPrefix", rc.DomainPrefix, DefaultURLID},
		{"domainName", rc.DomainName, DefaultURLID + ".lambda-url.eu-west-1.on.aws"},
		{"requestId", rc.RequestID, "req-1"},
		{"time", rc.Time, "12/Mar/2026:19:03:58 +0000"},
		{"method", rc.HTTP.Method, http.MethodPost},
		{"path", rc.HTTP.Path, "/v1/credentials"},
		{"protocol", rc.HTTP.Protocol, "HTTP/1.1"},
		{"sourceIp", rc.HTTP.SourceIP, "192.0.2.10"},
		{"userAgent", rc.HTTP.UserAgent, "vend/1.0 aws-sdk-go-v2/1.48.0"},
		{"iam.accessKey", rc.Authorizer.IAM.AccessKey, roleID.AccessKeyID},
		{"iam.accountId", rc.Authorizer.IAM.AccountID, "444455556666"},
		{"iam.callerId", rc.Authorizer.IAM.CallerID, roleID.UserID},
		{"iam.userArn", rc.Authorizer.IAM.UserARN, roleID.ARN},
		{"iam.userId", rc.Authorizer.IAM.UserID, roleID.UserID},
		{"body", first.Body, "hello"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if rc.TimeEpoch != testNow.UnixMilli() {
		t.Errorf("timeEpoch = %d, want %d", rc.TimeEpoch, testNow.UnixMilli())
	}
	if _, ok := first.Headers["cookie"]; ok {
		t.Error("cookie header kept in headers; payload 2.0 moves it to cookies")
	}
}

func TestEventOrgIDAndBody(t *testing.T) {
	f := goldenFront(t)
	tests := []struct {
		name     string
		id       Identity
		body     []byte
		wantOrg  any
		wantBody any
		wantB64  bool
	}{
		{name: "org member, text body", id: userID, body: []byte("héllo"), wantOrg: "o-exampleorg1", wantBody: "héllo"},
		{name: "no org, binary body", id: roleID, body: []byte{0xff, 0xfe, 0x00}, wantOrg: nil, wantBody: "//4A", wantB64: true},
		{name: "no body", id: roleID, body: nil, wantOrg: nil, wantBody: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(f.buildEvent(goldenRequest(t, tc.body), tc.body, mustNormalize(t, tc.id), "id", testNow))
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Body            any  `json:"body"`
				IsBase64Encoded bool `json:"isBase64Encoded"`
				RequestContext  struct {
					Authorizer struct {
						IAM map[string]any `json:"iam"`
					} `json:"authorizer"`
				} `json:"requestContext"`
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			iam := m.RequestContext.Authorizer.IAM
			if org, ok := iam["principalOrgId"]; !ok || org != tc.wantOrg {
				t.Errorf("principalOrgId = %v (present %v), want %v", org, ok, tc.wantOrg)
			}
			if cog, ok := iam["cognitoIdentity"]; !ok || cog != nil {
				t.Errorf("cognitoIdentity = %v (present %v), want null", cog, ok)
			}
			if m.Body != tc.wantBody || m.IsBase64Encoded != tc.wantB64 {
				t.Errorf("body %v base64 %v, want %v %v", m.Body, m.IsBase64Encoded, tc.wantBody, tc.wantB64)
			}
		})
	}
}
