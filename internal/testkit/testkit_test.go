package testkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMoto(t *testing.T) {
	log := filepath.Join(t.TempDir(), "moto.log")
	m := MotoForTest(t, WithLog(log))
	resp, err := http.Get(m.URL() + MotoReadyPath)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("moto does not answer: %v", err)
	}
	resp.Body.Close()
	if err := m.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.Stop()
	m.Stop() // twice is fine
	if _, err := http.Get(m.URL() + MotoReadyPath); err == nil {
		t.Error("moto still answers after Stop")
	}
	if _, err := os.Stat(log); err != nil {
		t.Errorf("no log: %v", err)
	}
}

func TestWaitURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	if err := WaitURL(context.Background(), srv.URL, time.Second, nil); err != nil {
		t.Fatal(err)
	}
	died := errors.New("died")
	port, _ := FreePort()
	err := WaitURL(context.Background(), "http://127.0.0.1:"+itoa(port), 5*time.Second, func() error { return died })
	if !errors.Is(err, died) {
		t.Errorf("got %v, want the liveness error", err)
	}
	if err := WaitURL(context.Background(), "http://127.0.0.1:"+itoa(port), 300*time.Millisecond, nil); err == nil {
		t.Error("no timeout")
	}
}

func TestWaitFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ready")
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = os.WriteFile(path, []byte(" 42\n"), 0o600)
	}()
	got, err := WaitFile(context.Background(), path, 5*time.Second, nil)
	if err != nil || got != "42" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestBufferConcurrent(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				b.Write([]byte("x"))
			}
		}()
	}
	wg.Wait()
	if len(b.String()) != 800 {
		t.Errorf("len %d", len(b.String()))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestMotoStopEndsTheProcess(t *testing.T) {
	m := MotoForTest(t)
	pid := m.PID()
	m.Stop()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("moto_server (pid %d) still exists after Stop: %v", pid, err)
	}
}

func TestStartMotoFailsWhenMotoCannotServe(t *testing.T) {
	// PATH holds only a moto_server that exits at once.
	dir := t.TempDir()
	fake := filepath.Join(dir, MotoBinary)
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if _, err := StartMoto(context.Background(), WithReadyTimeout(10*time.Second)); err == nil {
		t.Fatal("StartMoto succeeded with a moto_server that exits")
	}
}

// fatalTB records Fatalf instead of ending the test.
type fatalTB struct {
	testing.TB
	failed string
}

func (f *fatalTB) Helper()                        {}
func (f *fatalTB) Fatalf(format string, a ...any) { f.failed = fmt.Sprintf(format, a...) }

func TestErrCase(t *testing.T) {
	boom := errors.New("boom: bad key")
	for _, tc := range []struct {
		name       string
		err        error
		want       string
		wantReturn bool
		wantFail   bool
	}{
		{"no error wanted, none", nil, "", false, false},
		{"no error wanted, one", boom, "", false, true},
		{"error wanted, it", boom, "bad key", true, false},
		{"error wanted, another", boom, "missing", true, true},
		{"error wanted, none", nil, "bad key", true, true},
	} {
		f := &fatalTB{TB: t}
		if got := ErrCase(f, tc.err, tc.want); got != tc.wantReturn || (f.failed != "") != tc.wantFail {
			t.Errorf("%s: returned %v, failed %q; want %v, failing %v", tc.name, got, f.failed, tc.wantReturn, tc.wantFail)
		}
	}
}
