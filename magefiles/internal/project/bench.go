package project

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// BenchDir is where Bench writes raw results, one file per module, for benchstat.
const BenchDir = "bin/bench"

// Bench runs a module's benchmarks count times and writes the raw output to BenchDir,
// returning the file's path.
func (r *Runner) Bench(ctx context.Context, mod string, count int) (string, error) {
	var out bytes.Buffer
	saved := r.Stdout
	r.Stdout = &out
	err := r.Run(ctx, Cmd{Dir: mod, Args: []string{"go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", fmt.Sprint(count), "./..."}})
	r.Stdout = saved
	if err != nil {
		saved.Write(out.Bytes())
		return "", err
	}
	path := filepath.Join(r.Root, BenchDir, filepath.Base(mod)+".txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, out.Bytes(), 0o644)
}

// Benchstat prints a benchstat summary of result files.
func (r *Runner) Benchstat(ctx context.Context, files ...string) error {
	return r.Run(ctx, Cmd{Dir: "magefiles", Args: append([]string{"go", "tool", "benchstat"}, files...)})
}
