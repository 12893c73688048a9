package project

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// BenchDir is where Bench writes raw results, one file per module, for benchstat.
const BenchDir = "bin/bench"

// BenchSet is one run of `go test -bench`: a module's packages, with build tags and
// environment when they need them; Name names its result file.
type BenchSet struct {
	Name, Mod string
	Tags      string
	Pkgs      string // default ./...
	Env       []string
}

// BenchSets are what `go tool mage bench` runs: the TVM's and the CLI's unit benchmarks,
// then the CLI's start-up against the binary BuildAll made (cli/e2e/startup, which
// needs the e2e tag), whose cases report their percentiles as multiples of `vend
// version` run in between.
func (r *Runner) BenchSets() []BenchSet {
	return []BenchSet{
		{Name: "lambda", Mod: "lambda"},
		{Name: "cli", Mod: "cli"},
		{Name: "cli-startup", Mod: "cli", Tags: "e2e", Pkgs: "./e2e/startup", Env: []string{"VEND_BIN=" + r.CLIPath()}},
	}
}

// Bench runs a set of benchmarks count times and writes the raw output to BenchDir,
// returning the file's path.
func (r *Runner) Bench(ctx context.Context, set BenchSet, count int) (string, error) {
	var out bytes.Buffer
	saved := r.Stdout
	r.Stdout = &out
	args := []string{"go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", fmt.Sprint(count)}
	if set.Tags != "" {
		args = append(args, "-tags", set.Tags)
	}
	pkgs := set.Pkgs
	if pkgs == "" {
		pkgs = "./..."
	}
	err := r.Run(ctx, Cmd{Dir: set.Mod, Env: set.Env, Args: append(args, pkgs)})
	r.Stdout = saved
	if err != nil {
		saved.Write(out.Bytes())
		return "", err
	}
	path := filepath.Join(r.Root, BenchDir, set.Name+".txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, out.Bytes(), 0o644)
}

// Benchstat prints a benchstat summary of result files, then the ratios of every
// benchmark run against a floor (see benchRatios).
func (r *Runner) Benchstat(ctx context.Context, files ...string) error {
	if err := r.Run(ctx, Cmd{Dir: "magefiles", Args: append([]string{"go", "tool", "benchstat"}, files...)}); err != nil {
		return err
	}
	var all bytes.Buffer
	for _, f := range files {
		if !filepath.IsAbs(f) {
			f = filepath.Join(r.Root, "magefiles", f) // where benchstat ran
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		all.Write(b)
		all.WriteByte('\n')
	}
	for _, line := range benchRatios(&all) {
		fmt.Fprintln(r.Stdout, line)
	}
	return nil
}

// benchRatios compares the sub-benchmarks X/vend and X/bare of raw benchmark output,
// where bare is a floor that does the same work without vend's (see credserver's
// BenchmarkLoopback): one line per X with vend's throughput over bare's (from ns/op)
// and its p50-ns over bare's, from the medians of the runs, as benchstat centres them.
// A benchmark that reports p50-x-version (cli/e2e/startup's, which runs `vend version`
// between its runs) gets a line with the medians of that and p90-x-version.
func benchRatios(raw io.Reader) []string {
	runs := map[string]map[string][]float64{} // name without -GOMAXPROCS, unit, values
	sc := bufio.NewScanner(raw)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		for i := 2; i+1 < len(f); i += 2 { // f[1] is the iteration count
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			if runs[name] == nil {
				runs[name] = map[string][]float64{}
			}
			runs[name][f[i+1]] = append(runs[name][f[i+1]], v)
		}
	}
	var lines []string
	for name, units := range runs {
		// Benchmarks that measure their floor themselves report multiples of it.
		if p50, p90 := units["p50-x-version"], units["p90-x-version"]; p50 != nil {
			line := fmt.Sprintf("%s: p50 %.2f× version", strings.TrimPrefix(name, "Benchmark"), median(p50))
			if p90 != nil {
				line += fmt.Sprintf(", p90 %.2f×", median(p90))
			}
			lines = append(lines, line)
		}
		base, ok := strings.CutSuffix(name, "/vend")
		bare := runs[base+"/bare"]
		if !ok || bare == nil {
			continue
		}
		vend := runs[name]
		line := strings.TrimPrefix(base, "Benchmark") + " vend/bare:"
		if b, v := median(bare["ns/op"]), median(vend["ns/op"]); b > 0 && v > 0 {
			line += fmt.Sprintf(" throughput %.2f×", b/v)
		}
		if b, v := median(bare["p50-ns"]), median(vend["p50-ns"]); b > 0 && v > 0 {
			line += fmt.Sprintf(" p50 %.2f×", v/b)
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	return lines
}

// median returns the median of vs, or 0 when there are none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(vs))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
