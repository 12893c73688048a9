package credserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vend-tvm/vend/cli/internal/credcache"
	"github.com/vend-tvm/vend/lambda/wire"
)

// manualClock is a wall clock the test moves.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// handlerServer returns a Server that is not listening but accepts Host "h".
func handlerServer(t *testing.T, p aws.CredentialsProvider) *Server {
	t.Helper()
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	s.hosts.Store(&[]string{"h"})
	return s
}

func serveOnce(t *testing.T, s *Server) response {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "http://h"+wire.PathCredentials, nil)
	req.Header.Set("Authorization", s.Token())
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got, want := rec.Header().Get("Content-Length"), fmt.Sprint(rec.Body.Len()); got != want {
		t.Fatalf("Content-Length = %s, body is %s bytes", got, want)
	}
	var got response
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestEncodedResponseFollowsProvider pins that a response encoded once is written only
// while the provider hands out the very same set: every field of a new set, and the
// moving Expiration of a set that cannot expire, make the next response encode again.
func TestEncodedResponseFollowsProvider(t *testing.T) {
	base := aws.Credentials{
		AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken,
		CanExpire: true, Expires: testExpiry, AccountID: "123456789012",
	}
	tests := []struct {
		name   string
		change func(*aws.Credentials)
	}{
		{"key ID", func(c *aws.Credentials) { c.AccessKeyID = "ASIAFAKEKEYID0000002" }},
		{"secret", func(c *aws.Credentials) { c.SecretAccessKey = "other" }},
		{"session token", func(c *aws.Credentials) { c.SessionToken = "other" }},
		{"account", func(c *aws.Credentials) { c.AccountID = "210987654321" }},
		{"expiry", func(c *aws.Credentials) { c.Expires = c.Expires.Add(time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			current := base
			s := handlerServer(t, aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				mu.Lock()
				defer mu.Unlock()
				return current, nil
			}))
			first := serveOnce(t, s)
			e := s.encoded.Load()
			if again := serveOnce(t, s); again != first || s.encoded.Load() != e {
				t.Fatalf("the same set was encoded again: %+v", again)
			}
			mu.Lock()
			tt.change(&current)
			want := response{
				AccessKeyID: current.AccessKeyID, SecretAccessKey: current.SecretAccessKey, Token: current.SessionToken,
				Expiration: current.Expires.UTC().Truncate(time.Second).Format(time.RFC3339), AccountID: current.AccountID,
			}
			mu.Unlock()
			if got := serveOnce(t, s); got != want {
				t.Fatalf("after a new set got %+v, want %+v", got, want)
			}
		})
	}
	t.Run("cannot expire", func(t *testing.T) {
		clk := &manualClock{now: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}
		s := handlerServer(t, aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIAFAKE", SecretAccessKey: testSecret}, nil
		}))
		s.now = clk.Now
		for _, want := range []string{"2026-05-06T08:08:09Z", "2026-05-06T08:08:09Z", "2026-05-06T08:08:10Z"} {
			if got := serveOnce(t, s).Expiration; got != want {
				t.Fatalf("Expiration = %s, want %s", got, want)
			}
			clk.Advance(600 * time.Millisecond)
		}
	})
}

// TestEncodedResponseFollowsCacheRefresh runs the refresh windows of credcache through
// the handler: an encoded response is never served once the cache would refresh.
func TestEncodedResponseFollowsCacheRefresh(t *testing.T) {
	clk := &manualClock{now: time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	calls := 0
	src := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return aws.Credentials{
			AccessKeyID: fmt.Sprintf("ASIAFAKE%04d", calls), SecretAccessKey: testSecret, SessionToken: testToken,
			CanExpire: true, Expires: clk.Now().Add(time.Hour),
		}, nil
	})
	s := handlerServer(t, credcache.New(src, credcache.WithClock(clk.Now)))
	if got := serveOnce(t, s).AccessKeyID; got != "ASIAFAKE0001" {
		t.Fatalf("cold: got %s", got)
	}
	clk.Advance(30 * time.Minute)
	if got := serveOnce(t, s).AccessKeyID; got != "ASIAFAKE0001" {
		t.Fatalf("warm: got %s", got)
	}
	// 10 minutes left: the cache waits for a refresh, and the handler serves it.
	clk.Advance(20 * time.Minute)
	if got := serveOnce(t, s).AccessKeyID; got != "ASIAFAKE0002" {
		t.Fatalf("in the mandatory window: got %s, want the refreshed set", got)
	}
	if got := serveOnce(t, s).AccessKeyID; got != "ASIAFAKE0002" {
		t.Fatalf("after the refresh: got %s", got)
	}
}

// TestAuthorisedRequestAllocatesNothing pins the warm path's checks and answer to zero
// allocations in the handler (BenchmarkHandler measures it).
func TestAuthorisedRequestAllocatesNothing(t *testing.T) {
	cache := credcache.New(staticProvider())
	if _, err := cache.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := handlerServer(t, cache)
	req := httptest.NewRequest(http.MethodGet, "http://h"+wire.PathCredentials, nil)
	req.Header.Set("Authorization", s.Token())
	w := &discardWriter{header: http.Header{}}
	serve := func() {
		clear(w.header)
		s.Handler().ServeHTTP(w, req)
		if w.status != http.StatusOK {
			t.Fatalf("status %d", w.status)
		}
	}
	serve() // encodes the set
	if n := testing.AllocsPerRun(100, serve); n != 0 {
		t.Fatalf("authorised request: %v allocations, want 0", n)
	}
}
