package motoserver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long moto_server may take to answer (its Python imports are slow).
const startTimeout = 60 * time.Second

// Start runs moto_server on a free port of 127.0.0.1 and returns its base URL. The
// server is killed when the test ends. Without moto_server on the PATH the test is
// skipped, unless CI is "true", where it fails: CI must exercise the real thing.
func Start(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto_server not found and CI=true: %v", err)
		}
		t.Skip("moto_server not installed (set CI=true to make this a failure)")
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = nil, nil
	// Its own process group, so that killing it also kills anything a pyenv shim spawned.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("moto_server (pid %d) did not exit", cmd.Process.Pid)
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		resp, err := client.Get(base + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return base
		}
		select {
		case <-done:
			t.Fatalf("moto_server exited before answering")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer within %s: %v", startTimeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Query sends an AWS query-protocol call (IAM, STS) to moto, which checks no signature,
// and returns the XML response body. It fails the test on a non-2xx answer.
func Query(t testing.TB, base string, params url.Values) string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto routes query calls by the service in the SigV4 credential scope.
	svc := "iam"
	if v := params.Get("Service"); v != "" {
		svc = v
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/"+svc+"/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", svc, params.Get("Action"), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: read response: %v", svc, params.Get("Action"), err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d: %s", svc, params.Get("Action"), resp.StatusCode, b)
	}
	return string(b)
}

// CreateRole creates an IAM role in moto and returns its ARN.
func CreateRole(t testing.TB, base, name string) string {
	t.Helper()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"]}]}`
	body := Query(t, base, url.Values{
		"Action":                   {"CreateRole"},
		"Version":                  {"2010-05-08"},
		"RoleName":                 {name},
		"AssumeRolePolicyDocument": {trust},
	})
	start := strings.Index(body, "<Arn>")
	end := strings.Index(body, "</Arn>")
	if start < 0 || end < start {
		t.Fatalf("CreateRole: no ARN in %s", body)
	}
	return body[start+len("<Arn>") : end]
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("not a tcp address")
	}
	return addr.Port, nil
}
