package handler

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/tvm"
)

// benchPolicy has 100 rules: deny rules with time windows first, then allow rules for
// other principals, and the allow that matches the benchmark caller last, so that the
// engine checks as many rules as a large real policy would make it.
func benchPolicy() string {
	var b strings.Builder
	b.WriteString("version: 1\nprofiles:\n")
	for i := range 20 {
		fmt.Fprintf(&b, "  team%02d-read:\n    role_arn: arn:aws:iam::111111111111:role/vend/team%02d-read\n    max_duration: 1h\n", i, i)
	}
	b.WriteString("rules:\n")
	for i := range 10 {
		fmt.Fprintf(&b, "  - name: freeze-%02d\n    effect: deny\n    principals: [\"arn:aws:sts::*:assumed-role/frozen-%02d/*\"]\n    profiles: [\"*\"]\n"+
			"    time_windows:\n      - days: [sat, sun]\n        start: \"00:00\"\n        end: \"24:00\"\n        timezone: Europe/Berlin\n", i, i)
	}
	for i := range 89 {
		fmt.Fprintf(&b, "  - name: team-%02d\n    effect: allow\n    principals: [\"arn:aws:sts::*:assumed-role/AWSReservedSSO_Team%02d_*/*\"]\n    accounts: [\"111122223333\"]\n    profiles: [\"*\"]\n", i, i)
	}
	b.WriteString("  - name: engineers\n    effect: allow\n    principals: [\"arn:aws:sts::*:assumed-role/AWSReservedSSO_Engineer_*/*\"]\n    org_ids: [o-abc123def4]\n    profiles: [\"*\"]\n")
	return b.String()
}

func benchHandler(b *testing.B, query string) (*Handler, []byte) {
	b.Helper()
	p := mustPolicy(b, benchPolicy())
	if n := len(p.Rules()); n != 100 {
		b.Fatalf("bench policy has %d rules", n)
	}
	svc, err := tvm.New(&fakeAssumer{}, policystore.Static(p, nil), tvm.WithRateLimit(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	h := New(svc, WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), WithVersion("bench"))
	ev := loadEvent(b, "function-url-event.json")
	ev.RawQueryString = query
	payload := marshal(b, ev)
	r := invoke(b, h, payload)
	if r.StatusCode != 200 {
		b.Fatalf("bench request: status %d: %s", r.StatusCode, r.Body)
	}
	return h, payload
}

// BenchmarkHandlerCredentials measures the handler end to end (event decoding, identity,
// policy over 100 rules, response encoding, decision log) with an STS that answers at
// once, and reports the p99 latency of 10,000 single invocations as p99-ns.
func BenchmarkHandlerCredentials(b *testing.B) {
	benchCredentials(b, "profile=team07-read&duration=900")
}

// BenchmarkHandlerCredentialsScoped is BenchmarkHandlerCredentials with a caller's
// scope (sessionpolicy.Proof's, and a managed policy ARN) to decode, check and pass on:
// what a scope costs beside the unscoped floor.
func BenchmarkHandlerCredentialsScoped(b *testing.B) {
	q := url.Values{"profile": {"team07-read"}, "duration": {"900"},
		"scope":     {encodeScope(string(sessionpolicy.Proof().Scope))},
		"scope_arn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}}
	benchCredentials(b, q.Encode())
}

func benchCredentials(b *testing.B, query string) {
	h, payload := benchHandler(b, query)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(p99(b, 10000, func() {
		if _, err := h.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
	})), "p99-ns")
}

// p99 runs fn n times and returns the 99th percentile of the single-run latencies.
func p99(tb testing.TB, n int, fn func()) time.Duration {
	tb.Helper()
	lat := make([]time.Duration, n)
	for i := range lat {
		start := time.Now()
		fn()
		lat[i] = time.Since(start)
	}
	slices.Sort(lat)
	return lat[(len(lat)*99+99)/100-1]
}

// TestP99 pins the percentile helper's arithmetic.
func TestP99(t *testing.T) {
	lat := make([]time.Duration, 100)
	for j := range lat {
		lat[j] = time.Duration(j + 1)
	}
	if got := lat[(len(lat)*99+99)/100-1]; got != 99 {
		t.Errorf("p99 of 1..100 = %d, want 99", got)
	}
	i := 0
	if d := p99(t, 10, func() { i++ }); d < 0 || i != 10 {
		t.Errorf("p99 ran fn %d times, got %s", i, d)
	}
}
