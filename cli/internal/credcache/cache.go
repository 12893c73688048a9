package credcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	defaultFetchTimeout = 30 * time.Second
	defaultBackoffBase  = 2 * time.Second
	defaultBackoffCap   = 60 * time.Second
)

var _ aws.CredentialsProvider = (*Cache)(nil)

// Cache is an aws.CredentialsProvider that answers from memory and refreshes ahead of
// expiry. It is safe for concurrent use.
//
// Credentials that cannot expire (CanExpire false) are cached for the life of the Cache
// and never refreshed: there is nothing to refresh them for, and asking the source again
// would only add a failure mode.
type Cache struct {
	src          aws.CredentialsProvider
	now          func() time.Time
	after        func(time.Duration) <-chan time.Time
	jitter       func() float64
	log          *slog.Logger
	notice       func(Notice)
	fetchTimeout time.Duration
	backoffBase  time.Duration
	backoffCap   time.Duration

	started atomic.Bool
	wake    chan struct{} // tells the refresher that the schedule changed

	mu       sync.Mutex
	creds    aws.Credentials
	have     bool
	next     time.Time // earliest start of the next refresh (after success or backoff)
	failures int       // consecutive failed fetches
	flight   *flight   // the fetch in progress, shared by every caller
}

// flight is one call to the source; done is closed once creds or err is set.
type flight struct {
	done  chan struct{}
	creds aws.Credentials
	err   error
}

// Option configures a Cache.
type Option func(*Cache)

// WithClock sets the wall clock used to judge expiry (tests).
func WithClock(now func() time.Time) Option { return func(c *Cache) { c.now = now } }

// WithLogger sets the logger for fetch failures and refreshes. Credentials never reach it.
func WithLogger(l *slog.Logger) Option { return func(c *Cache) { c.log = l } }

// Notice is a change in the background refresh a user should hear of, without --debug:
// the first failure after a success (Failed, with Err and the cached credentials'
// expiry), and the first success after failures (Recovered).
type Notice struct {
	Failed, Recovered bool
	Err               error
	CachedExpires     time.Time
	Failures          int
}

// WithNotice sets what hears of refresh failures and recoveries, once per change: a
// run of failures is one notice, its end another.
func WithNotice(fn func(Notice)) Option { return func(c *Cache) { c.notice = fn } }

// WithFetchTimeout bounds one call to the source (default 30 s). Fetches do not use the
// caller's context, so that one impatient caller cannot fail a fetch others wait for.
func WithFetchTimeout(d time.Duration) Option { return func(c *Cache) { c.fetchTimeout = d } }

// WithBackoff sets the retry backoff after a failed refresh: base doubling up to ceiling
// (default 2 s to 60 s), with jitter.
func WithBackoff(base, ceiling time.Duration) Option {
	return func(c *Cache) { c.backoffBase, c.backoffCap = base, ceiling }
}

// New returns a Cache in front of src. Call Start to refresh in the background.
func New(src aws.CredentialsProvider, opts ...Option) *Cache {
	c := &Cache{
		src:          src,
		now:          time.Now,
		after:        time.After,
		jitter:       rand.Float64,
		log:          slog.New(slog.DiscardHandler),
		fetchTimeout: defaultFetchTimeout,
		backoffBase:  defaultBackoffBase,
		backoffCap:   defaultBackoffCap,
		wake:         make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Retrieve returns the cached credentials.
//
//   - More than 11 minutes left: they are returned at once; if a refresh is due it is
//     started in the background (so a Cache works even without Start).
//   - Between 1 and 11 minutes left (botocore's mandatory window is near): Retrieve waits
//     for a refresh, bounded by ctx, and falls back to the cached credentials if the
//     refresh fails or ctx ends first. During a retry backoff it does not wait.
//   - Nothing valid cached: Retrieve fetches, shared with every concurrent caller, and
//     returns the source's error, wrapped, if that fails.
func (c *Cache) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c.mu.Lock()
	now := c.now()
	if c.freshLocked(now) {
		cached := c.creds
		c.mu.Unlock()
		return cached, nil
	}
	if c.have && c.creds.Expires.Sub(now) > minServe {
		cached := c.creds
		var f *flight
		if !now.Before(c.next) || c.flight != nil {
			f = c.startLocked()
		}
		c.mu.Unlock()
		if f == nil {
			return cached, nil
		}
		done := f.wait(ctx)
		if done && f.err == nil {
			return f.creds, nil
		}
		if cached.Expires.Sub(c.now()) > minServe {
			return cached, nil
		}
		if done {
			return aws.Credentials{}, f.err
		}
		return aws.Credentials{}, fmt.Errorf("retrieve credentials: %w", context.Cause(ctx))
	}
	f := c.startLocked()
	c.mu.Unlock()
	if !f.wait(ctx) {
		return aws.Credentials{}, fmt.Errorf("retrieve credentials: %w", context.Cause(ctx))
	}
	if f.err != nil {
		return aws.Credentials{}, f.err
	}
	return f.creds, nil
}

// Cached returns the cached credentials when Retrieve would return them at once (more
// than 11 minutes left, or credentials that cannot expire), starting a due refresh in
// the background as Retrieve does. Otherwise it returns false and leaves the waiting or
// fetching to Retrieve. It never blocks, so a caller on a hot path can skip the deadline
// it would give Retrieve.
func (c *Cache) Cached() (aws.Credentials, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.freshLocked(c.now()) {
		return aws.Credentials{}, false
	}
	return c.creds, true
}

// freshLocked reports whether the cached credentials are served without waiting for a
// refresh, and starts the refresh if it is due. c.mu must be held.
func (c *Cache) freshLocked(now time.Time) bool {
	switch {
	case !c.have:
		return false
	case !c.creds.CanExpire:
		return true
	case c.creds.Expires.Sub(now) <= mandatoryWindow:
		return false
	}
	if !now.Before(c.next) {
		c.startLocked()
	}
	return true
}

// Start runs the background refresher until ctx ends: it fetches at once if nothing is
// cached, refreshes on the schedule of refreshAt, and retries failures with capped
// exponential backoff. Retries continue past expiry (at the backoff ceiling) so that
// the cache is warm again as soon as the TVM is back. Calls after the first do nothing.
func (c *Cache) Start(ctx context.Context) {
	if !c.started.CompareAndSwap(false, true) {
		return
	}
	go c.run(ctx)
}

func (c *Cache) run(ctx context.Context) {
	for {
		c.mu.Lock()
		if f := c.flight; f != nil {
			c.mu.Unlock()
			if !f.wait(ctx) {
				return
			}
			continue
		}
		var timer <-chan time.Time // nil: wait for a wake-up only
		if !c.have || c.creds.CanExpire {
			wait := c.next.Sub(c.now())
			if wait <= 0 {
				f := c.startLocked()
				c.mu.Unlock()
				if !f.wait(ctx) {
					return
				}
				continue
			}
			timer = c.after(wait)
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		case <-timer:
		}
	}
}

// wait waits for the fetch to end; false when ctx ended first.
func (f *flight) wait(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-f.done:
		return true
	}
}

// startLocked returns the fetch in progress or starts one. c.mu must be held.
func (c *Cache) startLocked() *flight {
	if c.flight != nil {
		return c.flight
	}
	f := &flight{done: make(chan struct{})}
	c.flight = f
	go c.fetch(f)
	return f
}

func (c *Cache) fetch(f *flight) {
	ctx, cancel := context.WithTimeout(context.Background(), c.fetchTimeout)
	creds, err := c.src.Retrieve(ctx)
	cancel()
	now := c.now()
	if err == nil {
		err = check(creds, now)
	}

	c.mu.Lock()
	if err != nil {
		c.failures++
		retry := backoff(c.failures, c.backoffBase, c.backoffCap, c.jitter())
		c.next = now.Add(retry)
		f.err = fmt.Errorf("retrieve credentials: %w", err)
		attrs := []any{
			slog.String("error", err.Error()),
			slog.Int("failures", c.failures),
			slog.Duration("retry_in", retry),
		}
		if c.have && c.creds.CanExpire {
			attrs = append(attrs, slog.Time("cached_expires", c.creds.Expires))
		}
		c.log.Warn("credential refresh failed", attrs...)
		if c.notice != nil && c.failures == 1 && c.have {
			n := Notice{Failed: true, Err: err, Failures: 1}
			if c.creds.CanExpire {
				n.CachedExpires = c.creds.Expires
			}
			defer c.notice(n)
		}
	} else {
		if c.notice != nil && c.failures > 0 && c.have {
			defer c.notice(Notice{Recovered: true, Failures: c.failures})
		}
		c.failures = 0
		c.creds, c.have = creds, true
		f.creds = creds
		attrs := []any{slog.String("access_key_id", creds.AccessKeyID)}
		if creds.CanExpire {
			c.next = refreshAt(now, creds.Expires)
			attrs = append(attrs, slog.Time("expires", creds.Expires), slog.Time("refresh_at", c.next))
		}
		c.log.Info("credentials fetched", attrs...)
	}
	c.flight = nil
	c.mu.Unlock()

	close(f.done)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// check refuses what the source should never return, so that it is not cached.
func check(creds aws.Credentials, now time.Time) error {
	switch {
	case creds.AccessKeyID == "" || creds.SecretAccessKey == "":
		return errors.New("source returned empty credentials")
	case creds.CanExpire && !creds.Expires.After(now):
		return fmt.Errorf("source returned credentials that expired at %s", creds.Expires.Format(time.RFC3339))
	}
	return nil
}
