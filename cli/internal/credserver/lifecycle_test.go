package credserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vend-tvm/vend/cli/internal/credcache"
	"github.com/vend-tvm/vend/lambda/wire"
)

func TestLifecycle(t *testing.T) {
	s, err := New(staticProvider())
	if err != nil {
		t.Fatal(err)
	}
	if s.URL() != "" {
		t.Errorf("URL before Start = %q", s.URL())
	}
	// Before Start no Host is known, so the handler refuses everything.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1"+wire.PathCredentials, nil)
	req.Header.Set("Authorization", s.Token())
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 403 {
		t.Errorf("handler before Start: status %d, want 403", rec.Code)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	u := s.URL()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Start(); err == nil {
		t.Error("Start after Close succeeded")
	}
	c := &http.Client{Timeout: 2 * time.Second}
	if resp, err := c.Get(u); err == nil {
		resp.Body.Close()
		t.Error("server still answers after Close")
	}
}

func TestCloseWaitsForRequestInFlight(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	p := aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		close(entered)
		<-release
		return staticProvider().Retrieve(ctx)
	})
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", s.Token())
	client := newClient(t)
	status := make(chan int, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			status <- -1
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	<-entered
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	close(release)
	if got := <-status; got != 200 {
		t.Errorf("request in flight during Close: status %d, want 200", got)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestConcurrentColdRequests pins the contract with credcache: a burst of SDK requests
// on a cold cache costs the TVM one call.
func TestConcurrentColdRequests(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	src := aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		calls.Add(1)
		<-release
		return staticProvider().Retrieve(ctx)
	})
	s := startServer(t, credcache.New(src))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	t.Cleanup(client.CloseIdleConnections)

	const n = 100
	statuses := make(chan int, n)
	var started sync.WaitGroup
	started.Add(n)
	for range n {
		go func() {
			req, _ := http.NewRequest(http.MethodGet, s.URL(), nil)
			req.Header.Set("Authorization", s.Token())
			started.Done()
			resp, err := client.Do(req)
			if err != nil {
				statuses <- -1
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	started.Wait()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	for range n {
		if got := <-statuses; got != 200 {
			t.Fatalf("status %d, want 200", got)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("provider called %d times, want 1", got)
	}
}

func FuzzHandler(f *testing.F) {
	s, err := New(staticProvider())
	if err != nil {
		f.Fatal(err)
	}
	s.hosts.Store(&[]string{"127.0.0.1:8123", "localhost:8123"})
	f.Add("GET", "127.0.0.1:8123", wire.PathCredentials, s.Token(), "")
	f.Add("GET", "evil.com:8123", wire.PathCredentials, s.Token(), "")
	f.Add("POST", "localhost:8123", "/", "x", "https://a")
	f.Fuzz(func(t *testing.T, method, host, path, auth, origin string) {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8123/", nil)
		req.Method, req.Host, req.URL.Path = method, host, path
		req.Header.Set("Authorization", auth)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		ok := method == http.MethodGet && (host == "127.0.0.1:8123" || host == "localhost:8123") &&
			origin == "" && auth == s.Token() && path == wire.PathCredentials
		if (rec.Code == 200) != ok {
			t.Fatalf("%s host %q path %q origin %q: status %d, want success %v", method, host, path, origin, rec.Code, ok)
		}
		if rec.Code != 200 && strings.Contains(rec.Body.String(), testSecret) {
			t.Fatalf("refusal leaks the secret")
		}
		if strings.Contains(rec.Body.String(), s.Token()) {
			t.Fatalf("response echoes the token")
		}
	})
}

func TestServerTimeouts(t *testing.T) {
	s := startServer(t, staticProvider())
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= retrieveTimeout ||
		srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Errorf("server limits unset: header %s, read %s, write %s, idle %s, max header %d",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
}
