package credcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/vend-tvm/vend/lambda/wire"
)

func TestRetrieveSingleflight(t *testing.T) {
	tests := []struct {
		name string
		warm bool // cache holds credentials inside the mandatory window
	}{
		{"cold cache", false},
		{"stale cache", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			release := make(chan struct{})
			src := &fakeSource{fn: func(_ context.Context, n int) (aws.Credentials, error) {
				if n > 1 || !tt.warm {
					<-release
				}
				return creds(n, clk.Now().Add(time.Hour)), nil
			}}
			c := newTestCache(t, src, clk)
			calls := 0
			if tt.warm {
				mustRetrieve(t, c)
				clk.Advance(50 * time.Minute)
				calls = 1
			}

			const n = 100
			var entered sync.WaitGroup
			entered.Add(n)
			results := make(chan aws.Credentials, n)
			errs := make(chan error, n)
			for range n {
				go func() {
					entered.Done()
					got, err := c.Retrieve(context.Background())
					if err != nil {
						errs <- err
						return
					}
					results <- got
				}()
			}
			entered.Wait()
			waitFor(t, "the source to be called", func() bool { return src.count() == calls+1 })
			close(release)
			for range n {
				select {
				case err := <-errs:
					t.Fatalf("Retrieve: %v", err)
				case got := <-results:
					wantKey(t, got, calls+1)
				}
			}
			if got := src.count(); got != calls+1 {
				t.Fatalf("source called %d times, want %d", got, calls+1)
			}
		})
	}
}

func TestRetrieveKeepsErrorType(t *testing.T) {
	clk := newFakeClock()
	denial := &wire.Error{Code: wire.CodeAccessDenied, Message: "denied", Rule: "prod-admins", Reason: "outside working hours"}
	src := &fakeSource{fn: func(context.Context, int) (aws.Credentials, error) {
		return aws.Credentials{}, fmt.Errorf("tvm: %w", denial)
	}}
	c := newTestCache(t, src, clk)
	for i := 1; i <= 2; i++ {
		_, err := c.Retrieve(context.Background())
		var we *wire.Error
		if !errors.As(err, &we) {
			t.Fatalf("Retrieve error %v is not a *wire.Error", err)
		}
		if we.Rule != "prod-admins" || we.Reason != "outside working hours" {
			t.Fatalf("wire.Error = %+v, want rule and reason kept", we)
		}
		// Nothing valid is cached, so every Retrieve asks the source again.
		if got := src.count(); got != i {
			t.Fatalf("source called %d times, want %d", got, i)
		}
	}
}

func TestRetrieveRefreshAheadDoesNotWait(t *testing.T) {
	clk := newFakeClock()
	release := make(chan struct{})
	src := blockingSecondFetch(clk, release)
	c := newTestCache(t, src, clk)
	wantKey(t, mustRetrieve(t, c), 1)

	clk.Advance(39 * time.Minute)
	wantKey(t, mustRetrieve(t, c), 1)
	if got := src.count(); got != 1 {
		t.Fatalf("refreshed at 39 min of age (%d calls), want at 40", got)
	}

	clk.Advance(time.Minute)
	// The source now blocks: Retrieve must still answer at once from the cache.
	wantKey(t, mustRetrieve(t, c), 1)
	waitFor(t, "the background refresh", func() bool { return src.count() == 2 })
	wantKey(t, mustRetrieve(t, c), 1)
	close(release)
	waitFor(t, "the refreshed credentials", func() bool {
		return mustRetrieve(t, c).AccessKeyID == "ASIAFAKE0002"
	})
	if got := src.count(); got != 2 {
		t.Fatalf("source called %d times, want 2", got)
	}
}

func TestRetrieveMandatoryWindow(t *testing.T) {
	t.Run("waits for the refresh", func(t *testing.T) {
		clk := newFakeClock()
		c := newTestCache(t, hourly(clk), clk)
		wantKey(t, mustRetrieve(t, c), 1)
		clk.Advance(50 * time.Minute) // 10 min left, no Retrieve since 40 min
		wantKey(t, mustRetrieve(t, c), 2)
	})
	t.Run("falls back to cached credentials when ctx ends", func(t *testing.T) {
		clk := newFakeClock()
		release := make(chan struct{})
		defer close(release)
		src := blockingSecondFetch(clk, release)
		c := newTestCache(t, src, clk)
		wantKey(t, mustRetrieve(t, c), 1)
		clk.Advance(50 * time.Minute)
		ctx, cancel := context.WithCancel(context.Background())
		type result struct {
			creds aws.Credentials
			err   error
		}
		done := make(chan result, 1)
		go func() {
			got, err := c.Retrieve(ctx)
			done <- result{got, err}
		}()
		waitFor(t, "the refresh to start", func() bool { return src.count() == 2 })
		cancel()
		r := <-done
		if r.err != nil {
			t.Fatalf("Retrieve: %v", r.err)
		}
		wantKey(t, r.creds, 1)
	})
	t.Run("short-lived source is not called on every request", func(t *testing.T) {
		clk := newFakeClock()
		src := &fakeSource{fn: func(_ context.Context, n int) (aws.Credentials, error) {
			return creds(n, clk.Now().Add(5*time.Minute)), nil
		}}
		c := newTestCache(t, src, clk)
		for range 10 {
			wantKey(t, mustRetrieve(t, c), 1)
		}
		clk.Advance(minRefreshInterval)
		wantKey(t, mustRetrieve(t, c), 2)
	})
}

func TestRetrieveDuringOutage(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{fn: func(_ context.Context, n int) (aws.Credentials, error) {
		if n == 1 {
			return creds(n, clk.Now().Add(time.Hour)), nil
		}
		return aws.Credentials{}, errors.New("dial tcp 127.0.0.1:1: connection refused")
	}}
	var logs bytes.Buffer
	var logMu sync.Mutex
	c := newTestCache(t, src, clk, WithLogger(slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))))
	failures := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.failures
	}

	wantKey(t, mustRetrieve(t, c), 1)

	// Advisory refresh fails in the background; the child keeps its credentials.
	clk.Advance(41 * time.Minute)
	wantKey(t, mustRetrieve(t, c), 1)
	waitFor(t, "the failed refresh", func() bool { return failures() == 1 })

	// Inside the mandatory window Retrieve waits for a refresh, which fails too.
	clk.Advance(11 * time.Minute)
	wantKey(t, mustRetrieve(t, c), 1)
	if got := src.count(); got != 3 || failures() != 2 {
		t.Fatalf("source called %d times with %d failures, want 3 and 2", got, failures())
	}
	// During the backoff, requests are answered without calling the TVM.
	wantKey(t, mustRetrieve(t, c), 1)
	if got := src.count(); got != 3 {
		t.Fatalf("source called %d times during backoff, want 3", got)
	}

	// Less than a minute left: the cached credentials are no longer served.
	clk.Advance(7*time.Minute + 30*time.Second)
	_, err := c.Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Retrieve error = %v, want the source's error", err)
	}

	logMu.Lock()
	defer logMu.Unlock()
	out := logs.String()
	if !strings.Contains(out, "credential refresh failed") {
		t.Errorf("log lacks the refresh failure:\n%s", out)
	}
	for _, secret := range []string{testSecret, testToken} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains a secret:\n%s", out)
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestStartRefreshesOnSchedule(t *testing.T) {
	clk := newFakeClock()
	src := hourly(clk)
	c := newTestCache(t, src, clk)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Start(ctx)
	c.Start(ctx) // a second Start is a no-op

	waitFor(t, "the warm-up fetch", func() bool { return src.count() == 1 })
	waitFor(t, "the refresh timer", func() bool { return clk.hasTimer(t0.Add(40 * time.Minute)) })
	clk.Advance(40 * time.Minute)
	waitFor(t, "the refresh", func() bool { return src.count() == 2 })
	waitFor(t, "the next refresh timer", func() bool { return clk.hasTimer(t0.Add(80 * time.Minute)) })
	wantKey(t, mustRetrieve(t, c), 2)
	if got := src.count(); got != 2 {
		t.Fatalf("source called %d times, want 2", got)
	}
}

func TestStartRetriesWithBackoff(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{fn: func(_ context.Context, n int) (aws.Credentials, error) {
		if n <= 3 {
			return aws.Credentials{}, errors.New("tvm unavailable")
		}
		return creds(n, clk.Now().Add(time.Hour)), nil
	}}
	c := newTestCache(t, src, clk)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Start(ctx)

	// Jitter is 0, so the waits are the lower bounds: 1 s, 2 s, 4 s.
	for i, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		waitFor(t, fmt.Sprintf("attempt %d", i+1), func() bool { return src.count() == i+1 })
		at := clk.Now().Add(wait)
		waitFor(t, fmt.Sprintf("retry timer %d", i+1), func() bool { return clk.hasTimer(at) })
		clk.Advance(wait)
	}
	waitFor(t, "the successful attempt", func() bool { return src.count() == 4 })
	waitFor(t, "the refresh timer", func() bool { return clk.hasTimer(clk.Now().Add(40 * time.Minute)) })
	wantKey(t, mustRetrieve(t, c), 4)
}

// TestCached pins Cached to Retrieve's answer-at-once cases: it answers exactly when
// Retrieve would not wait, starts a due refresh like Retrieve, and never fetches itself.
func TestCached(t *testing.T) {
	tests := []struct {
		name    string
		warm    bool
		advance time.Duration
		want    int // key number Cached returns; 0: none
		calls   int // source calls once Cached has returned and any refresh has started
	}{
		{name: "cold cache", want: 0, calls: 0},
		{name: "fresh", warm: true, advance: 39 * time.Minute, want: 1, calls: 1},
		{name: "refresh due", warm: true, advance: 40 * time.Minute, want: 1, calls: 2},
		{name: "advisory window", warm: true, advance: 48 * time.Minute, want: 1, calls: 2},
		{name: "11 minutes left", warm: true, advance: 49 * time.Minute, want: 0, calls: 1},
		{name: "mandatory window", warm: true, advance: 50 * time.Minute, want: 0, calls: 1},
		{name: "expired", warm: true, advance: 2 * time.Hour, want: 0, calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			release := make(chan struct{})
			defer close(release)
			src := blockingSecondFetch(clk, release)
			c := newTestCache(t, src, clk)
			if tt.warm {
				wantKey(t, mustRetrieve(t, c), 1)
			}
			clk.Advance(tt.advance)
			got, ok := c.Cached()
			if ok != (tt.want != 0) {
				t.Fatalf("Cached ok = %v, want %v", ok, tt.want != 0)
			}
			if ok {
				wantKey(t, got, tt.want)
			} else if got != (aws.Credentials{}) {
				t.Fatalf("Cached returned %s with ok false", got.AccessKeyID)
			}
			waitFor(t, "the refresh to start", func() bool { return src.count() >= tt.calls })
			time.Sleep(10 * time.Millisecond) // a fetch Cached must not start has time to show
			if n := src.count(); n != tt.calls {
				t.Fatalf("source called %d times, want %d", n, tt.calls)
			}
		})
	}
	t.Run("cannot expire", func(t *testing.T) {
		clk := newFakeClock()
		src := &fakeSource{fn: func(context.Context, int) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIAFAKE", SecretAccessKey: testSecret}, nil
		}}
		c := newTestCache(t, src, clk)
		mustRetrieve(t, c)
		clk.Advance(10 * 365 * 24 * time.Hour)
		if got, ok := c.Cached(); !ok || got.AccessKeyID != "AKIAFAKE" {
			t.Fatalf("Cached = %s, %v; want AKIAFAKE, true", got.AccessKeyID, ok)
		}
	})
}

func TestNonExpiringCachedForever(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{fn: func(context.Context, int) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIAFAKE", SecretAccessKey: testSecret}, nil
	}}
	c := newTestCache(t, src, clk)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Start(ctx)
	waitFor(t, "the warm-up fetch", func() bool { return src.count() == 1 })
	clk.Advance(10 * 365 * 24 * time.Hour)
	if got := mustRetrieve(t, c); got.AccessKeyID != "AKIAFAKE" {
		t.Fatalf("got %s", got.AccessKeyID)
	}
	if got := src.count(); got != 1 {
		t.Fatalf("source called %d times, want 1", got)
	}
}

func TestRetrieveCancelledWhileCold(t *testing.T) {
	clk := newFakeClock()
	release := make(chan struct{})
	src := &fakeSource{fn: func(_ context.Context, n int) (aws.Credentials, error) {
		<-release
		return creds(n, clk.Now().Add(time.Hour)), nil
	}}
	c := newTestCache(t, src, clk)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Retrieve(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Retrieve error = %v, want context.Canceled", err)
	}
	// The fetch outlives the impatient caller and fills the cache for the next one.
	close(release)
	wantKey(t, mustRetrieve(t, c), 1)
	if got := src.count(); got != 1 {
		t.Fatalf("source called %d times, want 1", got)
	}
}

func TestRetrieveRefusesBadSourceAnswers(t *testing.T) {
	tests := []struct {
		name  string
		creds aws.Credentials
	}{
		{"empty", aws.Credentials{}},
		{"no secret", aws.Credentials{AccessKeyID: "ASIAFAKE"}},
		{"already expired", creds(1, t0.Add(-time.Second))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			src := &fakeSource{fn: func(context.Context, int) (aws.Credentials, error) { return tt.creds, nil }}
			c := newTestCache(t, src, clk)
			for i := 1; i <= 2; i++ {
				if _, err := c.Retrieve(context.Background()); err == nil {
					t.Fatal("Retrieve succeeded, want an error")
				}
			}
			if got := src.count(); got != 2 {
				t.Fatalf("source called %d times, want 2 (nothing cached)", got)
			}
		})
	}
}

func TestFetchTimeout(t *testing.T) {
	src := &fakeSource{fn: func(ctx context.Context, _ int) (aws.Credentials, error) {
		<-ctx.Done()
		return aws.Credentials{}, ctx.Err()
	}}
	c := New(src, WithFetchTimeout(time.Millisecond))
	if _, err := c.Retrieve(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Retrieve error = %v, want context.DeadlineExceeded", err)
	}
}

func BenchmarkRetrieveWarm(b *testing.B) {
	src := &fakeSource{fn: func(_ context.Context, n int) (aws.Credentials, error) {
		return creds(n, time.Now().Add(time.Hour)), nil
	}}
	c := New(src)
	if _, err := c.Retrieve(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Retrieve(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// blockingSecondFetch is an hourly source whose second fetch waits until release closes.
func blockingSecondFetch(clk *fakeClock, release <-chan struct{}) *fakeSource {
	return &fakeSource{fn: func(_ context.Context, n int) (aws.Credentials, error) {
		if n == 2 {
			<-release
		}
		return creds(n, clk.Now().Add(time.Hour)), nil
	}}
}

// TestNoticesOnePerChange: a background refresh that starts failing after a success
// gives one notice with the cached credentials' expiry, however many attempts fail, and
// one when it recovers; the first fetch's failure gives none (its caller gets the error).
func TestNoticesOnePerChange(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{fn: func(_ context.Context, n int) (aws.Credentials, error) {
		if n >= 2 && n <= 4 {
			return aws.Credentials{}, errors.New("tvm unavailable")
		}
		return creds(n, clk.Now().Add(time.Hour)), nil
	}}
	var mu sync.Mutex
	var notices []Notice
	c := newTestCache(t, src, clk, WithNotice(func(n Notice) { mu.Lock(); notices = append(notices, n); mu.Unlock() }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := mustRetrieve(t, c)
	c.Start(ctx)
	waitFor(t, "the refresh timer", func() bool { return clk.hasTimer(clk.Now().Add(40 * time.Minute)) })
	clk.Advance(40 * time.Minute)
	for i, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		waitFor(t, fmt.Sprintf("failure %d", i+1), func() bool { return src.count() == i+2 })
		at := clk.Now().Add(wait)
		waitFor(t, fmt.Sprintf("retry timer %d", i+1), func() bool { return clk.hasTimer(at) })
		clk.Advance(wait)
	}
	waitFor(t, "the recovery", func() bool { mu.Lock(); defer mu.Unlock(); return len(notices) == 2 })
	mu.Lock()
	defer mu.Unlock()
	if !notices[0].Failed || notices[0].Err == nil || !notices[0].CachedExpires.Equal(first.Expires) ||
		!notices[1].Recovered || notices[1].Failures != 3 {
		t.Errorf("notices %+v", notices)
	}
}
