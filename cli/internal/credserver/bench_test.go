package credserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/credcache"
)

// BenchmarkServeCacheHit measures an SDK's request answered from a warm credcache:
// over a real keep-alive loopback connection, and through the handler alone. The p99-ns
// metric is the 99th percentile of single requests (target: under 0.5 ms).
func BenchmarkServeCacheHit(b *testing.B) {
	cache := credcache.New(staticProvider())
	if _, err := cache.Retrieve(context.Background()); err != nil {
		b.Fatal(err)
	}
	s := startServer(b, cache)

	b.Run("loopback", func(b *testing.B) {
		client := newClient(b)
		req, err := http.NewRequest(http.MethodGet, s.URL(), nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", s.Token())
		measure(b, func() {
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		})
	})

	b.Run("recorder", func(b *testing.B) {
		h := s.Handler()
		req := httptest.NewRequest(http.MethodGet, s.URL(), nil)
		req.Header.Set("Authorization", s.Token())
		measure(b, func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		})
	})
}

// measure runs op b.N times, timing each call for the p99 metric.
func measure(b *testing.B, op func()) {
	b.Helper()
	lat := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		op()
		lat[i] = time.Since(start)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Nanoseconds()), "p99-ns")
}
