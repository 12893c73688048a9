package tvmclient

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

func TestSigningFor(t *testing.T) {
	tests := []struct {
		host, service, region string
	}{
		{"abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws", "lambda", "eu-west-1"},
		{"ABCDEF.LAMBDA-URL.US-EAST-2.ON.AWS", "lambda", "us-east-2"},
		{"abc.lambda-url.ap-southeast-2.on.aws:443", "lambda", "ap-southeast-2"},
		{"a1b2c3d4e5.execute-api.us-west-2.amazonaws.com", "execute-api", "us-west-2"},
		{"a1b2c3d4e5-vpce-0123.execute-api.eu-central-1.amazonaws.com", "execute-api", "eu-central-1"},
		{"a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn", "execute-api", "cn-north-1"},
		{"vend.example.com", "lambda", ""},
		{"127.0.0.1:9000", "lambda", ""},
		{"lambda-url.eu-west-1.on.aws", "lambda", ""},
		{"x.lambda-url.eu-west-1.on.aws.evil.com", "lambda", ""},
		{"x.execute-api.eu-west-1.amazonaws.com.evil.com", "lambda", ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			s, r := SigningFor(tt.host)
			if s != tt.service || r != tt.region {
				t.Errorf("SigningFor(%q) = %s, %s; want %s, %s", tt.host, s, r, tt.service, tt.region)
			}
		})
	}
}

func TestParseServerURL(t *testing.T) {
	tests := []struct {
		url     string
		wantErr string
	}{
		{"https://abc.lambda-url.eu-west-1.on.aws", ""},
		{"https://abc.lambda-url.eu-west-1.on.aws/", ""},
		{"https://api.example.com/prod", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://127.1.2.3:8080", ""},
		{"http://localhost:8080", ""},
		{"http://[::1]:8080", ""},
		{"http://abc.lambda-url.eu-west-1.on.aws", "must use https"},
		{"http://10.0.0.1:8080", "must use https"},
		{"http://localhost.evil.com", "must use https"},
		{"ftp://abc", "must look like"},
		{"abc.lambda-url.eu-west-1.on.aws", "must look like"},
		{"https://user:hunter2@abc.example.com", "must not contain a user name"},
		{"https://abc.example.com?x=1", "must not have a query"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := ParseServerURL(tt.url)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestNewSigningResolution(t *testing.T) {
	base := tvmtest.BaseProvider()
	tests := []struct {
		name                string
		url                 string
		opts                []Option
		wantService, region string
		wantErr             bool
	}{
		{"function URL host", "https://x.lambda-url.eu-west-1.on.aws", []Option{WithDefaultRegion("us-east-1")}, "lambda", "eu-west-1", false},
		{"api gateway host", "https://x.execute-api.us-west-2.amazonaws.com/prod", nil, "execute-api", "us-west-2", false},
		{"custom domain uses config region", "https://vend.example.com", []Option{WithDefaultRegion("eu-north-1")}, "lambda", "eu-north-1", false},
		{"overrides win", "https://x.lambda-url.eu-west-1.on.aws", []Option{WithSigningService("execute-api"), WithSigningRegion("ap-south-1")}, "execute-api", "ap-south-1", false},
		{"no region anywhere", "https://vend.example.com", nil, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.url, base, tt.opts...)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "--signing-region") {
					t.Fatalf("got %v, want a signing region error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.SigningService() != tt.wantService || c.SigningRegion() != tt.region {
				t.Errorf("got %s/%s, want %s/%s", c.SigningService(), c.SigningRegion(), tt.wantService, tt.region)
			}
		})
	}
}

func newClient(t *testing.T, srv *tvmtest.Server, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithDefaultRegion("eu-west-1"), WithBackoff(time.Millisecond)}, opts...)
	c, err := New(srv.URL, tvmtest.BaseProvider(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProviderRetrieve(t *testing.T) {
	srv := tvmtest.New(t, "lambda", "eu-west-1")
	srv.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	c := newClient(t, srv)
	p := &Provider{Client: c, Request: Request{Profile: "deploy", Duration: 30 * time.Minute}}
	got, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessKeyID != tvmtest.VendedAccessKeyID || got.SecretAccessKey != tvmtest.VendedSecretAccessKey ||
		got.SessionToken != tvmtest.VendedSessionToken || got.AccountID != tvmtest.AccountID {
		t.Errorf("credentials = %+v", got)
	}
	if !got.CanExpire || time.Until(got.Expires) < 55*time.Minute || got.Source != Source {
		t.Errorf("expiry = %v %v, source %q", got.CanExpire, got.Expires, got.Source)
	}
	calls := srv.Calls()
	if len(calls) != 1 || calls[0].Profile != "deploy" || !strings.Contains(calls[0].Query, "duration=1800") {
		t.Errorf("calls = %+v", calls)
	}
}

func TestDurationOmittedWhenUnset(t *testing.T) {
	srv := tvmtest.New(t, "lambda", "eu-west-1")
	srv.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	if _, err := newClient(t, srv).Credentials(context.Background(), Request{Profile: "dev"}); err != nil {
		t.Fatal(err)
	}
	if q := srv.Calls()[0].Query; strings.Contains(q, "duration") {
		t.Errorf("query %q has a duration", q)
	}
}

func TestSignsForAPIGatewayService(t *testing.T) {
	srv := tvmtest.New(t, "execute-api", "us-west-2")
	srv.Handle(wire.PathWhoami, tvmtest.JSON(200, wire.Whoami{Caller: wire.Caller{ARN: "arn:aws:iam::1:user/a"}}))
	c := newClient(t, srv, WithSigningService("execute-api"), WithSigningRegion("us-west-2"))
	w, err := c.Whoami(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if w.Caller.ARN != "arn:aws:iam::1:user/a" {
		t.Errorf("whoami = %+v", w)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		wantCalls int
		check     func(t *testing.T, err error)
	}{
		{
			name: "denial is a wire error and is not retried", handler: tvmtest.Deny("no-prod", "outside hours"), wantCalls: 1,
			check: func(t *testing.T, err error) {
				var we *wire.Error
				if !errors.As(err, &we) || we.Code != wire.CodeAccessDenied || we.Rule != "no-prod" || we.Reason != "outside hours" {
					t.Errorf("got %#v", err)
				}
				if we.RequestID != "req-denied" {
					t.Errorf("request id = %q", we.RequestID)
				}
			},
		},
		{
			name:    "unknown profile",
			handler: tvmtest.JSON(404, wire.Error{Code: wire.CodeUnknownProfile, Message: "no profile nope"}), wantCalls: 1,
			check: func(t *testing.T, err error) {
				var we *wire.Error
				if !errors.As(err, &we) || we.Code != wire.CodeUnknownProfile || we.RequestID != "req-credentials" {
					t.Errorf("got %#v", err)
				}
			},
		},
		{
			name:    "AWS front end 403 is a status error with a hint",
			handler: tvmtest.JSON(403, map[string]string{"Message": "Forbidden"}), wantCalls: 1,
			check: func(t *testing.T, err error) {
				var se *StatusError
				if !errors.As(err, &se) || se.StatusCode != 403 || se.Message != "Forbidden" {
					t.Fatalf("got %#v", err)
				}
				if !strings.Contains(err.Error(), "base credentials") {
					t.Errorf("no hint in %q", err)
				}
			},
		},
		{
			name: "signature mismatch text is cut before the canonical string",
			handler: tvmtest.JSON(403, map[string]string{"message": "The request signature we calculated does not match. " +
				"The Canonical String for this request should have been\nx-amz-security-token:" + tvmtest.BaseSessionToken}),
			wantCalls: 1,
			check: func(t *testing.T, err error) {
				if strings.Contains(err.Error(), tvmtest.BaseSessionToken) || strings.Contains(err.Error(), "Canonical") {
					t.Errorf("error leaks the canonical request: %q", err)
				}
			},
		},
		{
			name: "non-JSON error body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
			}, wantCalls: 1,
			check: func(t *testing.T, err error) {
				var se *StatusError
				if !errors.As(err, &se) || se.StatusCode != 502 || se.Message != "Bad Gateway" {
					t.Errorf("got %#v", err)
				}
			},
		},
		{
			name:    "throttling is retried three times then returned",
			handler: tvmtest.JSON(429, wire.Error{Code: wire.CodeRateLimited, Message: "slow down"}), wantCalls: 3,
			check: func(t *testing.T, err error) {
				var we *wire.Error
				if !errors.As(err, &we) || we.Code != wire.CodeRateLimited {
					t.Errorf("got %#v", err)
				}
			},
		},
		{
			name: "oversized body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(bytes.Repeat([]byte(" "), 2<<20))
			},
			wantCalls: 1,
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "larger than") {
					t.Errorf("got %v", err)
				}
			},
		},
		{
			name: "2xx that is not JSON does not quote the body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(`{"AccessKeyId":"x","SecretAccessKey":"` + tvmtest.VendedSecretAccessKey + `"`))
			},
			wantCalls: 1,
			check: func(t *testing.T, err error) {
				if err == nil || strings.Contains(err.Error(), tvmtest.VendedSecretAccessKey) {
					t.Errorf("got %v", err)
				}
			},
		},
		{
			name:      "incomplete credentials",
			handler:   tvmtest.JSON(200, wire.Credentials{AccessKeyID: "A", SecretAccessKey: "B", Token: "C"}),
			wantCalls: 1,
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "expiration") {
					t.Errorf("got %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tvmtest.New(t, "lambda", "eu-west-1")
			srv.Handle(wire.PathCredentials, tt.handler)
			_, err := newClient(t, srv).Credentials(context.Background(), Request{Profile: "prod"})
			if err == nil {
				t.Fatal("want an error")
			}
			tt.check(t, err)
			if n := srv.CallCount(wire.PathCredentials); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	srv := tvmtest.New(t, "lambda", "eu-west-1")
	var n atomic.Int32
	srv.Handle(wire.PathCredentials, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "120")
			tvmtest.JSON(503, wire.Error{Code: wire.CodeSTSThrottled, Message: "throttled"})(w, r)
			return
		}
		tvmtest.Allow(time.Hour)(w, r)
	})
	var waits []time.Duration
	c := newClient(t, srv, WithMaxRetryAfter(3*time.Second))
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	if _, err := c.Credentials(context.Background(), Request{Profile: "dev"}); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] != 3*time.Second {
		t.Errorf("waits = %v, want one capped wait of 3s", waits)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	c := &Client{maxRetryAfter: 10 * time.Second}
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"2", 2 * time.Second},
		{"600", 10 * time.Second},
		{"-5", 0},
		{"soon", 0},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			if got := c.retryAfter(tt.header); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRetriesNetworkErrors(t *testing.T) {
	// A listener that accepts and immediately closes: a network error on every attempt.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Close()
		}
	}()
	c, err := New("http://"+ln.Addr().String(), tvmtest.BaseProvider(), WithDefaultRegion("eu-west-1"), WithBackoff(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Whoami(context.Background())
	if err == nil || !strings.Contains(err.Error(), "call the TVM") {
		t.Fatalf("got %v", err)
	}
	if n := accepted.Load(); n != 3 {
		t.Errorf("connections = %d, want 3 attempts", n)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	srv := tvmtest.New(t, "lambda", "eu-west-1")
	srv.Handle(wire.PathProfiles, tvmtest.JSON(503, wire.Error{Code: wire.CodeSTSThrottled}))
	ctx, cancel := context.WithCancel(context.Background())
	c := newClient(t, srv)
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, err := c.Profiles(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if n := srv.CallCount(wire.PathProfiles); n != 1 {
		t.Errorf("calls = %d", n)
	}
}

func TestDebugLogHasNoSecrets(t *testing.T) {
	srv := tvmtest.New(t, "lambda", "eu-west-1")
	srv.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := newClient(t, srv, WithLogger(logger)).Credentials(context.Background(), Request{Profile: "dev"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`"status":200`, `"request_id":"req-credentials"`, `"duration_ms"`, `"path":"/v1/credentials"`} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %s:\n%s", want, out)
		}
	}
	for _, s := range tvmtest.Secrets {
		if strings.Contains(out, s) {
			t.Errorf("debug log leaks %q", s)
		}
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	srv := tvmtest.New(t, "lambda", "eu-west-1")
	srv.Handle(wire.PathWhoami, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example.com/v1/whoami", http.StatusFound)
	})
	_, err := newClient(t, srv).Whoami(context.Background())
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusFound {
		t.Fatalf("got %v", err)
	}
}

func TestBaseCredentialsError(t *testing.T) {
	srv := tvmtest.New(t, "lambda", "eu-west-1")
	c, err := New(srv.URL, failingProvider{}, WithDefaultRegion("eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Whoami(context.Background())
	var be *BaseCredentialsError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "--base-profile") {
		t.Fatalf("got %v", err)
	}
	if len(srv.Calls()) != 0 {
		t.Error("sent a request without credentials")
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add("Forbidden")
	f.Add("The request signature we calculated does not match.\nThe Canonical String for this request should have been x")
	f.Fuzz(func(t *testing.T, msg string) {
		creds, _ := tvmtest.BaseProvider().Retrieve(context.Background())
		got := sanitize(msg, creds)
		if strings.Contains(got, tvmtest.BaseSessionToken) || strings.Contains(got, tvmtest.BaseSecretAccessKey) {
			t.Errorf("sanitize(%q) = %q leaks a secret", msg, got)
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Errorf("sanitize(%q) = %q has a newline", msg, got)
		}
	})
}

// TestWaitingNotice: an attempt unanswered for a while is announced once, with the host,
// the attempt's number and how long the whole call has waited; a quick answer is not.
func TestWaitingNotice(t *testing.T) {
	srv := tvmtest.New(t, "lambda", "eu-west-1")
	var calls atomic.Int32
	srv.Handle(wire.PathWhoami, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			tvmtest.JSON(429, wire.Error{Code: wire.CodeRateLimited, Message: "busy"})(w, r)
			return
		}
		tvmtest.JSON(200, wire.Whoami{})(w, r)
	})
	var mu sync.Mutex
	var got []Waiting
	c := newClient(t, srv, WithWaiting(func(w Waiting) { mu.Lock(); got = append(got, w); mu.Unlock() }))
	c.waitAfter = 50 * time.Millisecond
	if _, err := c.Whoami(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(got) != 2 || got[0].Attempt != 1 || got[0].Of != c.maxAttempts || !strings.HasPrefix(srv.URL, "http://"+got[0].Host) {
		t.Errorf("notices %+v; want one per attempt", got)
	} else if got[1].Attempt != 2 || got[1].Since < got[0].Since+150*time.Millisecond {
		t.Errorf("notices %+v; want the second to count the first attempt's 200ms", got)
	}
	mu.Unlock()
	c.waitAfter = time.Hour
	if _, err := c.Whoami(context.Background()); err != nil || len(got) != 2 {
		t.Errorf("a quick answer was announced: %+v, %v", got, err)
	}
}

// TestCallErrorsSayWhatWasTried: a call that got no answer says how many attempts took
// how long to which URL, with a hint for the cause; the TVM's own answers stay as they
// are.
func TestCallErrorsSayWhatWasTried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := New(url, tvmtest.BaseProvider(), WithBackoff(time.Millisecond), WithDefaultRegion("eu-west-1"), WithSigningService("lambda"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Whoami(context.Background())
	var ce *CallError
	if !errors.As(err, &ce) || ce.Attempts != 3 || !strings.Contains(err.Error(), "3 attempts in") || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "nothing listens there") {
		t.Errorf("refused: %v", err)
	}

	srv := tvmtest.New(t, "lambda", "eu-west-1")
	srv.Handle(wire.PathWhoami, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	_, err = newClient(t, srv, WithTimeout(200*time.Millisecond)).Whoami(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "--timeout 200ms") {
		t.Errorf("timeout: %v", err)
	}

	srv.Handle(wire.PathWhoami, tvmtest.JSON(403, wire.Error{Code: wire.CodeAccessDenied, Message: "no"}))
	_, err = newClient(t, srv).Whoami(context.Background())
	if errors.As(err, &ce) {
		t.Errorf("the TVM's answer was wrapped: %v", err)
	}
}

// TestNotATVM: a 404 from something that is not a TVM says so and points at the URL.
func TestNotATVM(t *testing.T) {
	srv := tvmtest.New(t, "lambda", "eu-west-1")
	srv.Handle(wire.PathWhoami, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	_, err := newClient(t, srv).Whoami(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not a vend TVM") || !strings.Contains(err.Error(), "vend doctor") {
		t.Errorf("404: %v", err)
	}
}
