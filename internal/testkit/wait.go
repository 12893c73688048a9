package testkit

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// FreePort asks the kernel for a TCP port on 127.0.0.1 that nothing listens on now.
// Another process could take it before the caller binds it: servers started on it must
// fail visibly when the port is taken (StartMoto notices).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitURL polls url until it answers 2xx, alive returns an error (the server died), ctx
// ends, or within passes.
func WaitURL(ctx context.Context, url string, within time.Duration, alive func() error) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("probe %s: %w", url, err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
		}
		if alive != nil {
			if err := alive(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer within %s: %w", url, within, ctx.Err())
		case <-tick.C:
		}
	}
}

// WaitFile polls path until it exists with content other than white space, alive
// returns an error, ctx ends, or within passes; it returns the trimmed content.
func WaitFile(ctx context.Context, path string, within time.Duration, alive func() error) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(data)) > 0 {
			return strings.TrimSpace(string(data)), nil
		}
		if alive != nil {
			if err := alive(); err != nil {
				return "", err
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%s did not appear within %s: %w", path, within, ctx.Err())
		case <-tick.C:
		}
	}
}

// Buffer is a bytes.Buffer that concurrent writers may share (a server's log, a
// process's combined output).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Reset empties the buffer.
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.Reset()
}

// RequireTool skips t outside CI, or fails it under CI=true, when the external program
// name is missing: check (default: name --version) must run and succeed.
func RequireTool(t testing.TB, name string, check ...string) {
	t.Helper()
	if len(check) == 0 {
		if _, err := exec.LookPath(name); err != nil {
			missing(t, name, err)
		}
		return
	}
	if err := exec.Command(check[0], check[1:]...).Run(); err != nil {
		missing(t, name, err)
	}
}

func missing(t testing.TB, name string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true: %v", name, err)
	}
	t.Skipf("%s is not installed (fails under CI=true): %v", name, err)
}

// ErrCase checks a table case's error: want is a text the error must contain, or "" for
// no error. It fails t at once when err is not as wanted, and returns true when the case
// wanted an error, so the test has nothing more to check: if testkit.ErrCase(t, err,
// tt.wantErr) { return }.
func ErrCase(t testing.TB, err error, want string) bool {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("err = %v, want it to mention %q", err, want)
	}
	return want != ""
}
