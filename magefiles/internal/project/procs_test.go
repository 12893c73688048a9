package project

import (
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Regression: deploys failed with "moto_server exited before it answered" while it ran,
// because /proc/PID/cmdline reads empty while a process execs and Alive took that for
// another process. Start many processes that exec at once, under CPU load, and check
// each is alive from the first moment.
func TestAliveWhileStartingUnderLoad(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var burners sync.WaitGroup
	for range runtime.NumCPU() * 2 {
		burners.Add(1)
		go func() {
			defer burners.Done()
			for ctx.Err() == nil {
				for i := 0; i < 1e5; i++ {
					_ = i * i
				}
			}
		}()
	}
	defer burners.Wait()
	defer cancel()

	dir := t.TempDir()
	for i := range 60 {
		// sh execs sleep at once: the window in which cmdline reads empty.
		p, err := StartBackground("sleeper", []string{sh, "-c", "exec sleep 5"}, nil, dir, filepath.Join(dir, "log"))
		if err != nil {
			t.Fatal(err)
		}
		for j := range 20 {
			if !p.Alive() {
				_ = p.Stop(time.Second)
				t.Fatalf("start %d, check %d: a running process counted as dead", i, j)
			}
		}
		if err := p.Stop(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		if p.Alive() {
			t.Fatalf("start %d: alive after Stop", i)
		}
	}
}

func TestAliveFromStateFile(t *testing.T) {
	dir := t.TempDir()
	p, err := StartBackground("sleeper", []string{"sleep", "5"}, nil, dir, filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(time.Second) //nolint:errcheck
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var loaded Proc
	if err := json.Unmarshal(data, &loaded); err != nil {
		t.Fatal(err)
	}
	if !loaded.Alive() {
		t.Fatal("a running process read back from the state file counts as dead")
	}
	other := loaded
	other.Match = "no-such-program"
	if other.Alive() {
		t.Error("a PID running another program counts as ours")
	}
	if err := loaded.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Alive() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if p.Alive() || loaded.Alive() {
		t.Error("alive after Stop")
	}
}

func TestAliveAfterExit(t *testing.T) {
	dir := t.TempDir()
	p, err := StartBackground("true", []string{"true"}, nil, dir, filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Alive() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p.Alive() {
		t.Error("a process that exited still counts as alive")
	}
}

func TestReusableAddr(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	busy := l.Addr().String()
	if got := reusableAddr("http://" + busy); got != "" {
		t.Errorf("a port in use: %q, want none", got)
	}
	l.Close()
	if got := reusableAddr("http://" + busy); got != busy {
		t.Errorf("a free port: %q, want %q", got, busy)
	}
	for _, u := range []string{"", "http://example.com:80", "not a url"} {
		if got := reusableAddr(u); got != "" {
			t.Errorf("%q: %q", u, got)
		}
	}
}
