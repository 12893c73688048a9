package localfront

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
)

const credPath = "/v1/credentials?profile=dev"

func TestVerifyAccepts(t *testing.T) {
	tests := []struct {
		name    string
		id      Identity
		method  string
		body    []byte
		service string
		opts    []Option
		edit    func(*http.Request) // before signing
		after   func(*http.Request) // after signing
	}{
		{name: "long-term key GET", id: userID, method: http.MethodGet},
		{name: "temporary credentials with signed token", id: roleID, method: http.MethodGet},
		// Signed without the token, which is added afterwards, as clients that
		// append the token after signing do.
		{name: "temporary credentials with unsigned token", id: roleID, method: http.MethodGet},
		{name: "POST with a body signs content-length", id: userID, method: http.MethodPost, body: []byte(`{"profile":"dev"}`)},
		{
			name: "extra signed header and content sha256", id: userID, method: http.MethodPost, body: []byte("payload"),
			edit: func(r *http.Request) {
				r.Header.Set("X-Vend-Test", "  spaced   value ")
				r.Header.Set("X-Amz-Content-Sha256", "239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5")
			},
		},
		{
			name: "unsigned headers may change after signing", id: userID, method: http.MethodGet,
			after: func(r *http.Request) { r.Header.Set("User-Agent", "changed-after-signing") },
		},
		{name: "execute-api service", id: userID, method: http.MethodGet, service: "execute-api", opts: []Option{WithService("execute-api")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := &fakeInvoker{}
			_, url := startFront(t, inv, nil, tc.opts...)
			service := tc.service
			if service == "" {
				service = "lambda"
			}
			c := creds(tc.id)
			unsignedToken := strings.Contains(tc.name, "unsigned token")
			if unsignedToken {
				c.SessionToken = ""
			}
			req := signed(t, tc.method, url+credPath, tc.body, c, service, "eu-west-1", testNow.Add(-time.Minute), tc.edit)
			if unsignedToken {
				req.Header.Set(headerToken, tc.id.SessionToken)
			}
			if tc.after != nil {
				tc.after(req)
			}
			status, h, body := do(t, req)
			if status != http.StatusOK {
				t.Fatalf("status %d, body %s", status, body)
			}
			if h.Get("X-Amzn-Requestid") == "" {
				t.Error("no x-amzn-RequestId")
			}
			calls := inv.calls()
			if len(calls) != 1 {
				t.Fatalf("invoker called %d times, want 1", len(calls))
			}
			var ev events.LambdaFunctionURLRequest
			if err := json.Unmarshal(calls[0], &ev); err != nil {
				t.Fatalf("event does not unmarshal: %v", err)
			}
			iam := ev.RequestContext.Authorizer.IAM
			want := events.LambdaFunctionURLRequestContextAuthorizerIAMDescription{
				AccessKey: tc.id.AccessKeyID,
				AccountID: strings.Split(tc.id.ARN, ":")[4],
				CallerID:  tc.id.UserID,
				UserARN:   tc.id.ARN,
				UserID:    tc.id.UserID,
			}
			if *iam != want {
				t.Errorf("authorizer.iam = %+v, want %+v", *iam, want)
			}
			if ev.RequestContext.RequestID != h.Get("X-Amzn-Requestid") {
				t.Errorf("event requestId %q != header %q", ev.RequestContext.RequestID, h.Get("X-Amzn-Requestid"))
			}
			if ev.RawPath != "/v1/credentials" || ev.QueryStringParameters["profile"] != "dev" || ev.RequestContext.HTTP.Method != tc.method {
				t.Errorf("event path/query/method = %q %v %q", ev.RawPath, ev.QueryStringParameters, ev.RequestContext.HTTP.Method)
			}
			if string(tc.body) != ev.Body {
				t.Errorf("event body %q, want %q", ev.Body, tc.body)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	at := testNow.Add(-time.Minute)
	other := userID
	other.SecretAccessKey = "not-the-secret"
	unknown := userID
	unknown.AccessKeyID = "AKIAUNKNOWNKEY000000"
	setAuth := func(from, to string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), from, to, 1))
		}
	}
	tests := []struct {
		name      string
		c         aws.Credentials
		method    string
		body      []byte
		service   string
		region    string
		at        time.Time
		edit      func(*http.Request) // before signing
		after     func(*http.Request) // after signing
		errorType string
		message   string // substring
	}{
		{name: "no authorization", c: creds(userID), after: func(r *http.Request) { r.Header.Del("Authorization") },
			errorType: "AccessDeniedException", message: "Forbidden"},
		{name: "malformed authorization", c: creds(userID), after: func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 nonsense") },
			errorType: "IncompleteSignatureException"},
		{name: "wrong secret", c: creds(other), errorType: "InvalidSignatureException", message: "does not match"},
		{name: "unknown key", c: creds(unknown), errorType: "UnrecognizedClientException", message: "security token included in the request is invalid"},
		{name: "tampered query", c: creds(userID), after: func(r *http.Request) { r.URL.RawQuery = "profile=prod" },
			errorType: "InvalidSignatureException", message: "does not match"},
		{name: "added query parameter", c: creds(userID), after: func(r *http.Request) { r.URL.RawQuery += "&duration=3600" },
			errorType: "InvalidSignatureException", message: "does not match"},
		{name: "tampered path", c: creds(userID), after: func(r *http.Request) { r.URL.Path = "/v1/whoami" },
			errorType: "InvalidSignatureException", message: "does not match"},
		{name: "tampered method", c: creds(userID), after: func(r *http.Request) { r.Method = http.MethodDelete },
			errorType: "InvalidSignatureException", message: "does not match"},
		{name: "tampered signed header", c: creds(userID),
			edit:      func(r *http.Request) { r.Header.Set("X-Vend-Test", "a") },
			after:     func(r *http.Request) { r.Header.Set("X-Vend-Test", "b") },
			errorType: "InvalidSignatureException", message: "does not match"},
		{name: "signed header removed", c: creds(userID),
			edit:      func(r *http.Request) { r.Header.Set("X-Vend-Test", "a") },
			after:     func(r *http.Request) { r.Header.Del("X-Vend-Test") },
			errorType: "InvalidSignatureException", message: "does not match"},
		{name: "tampered body", c: creds(userID), method: http.MethodPost, body: []byte(`{"a":1}`),
			after: func(r *http.Request) {
				r.Body = newBody([]byte(`{"a":2}`))
			},
			errorType: "InvalidSignatureException", message: "does not match"},
		{name: "content sha256 does not match body", c: creds(userID), method: http.MethodPost, body: []byte("x"),
			edit:      func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") },
			errorType: "InvalidSignatureException", message: "x-amz-content-sha256"},
		{name: "host not in SignedHeaders", c: creds(userID), after: setAuth("SignedHeaders=host;", "SignedHeaders="),
			errorType: "InvalidSignatureException", message: "'Host' must be a 'SignedHeader'"},
		{name: "x-amz-date not in SignedHeaders", c: creds(userID), after: setAuth(";x-amz-date", ""),
			errorType: "InvalidSignatureException", message: "'X-Amz-Date' must be a 'SignedHeader'"},
		{name: "tampered host", c: creds(userID), after: func(r *http.Request) { r.Host = "localhost:1" },
			errorType: "InvalidSignatureException", message: "does not match"},
		{name: "stale date", c: creds(userID), at: testNow.Add(-5*time.Minute - time.Second),
			errorType: "InvalidSignatureException", message: "Signature expired"},
		{name: "future date", c: creds(userID), at: testNow.Add(5*time.Minute + time.Second),
			errorType: "InvalidSignatureException", message: "Signature not yet current"},
		{name: "scope date differs from x-amz-date", c: creds(userID), after: setAuth("/20260312/", "/20260311/"),
			errorType: "InvalidSignatureException", message: "Date in Credential scope"},
		{name: "x-amz-date rewritten", c: creds(userID), after: func(r *http.Request) { r.Header.Set(headerAmzDate, testNow.Format(amzDateFormat)) },
			errorType: "InvalidSignatureException", message: "does not match"},
		{name: "x-amz-date missing", c: creds(userID), after: func(r *http.Request) { r.Header.Del(headerAmzDate) },
			errorType: "IncompleteSignatureException", message: "X-Amz-Date"},
		{name: "wrong region", c: creds(userID), region: "us-east-1",
			errorType: "InvalidSignatureException", message: "valid region"},
		{name: "wrong service", c: creds(userID), service: "execute-api",
			errorType: "InvalidSignatureException", message: "correct service: 'lambda'"},
		{name: "missing session token", c: aws.Credentials{AccessKeyID: roleID.AccessKeyID, SecretAccessKey: roleID.SecretAccessKey},
			errorType: "UnrecognizedClientException", message: "security token"},
		{name: "mismatched session token", c: aws.Credentials{AccessKeyID: roleID.AccessKeyID, SecretAccessKey: roleID.SecretAccessKey, SessionToken: roleID.SessionToken + "x"},
			errorType: "UnrecognizedClientException", message: "security token"},
		{name: "token swapped after signing", c: creds(roleID), after: func(r *http.Request) { r.Header.Set(headerToken, "other") },
			errorType: "UnrecognizedClientException", message: "security token"},
		{name: "token sent for a long-term key", c: aws.Credentials{AccessKeyID: userID.AccessKeyID, SecretAccessKey: userID.SecretAccessKey, SessionToken: "tok"},
			errorType: "UnrecognizedClientException", message: "security token"},
		{name: "signature of another request", c: creds(userID),
			after: func(r *http.Request) {
				// Replay the signature with a different query: the classic splice.
				r.URL.RawQuery = "profile=admin"
			},
			errorType: "InvalidSignatureException", message: "does not match"},
	}
	logs := &syncBuffer{}
	inv := &fakeInvoker{}
	_, url := startFront(t, inv, logs)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			service, region, when := tc.service, tc.region, tc.at
			if service == "" {
				service = "lambda"
			}
			if region == "" {
				region = "eu-west-1"
			}
			if when.IsZero() {
				when = at
			}
			req := signed(t, method, url+credPath, tc.body, tc.c, service, region, when, tc.edit)
			if tc.after != nil {
				tc.after(req)
			}
			before := len(inv.calls())
			status, h, body := do(t, req)
			if status != http.StatusForbidden {
				t.Fatalf("status %d, want 403; body %s", status, body)
			}
			if got := h.Get("X-Amzn-Errortype"); got != tc.errorType {
				t.Errorf("x-amzn-ErrorType %q, want %q", got, tc.errorType)
			}
			var eb struct{ Message string }
			if err := json.Unmarshal(body, &eb); err != nil {
				t.Fatalf("body %q is not {\"Message\":...}: %v", body, err)
			}
			if !strings.Contains(eb.Message, tc.message) {
				t.Errorf("message %q does not contain %q", eb.Message, tc.message)
			}
			if n := len(inv.calls()) - before; n != 0 {
				t.Errorf("invoker called %d times for a refused request", n)
			}
		})
	}
	// Refusals are logged, but never with a secret, a token or a signature.
	out := logs.String()
	for _, secret := range []string{userID.SecretAccessKey, roleID.SecretAccessKey, roleID.SessionToken, "Signature=", "AWS4-HMAC-SHA256"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q", secret)
		}
	}
	if n := strings.Count(out, "\n"); n != len(tests) {
		t.Errorf("%d log lines for %d requests", n, len(tests))
	}
}

type bodyReader struct{ *bytes.Reader }

func (bodyReader) Close() error { return nil }

func newBody(b []byte) bodyReader { return bodyReader{bytes.NewReader(b)} }

func TestLogLine(t *testing.T) {
	logs := &syncBuffer{}
	_, url := startFront(t, &fakeInvoker{}, logs)
	req := signed(t, http.MethodGet, url+credPath, nil, creds(roleID), "lambda", "eu-west-1", testNow, nil)
	if status, _, body := do(t, req); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var line struct {
		Msg       string  `json:"msg"`
		Status    int     `json:"status"`
		CallerARN string  `json:"caller_arn"`
		RequestID string  `json:"request_id"`
		LatencyMS float64 `json:"latency_ms"`
	}
	out := logs.String()
	if err := json.Unmarshal([]byte(out), &line); err != nil {
		t.Fatalf("log %q is not one JSON line: %v", out, err)
	}
	if line.Status != 200 || line.CallerARN != roleID.ARN || line.RequestID == "" || line.LatencyMS < 0 {
		t.Errorf("log line %+v", line)
	}
	for _, s := range []string{roleID.SecretAccessKey, roleID.SessionToken, "Signature="} {
		if strings.Contains(out, s) {
			t.Errorf("log holds %q", s)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		chunked bool
		want    int
	}{
		{name: "at the limit", size: 1024, want: http.StatusOK},
		{name: "over the limit", size: 1025, want: http.StatusRequestEntityTooLarge},
		{name: "over the limit, chunked", size: 4096, chunked: true, want: http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := &fakeInvoker{}
			_, url := startFront(t, inv, nil, WithMaxBodyBytes(1024))
			body := bytes.Repeat([]byte("a"), tc.size)
			req := signed(t, http.MethodPost, url+credPath, body, creds(userID), "lambda", "eu-west-1", testNow, nil)
			if tc.chunked {
				req.ContentLength = -1
				req.Body = newBody(body)
			}
			status, _, resp := do(t, req)
			if status != tc.want {
				t.Fatalf("status %d, want %d: %s", status, tc.want, resp)
			}
			if tc.want != http.StatusOK && len(inv.calls()) != 0 {
				t.Error("invoker called for an oversized body")
			}
		})
	}
}

func TestInvokeFailures(t *testing.T) {
	tests := []struct {
		name string
		inv  *fakeInvoker
	}{
		{name: "invoker error", inv: &fakeInvoker{err: errors.New("function timed out")}},
		{name: "output not JSON", inv: &fakeInvoker{out: []byte("not json")}},
		{name: "statusCode not a number", inv: &fakeInvoker{out: []byte(`{"statusCode":"200"}`)}},
		{name: "body not base64", inv: &fakeInvoker{out: []byte(`{"statusCode":200,"body":"%%%","isBase64Encoded":true}`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, url := startFront(t, tc.inv, nil)
			req := signed(t, http.MethodGet, url+credPath, nil, creds(userID), "lambda", "eu-west-1", testNow, nil)
			status, h, body := do(t, req)
			if status != http.StatusBadGateway || string(body) != "Internal Server Error" {
				t.Fatalf("got %d %q, want 502 Internal Server Error", status, body)
			}
			if h.Get("X-Amzn-Requestid") == "" {
				t.Error("no x-amzn-RequestId")
			}
		})
	}
}

func TestAddIdentityWhileServing(t *testing.T) {
	inv := &fakeInvoker{}
	f, url := startFront(t, inv, nil)
	const n = 8
	var wg sync.WaitGroup
	ids := make([]Identity, n)
	for i := range n {
		ids[i] = Identity{
			AccessKeyID:     "AKIACONCURRENT" + string(rune('A'+i)),
			SecretAccessKey: "secret-" + string(rune('a'+i)),
			ARN:             "arn:aws:iam::111122223333:user/u" + string(rune('a'+i)),
		}
	}
	for i := range n {
		wg.Go(func() {
			if err := f.AddIdentity(ids[i]); err != nil {
				t.Errorf("AddIdentity: %v", err)
				return
			}
			req := signed(t, http.MethodGet, url+credPath, nil, creds(ids[i]), "lambda", "eu-west-1", testNow, nil)
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				t.Errorf("do: %v", err)
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("identity %d: status %d", i, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if err := f.AddIdentity(ids[0]); !errors.Is(err, ErrDuplicateIdentity) {
		t.Errorf("second AddIdentity of a key: %v, want ErrDuplicateIdentity", err)
	}
	if got := len(inv.calls()); got != n {
		t.Errorf("invoker called %d times, want %d", got, n)
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	f, err := New(&fakeInvoker{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "10.1.2.3:0", "example.com:0", "127.0.0.1"} {
		t.Run(addr, func(t *testing.T) {
			_, stop, err := f.Start(addr)
			if err == nil {
				_ = stop(context.Background())
				t.Fatalf("Start(%q) succeeded", addr)
			}
		})
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "127.0.0.2:0"} {
		t.Run(addr, func(t *testing.T) {
			url, stop, err := f.Start(addr)
			if err != nil {
				t.Fatalf("Start(%q): %v", addr, err)
			}
			if !strings.HasPrefix(url, "http://127.") {
				t.Errorf("url %q", url)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := stop(ctx); err != nil {
				t.Errorf("stop: %v", err)
			}
			if err := stop(ctx); err != nil {
				t.Errorf("second stop: %v", err)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	bad := userID
	bad.SecretAccessKey = ""
	tests := []struct {
		name string
		inv  Invoker
		ids  []Identity
		opts []Option
	}{
		{name: "nil invoker", ids: []Identity{userID}},
		{name: "empty region", inv: &fakeInvoker{}, opts: []Option{WithRegion("")}},
		{name: "empty service", inv: &fakeInvoker{}, opts: []Option{WithService("")}},
		{name: "nil clock", inv: &fakeInvoker{}, opts: []Option{WithClock(nil)}},
		{name: "nil logger", inv: &fakeInvoker{}, opts: []Option{WithLogger(nil)}},
		{name: "zero body limit", inv: &fakeInvoker{}, opts: []Option{WithMaxBodyBytes(0)}},
		{name: "invalid identity", inv: &fakeInvoker{}, ids: []Identity{bad}},
		{name: "duplicate identity", inv: &fakeInvoker{}, ids: []Identity{userID, userID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.inv, tc.ids, tc.opts...); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
}
