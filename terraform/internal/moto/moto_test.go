package moto

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func requireMoto(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(Binary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not on PATH and CI=true: %v", Binary, err)
		}
		t.Skipf("%s is not on PATH (set CI=true to make this a failure)", Binary)
	}
}

func TestStartStop(t *testing.T) {
	requireMoto(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	logPath := filepath.Join(t.TempDir(), "moto.log")
	srv, err := Start(ctx, WithLog(logPath))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)

	resp, err := http.Get(srv.Endpoint() + "/moto-api/data.json")
	if err != nil {
		t.Fatalf("moto does not answer on %s: %v", srv.Endpoint(), err)
	}
	resp.Body.Close()
	if err := srv.Reset(ctx); err != nil {
		t.Errorf("Reset: %v", err)
	}

	pid := srv.PID()
	srv.Stop()
	srv.Stop() // twice is fine
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("moto_server (pid %d) still exists after Stop: %v", pid, err)
	}
	if _, err := http.Get(srv.Endpoint() + "/moto-api/data.json"); err == nil {
		t.Error("moto still answers after Stop")
	}
}

func TestStartFailsWhenMotoCannotServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// PATH holds only a moto_server that exits at once.
	dir := t.TempDir()
	fake := filepath.Join(dir, Binary)
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	_, err := Start(ctx, WithReadyTimeout(10*time.Second))
	if err == nil {
		t.Fatal("Start succeeded with a moto_server that exits")
	}
}
