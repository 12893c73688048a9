package credserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/credcache"
)

// loopbackClients is the number of keep-alive clients of BenchmarkLoopback: many SDKs
// of a build or test run sharing one endpoint.
const loopbackClients = 32

// BenchmarkLoopback serves a warm credcache's credentials to 32 keep-alive clients over
// real loopback TCP, twice in one run so that benchstat lines the two up: "bare" is a
// plain net/http server writing the same bytes and headers with no checks and no
// timeouts (the floor), "vend" is the endpoint with every check on; both get the same
// requests. ns/op is the inverse of throughput; p50-ns and p99-ns are single-request
// latencies. Targets: vend at least 0.95× bare's throughput and at most 1.03× its p50.
func BenchmarkLoopback(b *testing.B) {
	cache := credcache.New(staticProvider())
	if _, err := cache.Retrieve(context.Background()); err != nil {
		b.Fatal(err)
	}
	s := startServer(b, cache)

	// The floor answers with exactly what the endpoint answers.
	req, err := http.NewRequest(http.MethodGet, s.URL(), nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", s.Token())
	resp, err := newClient(b).Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	type field struct {
		key   string
		value []string
	}
	var header []field
	for k, v := range resp.Header {
		if k != "Date" { // net/http sets it on both
			header = append(header, field{k, v})
		}
	}
	// A plain http.Server: httptest.Server tracks connection states under a lock, which
	// would slow the floor.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for _, f := range header {
			h[f.key] = f.value
		}
		w.Write(body)
	})}
	go bare.Serve(ln)
	b.Cleanup(func() { bare.Close() })

	// The floor gets the token too, so that only the servers differ.
	b.Run("bare", func(b *testing.B) { driveLoopback(b, "http://"+ln.Addr().String()+"/", s.Token()) })
	b.Run("vend", func(b *testing.B) { driveLoopback(b, s.URL(), s.Token()) })
}

// driveLoopback sends b.N requests from loopbackClients goroutines sharing one
// keep-alive transport, and reports the latency percentiles.
func driveLoopback(b *testing.B, url, token string) {
	tr := &http.Transport{MaxIdleConns: loopbackClients, MaxIdleConnsPerHost: loopbackClients, IdleConnTimeout: time.Minute}
	// Closed when this round ends: the testing package calls driveLoopback once per
	// round, and idle connections left by earlier rounds would weigh on later ones.
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	var (
		next    atomic.Int64
		limit   int64
		lat     [loopbackClients][]time.Duration
		failed  atomic.Value
		clients sync.WaitGroup
	)
	run := func(n int, record bool) {
		next.Store(0)
		limit = int64(n)
		clients.Add(loopbackClients)
		for c := range loopbackClients {
			go func() {
				defer clients.Done()
				req, err := http.NewRequest(http.MethodGet, url, nil)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				req.Header["Authorization"] = []string{token}
				var mine []time.Duration
				if record {
					mine = make([]time.Duration, 0, n/loopbackClients+1)
				}
				defer func() { lat[c] = mine }()
				for next.Add(1) <= limit {
					start := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						failed.Store(err.Error())
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if record {
						mine = append(mine, time.Since(start))
					}
					if resp.StatusCode != http.StatusOK {
						failed.Store(resp.Status)
						return
					}
				}
			}()
		}
		clients.Wait()
		if msg := failed.Load(); msg != nil {
			b.Fatal(msg)
		}
	}
	// Open every connection before timing.
	run(loopbackClients*8, false)

	b.ReportAllocs()
	b.ResetTimer()
	run(b.N, true)
	b.StopTimer()

	all := make([]time.Duration, 0, b.N)
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(all[(len(all)*99)/100].Nanoseconds()), "p99-ns")
}

// BenchmarkHandler measures the handler alone on an authorised request answered from a
// warm credcache, with a writer that reuses its header map, so that allocs/op counts
// only what the handler allocates (target: 0).
func BenchmarkHandler(b *testing.B) {
	cache := credcache.New(staticProvider())
	if _, err := cache.Retrieve(context.Background()); err != nil {
		b.Fatal(err)
	}
	s := startServer(b, cache)
	h := s.Handler()
	req := httptest.NewRequest(http.MethodGet, s.URL(), nil)
	req.Header.Set("Authorization", s.Token())
	w := &discardWriter{header: http.Header{}}

	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// discardWriter is a ResponseWriter that keeps the status and drops the body.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
