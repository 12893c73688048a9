package credcache

import (
	"fmt"
	"testing"
	"time"
)

func TestRefreshAt(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name     string
		lifetime time.Duration
		wantAge  time.Duration // age at which the refresh happens
	}{
		{"one hour refreshes at 40 min", time.Hour, 40 * time.Minute},
		{"45 min keeps 20 min ahead", 45 * time.Minute, 25 * time.Minute},
		{"30 min keeps 20 min ahead", 30 * time.Minute, 10 * time.Minute},
		{"22 min keeps 20 min ahead", 22 * time.Minute, 2 * time.Minute},
		{"20 min uses at least 2 min", 20 * time.Minute, 2 * time.Minute},
		{"15 min refreshes every 2 min", 15 * time.Minute, 2 * time.Minute},
		{"13 min hits the 11 min floor", 13 * time.Minute, 2 * time.Minute},
		{"12 min refreshes by 11 min left", 12 * time.Minute, time.Minute},
		{"11 min 40 s is bounded by the 30 s minimum", 11*time.Minute + 40*time.Second, 40 * time.Second},
		{"11 min refreshes after the minimum interval", 11 * time.Minute, 30 * time.Second},
		{"5 min refreshes after the minimum interval", 5 * time.Minute, 30 * time.Second},
		{"12 hours keeps 20 min ahead", 12 * time.Hour, 11*time.Hour + 40*time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := refreshAt(t0, t0.Add(tt.lifetime)).Sub(t0)
			if got != tt.wantAge {
				t.Errorf("refreshAt(lifetime %s) = age %s, want %s", tt.lifetime, got, tt.wantAge)
			}
		})
	}
}

// TestRefreshAtStaysOutOfMandatoryWindow pins the property the schedule exists for: for
// every lifetime the TVM can issue (15 to 60 min), refresh happens with more than
// botocore's 10-minute mandatory window left and at least 2 minutes after the fetch.
func TestRefreshAtStaysOutOfMandatoryWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for l := 15 * time.Minute; l <= time.Hour; l += time.Second {
		exp := t0.Add(l)
		at := refreshAt(t0, exp)
		if left := exp.Sub(at); left < mandatoryWindow {
			t.Fatalf("lifetime %s: refresh with %s left, want >= %s", l, left, mandatoryWindow)
		}
		if left := exp.Sub(at); left > maxAhead {
			t.Fatalf("lifetime %s: refresh with %s left, want <= %s", l, left, maxAhead)
		}
		if age := at.Sub(t0); age < minAge {
			t.Fatalf("lifetime %s: refresh at age %s, want >= %s", l, age, minAge)
		}
	}
}

func TestBackoff(t *testing.T) {
	base, ceiling := 2*time.Second, 60*time.Second
	tests := []struct {
		failures int
		lo, hi   time.Duration
	}{
		{1, time.Second, 2 * time.Second},
		{2, 2 * time.Second, 4 * time.Second},
		{3, 4 * time.Second, 8 * time.Second},
		{5, 16 * time.Second, 32 * time.Second},
		{6, 30 * time.Second, 60 * time.Second},
		{7, 30 * time.Second, 60 * time.Second},
		{1000, 30 * time.Second, 60 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("failure %d", tt.failures), func(t *testing.T) {
			if got := backoff(tt.failures, base, ceiling, 0); got != tt.lo {
				t.Errorf("backoff(%d, r=0) = %s, want %s", tt.failures, got, tt.lo)
			}
			if got := backoff(tt.failures, base, ceiling, 0.999999); got < tt.lo || got > tt.hi {
				t.Errorf("backoff(%d, r=1) = %s, want in [%s, %s]", tt.failures, got, tt.lo, tt.hi)
			}
		})
	}
}
