package credcache

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The tests' fake clock and credential source, and their checks.

const (
	testSecret = "SECRETsecretSECRETsecretSECRETsecret0001"
	testToken  = "SESSIONTOKENsessiontokenSESSIONTOKEN0001"
)

var t0 = time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)

// fakeClock is a manual clock; After channels fire when Advance passes their deadline.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			kept = append(kept, tm)
			continue
		}
		tm.ch <- c.now
	}
	c.timers = kept
}

// hasTimer reports whether a timer is pending for exactly at.
func (c *fakeClock) hasTimer(at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tm := range c.timers {
		if tm.at.Equal(at) {
			return true
		}
	}
	return false
}

// fakeSource counts calls and answers with fn(call number, ctx).
type fakeSource struct {
	calls atomic.Int32
	fn    func(ctx context.Context, n int) (aws.Credentials, error)
}

func (s *fakeSource) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return s.fn(ctx, int(s.calls.Add(1)))
}

func (s *fakeSource) count() int { return int(s.calls.Load()) }

// creds returns credentials named after n that expire at exp.
func creds(n int, exp time.Time) aws.Credentials {
	return aws.Credentials{
		AccessKeyID:     fmt.Sprintf("ASIAFAKE%04d", n),
		SecretAccessKey: testSecret,
		SessionToken:    testToken,
		CanExpire:       true,
		Expires:         exp,
	}
}

// hourly is a source whose every call succeeds with one-hour credentials.
func hourly(clk *fakeClock) *fakeSource {
	return &fakeSource{fn: func(_ context.Context, n int) (aws.Credentials, error) {
		return creds(n, clk.Now().Add(time.Hour)), nil
	}}
}

func newTestCache(t *testing.T, src aws.CredentialsProvider, clk *fakeClock, opts ...Option) *Cache {
	t.Helper()
	c := New(src, append([]Option{WithClock(clk.Now)}, opts...)...)
	c.after = clk.After
	c.jitter = func() float64 { return 0 }
	return c
}

// waitFor polls cond until it holds; the deadline only guards against a hung test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustRetrieve(t *testing.T, c *Cache) aws.Credentials {
	t.Helper()
	got, err := c.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	return got
}

func wantKey(t *testing.T, got aws.Credentials, n int) {
	t.Helper()
	if want := fmt.Sprintf("ASIAFAKE%04d", n); got.AccessKeyID != want {
		t.Fatalf("got credentials %s, want %s", got.AccessKeyID, want)
	}
}
