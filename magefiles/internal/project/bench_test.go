package project

import (
	"slices"
	"strings"
	"testing"
)

func TestBenchRatios(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want []string
	}{
		{"medians of every run",
			`goos: linux
pkg: github.com/vend-tvm/vend/cli/internal/credserver
BenchmarkLoopback/bare-2   1000   40000 ns/op   800000 p50-ns   9000000 p99-ns   6591 B/op   76 allocs/op
BenchmarkLoopback/bare-2   1000   50000 ns/op   900000 p50-ns   9000000 p99-ns   6591 B/op   76 allocs/op
BenchmarkLoopback/bare-2   1000   60000 ns/op   700000 p50-ns   9000000 p99-ns   6591 B/op   76 allocs/op
BenchmarkLoopback/vend-2   1000   52000 ns/op   880000 p50-ns   9000000 p99-ns   7000 B/op   80 allocs/op
BenchmarkLoopback/vend-2   1000   48000 ns/op   800000 p50-ns   9000000 p99-ns   7000 B/op   80 allocs/op
BenchmarkHandler-2   3000000   350 ns/op   0 B/op   0 allocs/op
PASS
`,
			[]string{"Loopback vend/bare: throughput 1.00× p50 1.05×"}},
		{"without GOMAXPROCS suffix or p50",
			"BenchmarkX/bare 10 100 ns/op\nBenchmarkX/vend 10 125 ns/op\n",
			[]string{"X vend/bare: throughput 0.80×"}},
		{"multiples of version",
			"BenchmarkStartup/exec-cached-2 20 3000000 ns/op 2900000 p50-ns 1.10 p50-x-version 1.30 p90-x-version\n" +
				"BenchmarkStartup/exec-cached-2 20 3000000 ns/op 2900000 p50-ns 1.00 p50-x-version 1.20 p90-x-version\n" +
				"BenchmarkStartup/version-2 20 2000000 ns/op 1900000 p50-ns\n",
			[]string{"Startup/exec-cached: p50 1.05× version, p90 1.25×"}},
		{"vend without a floor", "BenchmarkX/vend-2 10 100 ns/op\n", nil},
		{"no benchmarks", "PASS\nok  \tpkg\t1.2s\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := benchRatios(strings.NewReader(tt.raw)); !slices.Equal(got, tt.want) {
				t.Errorf("benchRatios() = %q, want %q", got, tt.want)
			}
		})
	}
}
