package serve

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

func TestNewCmdServeFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		want     ServeOptions
		wantCode int
	}{
		{name: "defaults", args: []string{"dev"}, want: ServeOptions{Profile: "dev", Output: "env"}},
		{name: "all flags", args: []string{"dev", "--addr", "127.0.0.1:9911", "--format", "json", "--duration", "20m", "--no-cache"},
			want: ServeOptions{Profile: "dev", Addr: "127.0.0.1:9911", Output: "json", VendFlags: factory.VendFlags{Duration: 1200e9, NoCache: true}}},
		{name: "bad format", args: []string{"dev", "--format", "yaml"}, wantCode: status.Usage},
		{name: "no profile", args: nil, wantCode: status.Usage},
		{name: "two profiles", args: []string{"a", "b"}, wantCode: status.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			var got *ServeOptions
			err := e.Run(t, NewCmdServe(e.F, func(o *ServeOptions) error { got = o; return nil }), tt.args...)
			if tt.wantCode != 0 {
				if status.Code(err) != tt.wantCode {
					t.Fatalf("got %v, want exit %d", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Profile != tt.want.Profile || got.Addr != tt.want.Addr || got.Output != tt.want.Output || got.Duration != tt.want.Duration ||
				got.NoCache != tt.want.NoCache {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// startServe runs serve until the test cancels it and returns the printed endpoint.
func startServe(t *testing.T, e *cmdtest.Env, args ...string) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	done := make(chan error, 1)
	go func() { done <- e.RunContext(ctx, NewCmdServe(e.F, nil), args...) }()
	t.Cleanup(cancel)
	if !cmdtest.WaitFor(10*time.Second, func() bool { return strings.Contains(e.ErrOut.String(), "serving") }) {
		cancel()
		t.Fatalf("serve did not start: %v\nstderr: %s", <-done, e.ErrOut)
	}
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not stop")
			return nil
		}
	}
}

func fetch(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeEnvFormat(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	e.F.Flags.Debug = true
	stop := startServe(t, e, "dev")

	out := e.Out.String()
	url := regexp.MustCompile(`export AWS_CONTAINER_CREDENTIALS_FULL_URI='([^']+)'`).FindStringSubmatch(out)
	token := regexp.MustCompile(`export AWS_CONTAINER_AUTHORIZATION_TOKEN='([^']+)'`).FindStringSubmatch(out)
	if url == nil || token == nil || !strings.Contains(out, "export VEND_PROFILE='dev'") {
		t.Fatalf("output:\n%s", out)
	}
	if !strings.Contains(out, "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN") || strings.Contains(out, "unset AWS_CONTAINER_CREDENTIALS_FULL_URI") {
		t.Errorf("unset line wrong:\n%s", out)
	}
	code, body := fetch(t, url[1], token[1])
	if code != 200 || !strings.Contains(body, tvmtest.VendedAccessKeyID) {
		t.Errorf("fetch: %d %s", code, body)
	}
	if code, _ := fetch(t, url[1], "wrong"); code == 200 {
		t.Error("endpoint accepted a wrong token")
	}
	if strings.Contains(e.ErrOut.String(), token[1]) {
		t.Error("stderr has the token")
	}
	e.AssertNoSecrets(t)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if code, _ := fetch(t, url[1], token[1]); code != 0 {
		t.Errorf("endpoint still answers after stop: %d", code)
	}
}

func TestServeJSONFormatAndAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	stop := startServe(t, e, "dev", "--format", "json", "--addr", addr)
	var got map[string]string
	if err := json.Unmarshal([]byte(e.Out.String()), &got); err != nil {
		t.Fatalf("output %q: %v", e.Out, err)
	}
	if !strings.HasPrefix(got["AWS_CONTAINER_CREDENTIALS_FULL_URI"], "http://"+addr+"/") || got["AWS_CONTAINER_AUTHORIZATION_TOKEN"] == "" {
		t.Errorf("got %v", got)
	}
	if code, body := fetch(t, got["AWS_CONTAINER_CREDENTIALS_FULL_URI"], got["AWS_CONTAINER_AUTHORIZATION_TOKEN"]); code != 200 {
		t.Errorf("fetch: %d %s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestServeErrors(t *testing.T) {
	t.Run("denied", func(t *testing.T) {
		e := cmdtest.New(t)
		e.TVM.Handle(wire.PathCredentials, tvmtest.Deny("no-dev", "not today"))
		err := e.Run(t, NewCmdServe(e.F, nil), "dev")
		if status.Code(err) != status.Denied {
			t.Fatalf("got %v", err)
		}
		if e.Out.String() != "" {
			t.Errorf("printed an endpoint after a denial: %s", e.Out)
		}
	})
	t.Run("non-loopback address", func(t *testing.T) {
		e := cmdtest.New(t)
		e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
		err := e.Run(t, NewCmdServe(e.F, nil), "dev", "--addr", "0.0.0.0:9911")
		if err == nil || status.Code(err) != status.Error {
			t.Fatalf("got %v", err)
		}
	})
}

// TestServeIsolatesDefaultProfile pastes what serve prints into a shell whose AWS files
// hold default keys: the shell must then read copies without them, and the copies go
// when serve stops.
func TestServeIsolatesDefaultProfile(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	cmdtest.WriteFile(t, e.Vars["AWS_SHARED_CREDENTIALS_FILE"], "[default]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = static-secret\n[named]\naws_access_key_id = AKIDNAMED\n")
	cmdtest.WriteFile(t, e.Vars["AWS_CONFIG_FILE"], "[default]\nregion = eu-west-3\ncredential_process = /bin/creds\n")
	stop := startServe(t, e, "dev")

	out := e.Out.String()
	copies := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^export (AWS_CONFIG_FILE|AWS_SHARED_CREDENTIALS_FILE|AWS_CREDENTIAL_PROFILES_FILE)='([^']+)'$`).FindAllStringSubmatch(out, -1) {
		copies[m[1]] = m[2]
	}
	if len(copies) != 3 {
		t.Fatalf("serve did not point the shell at copies of the AWS files:\n%s", out)
	}
	if strings.Contains(out, "unset AWS_CONFIG_FILE") || strings.Contains(out, " AWS_CREDENTIAL_PROFILES_FILE ") {
		t.Errorf("serve unsets a variable it also exports:\n%s", out)
	}
	cfg, err := os.ReadFile(copies["AWS_CONFIG_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	creds, err := os.ReadFile(copies["AWS_SHARED_CREDENTIALS_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cfg)+string(creds), "AKIDSTATIC") || strings.Contains(string(cfg), "credential_process") ||
		!strings.Contains(string(cfg), "region = eu-west-3") || !strings.Contains(string(creds), "AKIDNAMED") {
		t.Errorf("copies wrong:\n%s\n%s", cfg, creds)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(copies["AWS_CONFIG_FILE"]); !os.IsNotExist(err) {
		t.Errorf("the copies outlived serve (%v)", err)
	}
	if !strings.Contains(e.ErrOut.String(), "unset AWS_CONFIG_FILE") {
		t.Errorf("serve did not say how to undo the exports:\n%s", e.ErrOut)
	}
}

// A second serve starts from the disk cache: the endpoint answers without a TVM call.
func TestServeStartsFromCachedCredentials(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	for i := range 2 {
		e.Out.Reset()
		e.ErrOut.Reset()
		stop := startServe(t, e, "dev", "--format", "json")
		var got map[string]string
		if err := json.Unmarshal([]byte(e.Out.String()), &got); err != nil {
			t.Fatalf("output %q: %v", e.Out, err)
		}
		code, body := fetch(t, got["AWS_CONTAINER_CREDENTIALS_FULL_URI"], got["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
		if code != 200 || !strings.Contains(body, tvmtest.VendedAccessKeyID) {
			t.Errorf("serve %d: fetch %d %s", i+1, code, body)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.TVM.CallCount(wire.PathCredentials); n != 1 {
		t.Errorf("two serves made %d TVM calls, want 1", n)
	}
}
