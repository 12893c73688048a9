package credcache

import "time"

// The refresh schedule is built around what the SDKs that read vend's loopback endpoint
// do with an expiry (see DESIGN.md, "Container credentials"): botocore refreshes in an
// advisory window 15 minutes before expiry and blocks every request on a refresh in its
// mandatory window 10 minutes before; the Go v2 and JS v3 SDKs refresh 5 minutes before.
// SDK timeouts are 1–2 s, far less than a TVM round trip may take, so vend must always
// have credentials ahead of those windows and never fetch on an SDK's behalf.
const (
	// maxAhead is the most lifetime given up by refreshing early: 20 minutes keeps
	// botocore's 15-minute advisory window out of reach for normal lifetimes.
	maxAhead = 20 * time.Minute
	// minAge keeps short-lived credentials in use for at least this long, so a
	// 15-minute session is not refreshed the moment it arrives.
	minAge = 2 * time.Minute
	// mandatoryWindow is botocore's 10-minute mandatory window plus one minute of
	// margin. Credentials are refreshed no later than this, and a Retrieve that sees
	// less than this left waits (bounded by its context) for a refresh.
	mandatoryWindow = 11 * time.Minute
	// minServe is the least lifetime cached credentials must have to be served when
	// a refresh has failed: enough for a child to finish the request it signs with them.
	minServe = time.Minute
	// minRefreshInterval bounds how often a source that only hands out short-lived
	// credentials is called; without it credentials that start inside the mandatory
	// window would be refetched on every request.
	minRefreshInterval = 30 * time.Second
)

// Margins for handing cached credentials to a new process (ServeMargin).
const (
	// advisoryMargin keeps botocore outside its 15-minute advisory window, in which it
	// runs a credential_process again before every request.
	advisoryMargin = 16 * time.Minute
	// minCacheUse is how long, at least, short sessions are served from a cache.
	minCacheUse = 4 * time.Minute
)

// ServeMargin is how much of its lifetime cached credentials must have left to be handed
// to a new process, such as the AWS CLI running vend as its credential_process. It is
// 16 minutes for sessions of 20 minutes or more. Shorter sessions start inside
// botocore's advisory window anyway, so a fixed 16 minutes would never serve them from
// the cache at all: for them the margin shrinks with the lifetime (lifetime - 4 min), but
// never below the 11-minute mandatory window, so no SDK is ever given credentials it
// must refresh at once. A 15-minute session is thus served for its first 4 minutes. An
// unknown lifetime (0) counts as long.
func ServeMargin(lifetime time.Duration) time.Duration {
	if lifetime <= 0 {
		return advisoryMargin
	}
	return max(mandatoryWindow, min(advisoryMargin, lifetime-minCacheUse))
}

// refreshAt is the refresh schedule: when credentials fetched at fetched and expiring at
// expires should be replaced.
//
// With lifetime L = expires - fetched, they are refreshed once less than
// min(20 min, L - 2 min) remains, but no later than 11 minutes before expiry. One-hour
// credentials are thus refreshed at 40 minutes of age and 15-minute credentials every
// 2 minutes; while the TVM answers, botocore never holds credentials inside its
// mandatory window. The result is never earlier than 30 s after the fetch.
func refreshAt(fetched, expires time.Time) time.Time {
	lifetime := expires.Sub(fetched)
	threshold := max(min(maxAhead, lifetime-minAge), mandatoryWindow)
	return fetched.Add(max(lifetime-threshold, minRefreshInterval))
}

// backoff is the wait before retry number failures (1 for the first) of a failed
// refresh: base doubling up to ceiling, with "equal jitter" (half fixed, half random from
// r in [0, 1)) so that many vend processes do not retry against the TVM in step.
func backoff(failures int, base, ceiling time.Duration, r float64) time.Duration {
	d := base
	for i := 1; i < failures && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d/2 + time.Duration(r*float64(d/2))
}
