package project

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vend-tvm/vend/internal/testkit"
)

// Proc is a background process that a target started and a later target stops.
type Proc struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	// Match is a string that the process's command line holds, so that a PID the
	// system reused for an unrelated process is never signalled.
	Match string `json:"match"`
	URL   string `json:"url,omitempty"`
	Log   string `json:"log"`

	// exited is closed when a process this target started has ended. It is nil for a
	// process read back from the state file, whose liveness is checked through /proc.
	exited <-chan struct{}
}

// StartBackground starts a process that outlives the target: its own session, no
// standard input, output to logPath.
func StartBackground(name string, args, env []string, dir, logPath string) (Proc, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
		return Proc{}, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return Proc{}, err
	}
	defer logf.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return Proc{}, fmt.Errorf("start %s: %w", name, err)
	}
	exited := make(chan struct{})
	p := Proc{Name: name, PID: cmd.Process.Pid, Match: filepath.Base(args[0]), Log: logPath, exited: exited}
	// Reap it if it dies while this target still runs; the target never waits for it
	// otherwise, but Alive learns from this that it has ended.
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	return p, nil
}

// Alive reports whether p is still running and is still the process that was started.
//
// For a process this target started, that is whether it has exited: until it is reaped,
// its PID cannot belong to anything else. For one read back from the state file, the
// PID must answer signal 0, not be a zombie, and have a command line holding p.Match.
// /proc/PID/cmdline reads empty for a moment while a process execs (and while it exits):
// an empty read is "not known yet" and is read again, never taken for another process.
func (p Proc) Alive() bool {
	if p.PID <= 0 {
		return false
	}
	if p.exited != nil {
		select {
		case <-p.exited:
			return false
		default:
			return true
		}
	}
	pid := strconv.Itoa(p.PID)
	for attempt := 0; ; attempt++ {
		if err := syscall.Kill(p.PID, 0); err != nil {
			return false
		}
		if stat, err := os.ReadFile("/proc/" + pid + "/stat"); err == nil {
			if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
				return false
			}
		}
		cmdline, err := os.ReadFile("/proc/" + pid + "/cmdline")
		if err != nil {
			// No /proc (macOS), or it vanished between the checks: trust the signal.
			return syscall.Kill(p.PID, 0) == nil
		}
		if len(cmdline) > 0 {
			return bytes.Contains(cmdline, []byte(p.Match))
		}
		if attempt == cmdlineAttempts {
			// Still empty after a second: a process that does not show its command
			// line; the signal and zombie checks are all there is.
			return true
		}
		time.Sleep(cmdlineRetry)
	}
}

// How long Alive waits for an empty /proc/PID/cmdline to fill in.
const (
	cmdlineAttempts = 20
	cmdlineRetry    = 50 * time.Millisecond
)

// Stop ends p's process group with SIGTERM, then SIGKILL after the grace period.
func (p Proc) Stop(grace time.Duration) error {
	if !p.Alive() {
		return nil
	}
	_ = syscall.Kill(-p.PID, syscall.SIGTERM)
	_ = syscall.Kill(p.PID, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !p.Alive() {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(-p.PID, syscall.SIGKILL)
	_ = syscall.Kill(p.PID, syscall.SIGKILL)
	time.Sleep(200 * time.Millisecond)
	if p.Alive() {
		return fmt.Errorf("%s (pid %d) did not stop", p.Name, p.PID)
	}
	return nil
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort() (int, error) { return testkit.FreePort() }

// WaitHTTP waits until url answers any HTTP status, or p dies, or the timeout passes.
func WaitHTTP(ctx context.Context, p Proc, url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if !p.Alive() {
			return fmt.Errorf("%s exited before it answered on %s (log: %s)", p.Name, url, p.Log)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer on %s within %s (log: %s)", p.Name, url, timeout, p.Log)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WaitFile waits until path exists with content, or p dies, or the timeout passes.
func WaitFile(ctx context.Context, p Proc, path string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if data, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(data)) > 0 {
			return strings.TrimSpace(string(data)), nil
		}
		if !p.Alive() {
			return "", fmt.Errorf("%s exited before it was ready (log: %s)", p.Name, p.Log)
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s was not ready within %s (log: %s)", p.Name, timeout, p.Log)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

var errNoState = errors.New("no local stack state")
