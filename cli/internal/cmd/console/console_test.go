package console

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/federation"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

// standIn is the sign-in federation endpoint: it checks the request as AWS reads it
// and answers a token.
func standIn(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("Action") != "getSigninToken" {
			t.Errorf("%s %v: want POST Action=getSigninToken", r.Method, r.PostForm.Get("Action"))
		}
		if _, ok := r.Form["SessionDuration"]; ok {
			t.Error("SessionDuration sent for chained role credentials")
		}
		var s map[string]string
		_ = json.Unmarshal([]byte(r.PostForm.Get("Session")), &s)
		if s["sessionId"] != tvmtest.VendedAccessKeyID || s["sessionKey"] != tvmtest.VendedSecretAccessKey || s["sessionToken"] != tvmtest.VendedSessionToken {
			t.Errorf("Session = %v, want the vended credentials", s)
		}
		_, _ = w.Write([]byte(`{"SigninToken":"SIGNIN-TOKEN-1"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestConsolePrint(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	fed := standIn(t)
	e.SetVar(federation.EnvEndpoint, fed.URL)
	e.SetVar("AWS_REGION", "eu-west-1")
	if err := e.Run(t, NewCmdConsole(e.F, nil), "--print", "dev"); err != nil {
		t.Fatalf("%v\n%s", err, e.ErrOut)
	}
	u, err := url.Parse(strings.TrimSpace(e.Out.String()))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme+"://"+u.Host != fed.URL || q.Get("Action") != "login" || q.Get("SigninToken") != "SIGNIN-TOKEN-1" ||
		q.Get("Destination") != "https://console.aws.amazon.com/console/home?region=eu-west-1" {
		t.Errorf("login URL %s", u)
	}
	if !strings.Contains(e.ErrOut.String(), "treat it as a secret") || !strings.Contains(e.ErrOut.String(), "session ends when the credentials expire") {
		t.Errorf("stderr does not warn:\n%s", e.ErrOut)
	}
	for _, s := range tvmtest.Secrets {
		if strings.Contains(e.Out.String()+e.ErrOut.String(), s) {
			t.Errorf("console printed a credential")
		}
	}
}

func TestConsoleOpensTheBrowser(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	e.SetVar(federation.EnvEndpoint, standIn(t).URL)
	var opened string
	cmd := NewCmdConsole(e.F, func(o *ConsoleOptions) error {
		o.Open = func(u string) error { opened = u; return nil }
		return consoleRun(o)
	})
	if err := e.Run(t, cmd, "--destination", "https://console.aws.amazon.com/s3/home", "dev"); err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(opened); u == nil || u.Query().Get("Destination") != "https://console.aws.amazon.com/s3/home" {
		t.Errorf("opened %q", opened)
	}
	if e.Out.String() != "" || !strings.Contains(e.ErrOut.String(), "opened the AWS console as dev") {
		t.Errorf("stdout %q, stderr %q", e.Out, e.ErrOut)
	}
}

func TestConsoleBrowserVariable(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "url")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf %s \"$1\" > "+got+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BROWSER": script}
	if err := openBrowser(func(k string) string { return env[k] }, "https://example.test/?a=1&b=2"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); string(b) != "https://example.test/?a=1&b=2" {
		t.Errorf("browser got %q", b)
	}
	env["BROWSER"] = filepath.Join(dir, "missing")
	if err := openBrowser(func(k string) string { return env[k] }, "https://x"); err == nil {
		t.Error("a missing browser was no error")
	}
}

func TestConsoleErrors(t *testing.T) {
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdConsole(e.F, nil), "--destination", "http://console.aws.amazon.com", "dev")
	if status.Code(err) != status.Usage {
		t.Errorf("plain-http destination: %v", err)
	}
	e = cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Deny("r", "no console"))
	e.SetVar(federation.EnvEndpoint, standIn(t).URL)
	if err := e.Run(t, NewCmdConsole(e.F, nil), "--print", "dev"); status.Code(err) != status.Denied {
		t.Errorf("denied: %v", err)
	}
	e = cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	e.SetVar(federation.EnvEndpoint, "ftp://x")
	if err := e.Run(t, NewCmdConsole(e.F, nil), "--print", "dev"); err == nil || !strings.Contains(err.Error(), federation.EnvEndpoint) {
		t.Errorf("bad endpoint: %v", err)
	}
}
