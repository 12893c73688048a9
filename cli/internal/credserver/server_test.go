package credserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vend-tvm/vend/lambda/wire"
)

const (
	testKeyID  = "ASIAFAKEKEYID0000001"
	testSecret = "SECRETsecretSECRETsecretSECRETsecret0001"
	testToken  = "SESSIONTOKENsessiontokenSESSIONTOKEN0001"
)

var testExpiry = time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, time.FixedZone("CET", 3600))

func staticProvider() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken,
			CanExpire: true, Expires: testExpiry, AccountID: "123456789012",
		}, nil
	})
}

func errorProvider(err error) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, err
	})
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func startServer(t testing.TB, p aws.CredentialsProvider, opts ...Option) *Server {
	t.Helper()
	s, err := New(p, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func newClient(t testing.TB) *http.Client {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, c *http.Client, req *http.Request) reply {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return reply{resp.StatusCode, resp.Header, body}
}

func TestRequests(t *testing.T) {
	var logs syncBuffer
	s := startServer(t, staticProvider(), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		WithAllowedHosts("vend.localhost:1234"))
	client := newClient(t)
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	tok := s.Token()

	tests := []struct {
		name   string
		method string
		path   string
		host   string            // "" keeps the URL's host
		header map[string]string // Authorization defaults to the token; "-" removes it
		want   int
		code   string
	}{
		{name: "valid", want: 200},
		{name: "query string ignored", path: wire.PathCredentials + "?profile=x", want: 200},
		{name: "localhost host", host: "localhost:" + port, want: 200},
		{name: "extra allowed host", host: "vend.localhost:1234", want: 200},
		{name: "missing token", header: map[string]string{"Authorization": "-"}, want: 401, code: wire.CodeUnauthenticated},
		{name: "empty token", header: map[string]string{"Authorization": ""}, want: 401, code: wire.CodeUnauthenticated},
		{name: "wrong token", header: map[string]string{"Authorization": "not-the-token"}, want: 403, code: wire.CodeAccessDenied},
		{name: "token prefix", header: map[string]string{"Authorization": tok[:len(tok)-1]}, want: 403, code: wire.CodeAccessDenied},
		{name: "token with suffix", header: map[string]string{"Authorization": tok + "x"}, want: 403, code: wire.CodeAccessDenied},
		{name: "bearer token", header: map[string]string{"Authorization": "Bearer " + tok}, want: 403, code: wire.CodeAccessDenied},
		{name: "foreign host", host: "example.com", want: 403, code: wire.CodeAccessDenied},
		{name: "rebinding host", host: "evil.com:" + port, want: 403, code: wire.CodeAccessDenied},
		{name: "host without port", host: "127.0.0.1", want: 403, code: wire.CodeAccessDenied},
		{name: "host with other port", host: "127.0.0.1:1", want: 403, code: wire.CodeAccessDenied},
		{name: "localhost subdomain", host: "a.localhost:" + port, want: 403, code: wire.CodeAccessDenied},
		{name: "origin", header: map[string]string{"Origin": "https://evil.com"}, want: 403, code: wire.CodeAccessDenied},
		{name: "null origin", header: map[string]string{"Origin": "null"}, want: 403, code: wire.CodeAccessDenied},
		{name: "referer", header: map[string]string{"Referer": "https://evil.com/"}, want: 403, code: wire.CodeAccessDenied},
		{name: "sec-fetch-site", header: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403, code: wire.CodeAccessDenied},
		{name: "sec-fetch-mode", header: map[string]string{"Sec-Fetch-Mode": "no-cors"}, want: 403, code: wire.CodeAccessDenied},
		{name: "POST", method: http.MethodPost, want: 405, code: wire.CodeMethodNotAllowed},
		{name: "PUT", method: http.MethodPut, want: 405, code: wire.CodeMethodNotAllowed},
		{name: "OPTIONS preflight", method: http.MethodOptions, want: 405, code: wire.CodeMethodNotAllowed},
		{name: "HEAD", method: http.MethodHead, want: 405},
		{name: "root path", path: "/", want: 404, code: wire.CodeNotFound},
		{name: "trailing slash", path: wire.PathCredentials + "/", want: 404, code: wire.CodeNotFound},
		{name: "other route", path: wire.PathProfiles, want: 404, code: wire.CodeNotFound},
		{name: "unknown path needs the token first", path: "/admin", header: map[string]string{"Authorization": "-"}, want: 401, code: wire.CodeUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			target := "http://" + u.Host + wire.PathCredentials
			if tt.path != "" {
				target = "http://" + u.Host + tt.path
			}
			req, err := http.NewRequest(method, target, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", tok)
			for k, v := range tt.header {
				if v == "-" {
					req.Header.Del(k)
				} else {
					req.Header.Set(k, v)
				}
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			r := do(t, client, req)
			if r.status != tt.want {
				t.Fatalf("status = %d, want %d; body %s", r.status, tt.want, r.body)
			}
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := r.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if tt.want == 200 {
				var got map[string]any
				if err := json.Unmarshal(r.body, &got); err != nil {
					t.Fatalf("body %q: %v", r.body, err)
				}
				if got["SecretAccessKey"] != testSecret {
					t.Fatalf("body lacks the credentials: %s", r.body)
				}
				return
			}
			if bytes.Contains(r.body, []byte(testSecret)) || bytes.Contains(r.body, []byte(tok)) {
				t.Fatalf("refusal body leaks a secret: %s", r.body)
			}
			if tt.code != "" {
				var e wire.Error
				if err := json.Unmarshal(r.body, &e); err != nil || e.Code != tt.code {
					t.Fatalf("body = %s, want code %q", r.body, tt.code)
				}
			}
		})
	}
	t.Run("two Authorization headers", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, s.URL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header["Authorization"] = []string{tok, tok}
		if r := do(t, client, req); r.status != 403 {
			t.Fatalf("status = %d, want 403", r.status)
		}
	})

	out := logs.String()
	if strings.Contains(out, tok) || strings.Contains(out, testSecret) || strings.Contains(out, testToken) {
		t.Errorf("log leaks the token or a secret:\n%s", out)
	}
	if !strings.Contains(out, "credentials request refused") {
		t.Errorf("log lacks the refusals:\n%s", out)
	}
}

func TestServeCredentials(t *testing.T) {
	s := startServer(t, staticProvider())
	req, err := http.NewRequest(http.MethodGet, s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", s.Token())
	r := do(t, newClient(t), req)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	want := `{"AccessKeyId":"` + testKeyID + `","SecretAccessKey":"` + testSecret + `","Token":"` + testToken +
		`","Expiration":"2030-01-02T02:04:05Z","AccountId":"123456789012"}`
	if string(r.body) != want {
		t.Errorf("body\n got %s\nwant %s", r.body, want)
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/v1/credentials$`).MatchString(s.URL()) {
		t.Errorf("URL = %q", s.URL())
	}
}

func TestServeNonExpiring(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	p := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIAFAKE", SecretAccessKey: testSecret}, nil
	})
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return now }
	s.hosts.Store(&[]string{"h"})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "http://h"+wire.PathCredentials, nil)
	req.Header.Set("Authorization", s.Token())
	s.Handler().ServeHTTP(rec, req)
	var got response
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Expiration != "2026-05-06T08:08:09Z" || got.Token != "" || got.AccountID != "" {
		t.Errorf("got %+v, want Expiration one hour ahead, no Token or AccountId", got)
	}
}

func TestProviderErrors(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		status    int
		want      wire.Error
		notInBody string
	}{
		{
			name:   "policy denial keeps rule and reason",
			err:    fmt.Errorf("tvm: %w", &wire.Error{Code: wire.CodeAccessDenied, Message: "denied by policy", RequestID: "req-1", Rule: "prod-admins", Reason: "outside working hours"}),
			status: 502,
			want:   wire.Error{Code: wire.CodeAccessDenied, Message: "denied by policy", RequestID: "req-1", Rule: "prod-admins", Reason: "outside working hours"},
		},
		{
			name:   "throttled",
			err:    &wire.Error{Code: wire.CodeSTSThrottled, Message: "slow down"},
			status: 503,
			want:   wire.Error{Code: wire.CodeSTSThrottled, Message: "slow down"},
		},
		{
			name:      "other error text is not echoed",
			err:       errors.New("dial tcp 10.1.2.3:443: connection refused"),
			status:    502,
			want:      wire.Error{Code: wire.CodeInternal, Message: "credentials unavailable from the TVM; see the vend log"},
			notInBody: "10.1.2.3",
		},
		{
			name:   "timeout",
			err:    fmt.Errorf("retrieve: %w", context.DeadlineExceeded),
			status: 503,
			want:   wire.Error{Code: wire.CodeInternal, Message: "credentials unavailable from the TVM; see the vend log"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			s := startServer(t, errorProvider(tt.err), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			req, err := http.NewRequest(http.MethodGet, s.URL(), nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", s.Token())
			r := do(t, newClient(t), req)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d", r.status, tt.status)
			}
			var got wire.Error
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("body = %+v, want %+v", got, tt.want)
			}
			if tt.notInBody != "" && bytes.Contains(r.body, []byte(tt.notInBody)) {
				t.Errorf("body echoes the internal error: %s", r.body)
			}
			if !strings.Contains(logs.String(), "credentials unavailable") {
				t.Errorf("log lacks the failure:\n%s", logs.String())
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"127.0.0.1:8123", true},
		{"127.0.0.2:0", true},
		{"localhost:0", true},
		{"[::1]:0", true},
		{"0.0.0.0:0", false},
		{":0", false},
		{"[::]:0", false},
		{"192.168.1.10:0", false},
		{"10.0.0.1:0", false},
		{"169.254.170.2:0", false},
		{"[::ffff:0.0.0.0]:0", false},
		{"[fe80::1%lo]:0", false},
		{"example.com:0", false},
		{"127.0.0.1", false},
		{"127.0.0.1:99999", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			_, err := New(staticProvider(), WithAddr(tt.addr))
			if (err == nil) != tt.ok {
				t.Fatalf("New(WithAddr(%q)) error = %v, want ok %v", tt.addr, err, tt.ok)
			}
		})
	}
	t.Run("wildcard is ErrNotLoopback", func(t *testing.T) {
		if _, err := New(staticProvider(), WithAddr("0.0.0.0:0")); !errors.Is(err, ErrNotLoopback) {
			t.Fatalf("error = %v, want ErrNotLoopback", err)
		}
	})
	t.Run("nil provider", func(t *testing.T) {
		if _, err := New(nil); err == nil {
			t.Fatal("New(nil) succeeded")
		}
	})
}

func TestToken(t *testing.T) {
	a, err := New(staticProvider())
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(staticProvider())
	if err != nil {
		t.Fatal(err)
	}
	// 256 bits in unpadded base64url: 43 characters.
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(a.Token()) {
		t.Errorf("token %q is not 43 URL-safe characters", a.Token())
	}
	if a.Token() == b.Token() {
		t.Error("two servers share a token")
	}
}

func TestTokenFile(t *testing.T) {
	parent := t.TempDir()
	s := startServer(t, staticProvider())
	path, err := s.WriteTokenFile(parent)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != s.Token() {
		t.Error("token file does not hold the token")
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s mode = %o, want %o", p, got, want)
		}
	}
	if filepath.Dir(filepath.Dir(path)) != parent {
		t.Errorf("token file %s is not in a fresh directory under %s", path, parent)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("token directory survives Close: %v", err)
	}
	if _, err := s.WriteTokenFile(parent); err == nil {
		t.Error("WriteTokenFile after Close succeeded")
	}
}
