//go:build unix

package exec

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

func TestNewCmdExecFlags(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantErr   string
		wantCode  int
		wantOpts  ExecOptions
		wantDurat time.Duration
	}{
		{
			name:     "profile and command",
			args:     []string{"deploy", "--", "aws", "s3", "ls", "--recursive"},
			wantOpts: ExecOptions{Profile: "deploy", Command: []string{"aws", "s3", "ls", "--recursive"}},
		},
		{
			name:      "flags before and after the profile",
			args:      []string{"--duration", "30m", "deploy", "--token-file", "--", "env"},
			wantOpts:  ExecOptions{Profile: "deploy", TokenFile: true, Command: []string{"env"}},
			wantDurat: 30 * time.Minute,
		},
		{
			name:     "no-cache",
			args:     []string{"--no-cache", "deploy", "--", "env"},
			wantOpts: ExecOptions{Profile: "deploy", VendFlags: factory.VendFlags{NoCache: true}, Command: []string{"env"}},
		},
		{
			name:     "child flags are not vend's",
			args:     []string{"deploy", "--", "sh", "--duration", "-c", "true"},
			wantOpts: ExecOptions{Profile: "deploy", Command: []string{"sh", "--duration", "-c", "true"}},
		},
		{name: "missing dash", args: []string{"deploy", "env"}, wantErr: "missing --", wantCode: status.Usage},
		{name: "no command is a shell", args: []string{"deploy"}, wantOpts: ExecOptions{Profile: "deploy", Command: []string{"/bin/sh"}}},
		{name: "missing command", args: []string{"deploy", "--"}, wantErr: "missing the command after --", wantCode: status.Usage},
		{name: "missing profile", args: []string{"--", "env"}, wantErr: "missing the profile", wantCode: status.Usage},
		{name: "two profiles", args: []string{"a", "b", "--", "env"}, wantErr: "one profile", wantCode: status.Usage},
		{name: "nothing", args: nil, wantErr: "missing --", wantCode: status.Usage},
		{name: "duration out of range", args: []string{"--duration", "2h", "deploy", "--", "env"}, wantErr: "out of range", wantCode: status.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			var got *ExecOptions
			cmd := NewCmdExec(e.F, func(o *ExecOptions) error { got = o; return nil })
			err := e.Run(t, cmd, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
				}
				if status.Code(err) != tt.wantCode {
					t.Errorf("exit status %d, want %d", status.Code(err), tt.wantCode)
				}
				if tt.wantCode == status.Usage && !strings.Contains(err.Error(), "Example") && !strings.Contains(err.Error(), "range") {
					t.Errorf("usage error without an example: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Profile != tt.wantOpts.Profile || got.TokenFile != tt.wantOpts.TokenFile || got.NoCache != tt.wantOpts.NoCache ||
				!slices.Equal(got.Command, tt.wantOpts.Command) || time.Duration(got.Duration) != tt.wantDurat {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// runExec runs exec with the test binary as the child in the given helper mode.
func runExec(t *testing.T, e *cmdtest.Env, mode string, flags []string, childArgs ...string) error {
	t.Helper()
	e.SetVar(helperVar, mode)
	cmd := NewCmdExec(e.F, nil)
	args := append(append(flags, "dev", "--", os.Args[0]), childArgs...)
	return e.Run(t, cmd, args...)
}

func childEnvFrom(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			m[k] = v
		}
	}
	return m
}

func TestExecChildEnvironment(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	parent := map[string]string{
		"AWS_ACCESS_KEY_ID":                      "AKIDPARENT",
		"AWS_SECRET_ACCESS_KEY":                  "parent-secret",
		"AWS_SESSION_TOKEN":                      "parent-token",
		"AWS_SECURITY_TOKEN":                     "parent-token",
		"AWS_ACCESS_KEY":                         "AKIDLEGACY",
		"AWS_SECRET_KEY":                         "legacy-secret",
		"AMAZON_ACCESS_KEY_ID":                   "AKIDAMAZON",
		"AMAZON_SECRET_ACCESS_KEY":               "amazon-secret",
		"AMAZON_SESSION_TOKEN":                   "amazon-token",
		"AWS_CREDENTIAL_FILE":                    "/etc/ec2-creds",
		"AWS_CREDENTIAL_PROFILES_FILE":           "/home/u/.aws/credentials",
		"AWS_CREDENTIAL_EXPIRATION":              "2030-01-01T00:00:00Z",
		"AWS_PROFILE":                            "admin",
		"AWS_DEFAULT_PROFILE":                    "admin",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "http://169.254.170.23/v1/credentials",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/var/run/token",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "/var/run/wi",
		"AWS_ROLE_ARN":                           "arn:aws:iam::1:role/x",
		"AWS_ROLE_SESSION_NAME":                  "x",
		"VEND_PROFILE":                           "outer",
		"AWS_REGION":                             "eu-central-1",
		"AWS_DEFAULT_REGION":                     "eu-central-1",
		"AWS_ENDPOINT_URL":                       "http://127.0.0.1:5000",
		"AWS_ENDPOINT_URL_S3":                    "http://127.0.0.1:5001",
		"AWS_CA_BUNDLE":                          "/etc/ssl/ca.pem",
		"UNRELATED":                              "kept",
	}
	for k, v := range parent {
		e.SetVar(k, v)
	}
	if err := runExec(t, e, "env", nil); err != nil {
		t.Fatalf("exec: %v\nstderr: %s", err, e.ErrOut)
	}
	env := childEnvFrom(t, e.Out.String())
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
		"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
		"AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AMAZON_ACCESS_KEY_ID", "AMAZON_SECRET_ACCESS_KEY", "AMAZON_SESSION_TOKEN", "AWS_CREDENTIAL_FILE"} {
		if v, ok := env[k]; ok {
			t.Errorf("child has %s=%s", k, v)
		}
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CA_BUNDLE", "UNRELATED"} {
		if env[k] != parent[k] {
			t.Errorf("child %s = %q, want %q", k, env[k], parent[k])
		}
	}
	if !strings.HasPrefix(env[EnvFullURI], "http://127.0.0.1:") {
		t.Errorf("%s = %q", EnvFullURI, env[EnvFullURI])
	}
	if env[EnvToken] == "" {
		t.Errorf("no %s", EnvToken)
	}
	if env[EnvProfile] != "dev" {
		t.Errorf("%s = %q", EnvProfile, env[EnvProfile])
	}
	if strings.Contains(e.ErrOut.String(), env[EnvToken]) {
		t.Error("stderr has the authorization token")
	}
	e.AssertNoSecrets(t)
}

func TestExecChildFetchesCredentials(t *testing.T) {
	for _, tokenFile := range []bool{false, true} {
		t.Run("token file "+map[bool]string{false: "off", true: "on"}[tokenFile], func(t *testing.T) {
			e := cmdtest.New(t)
			e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
			e.F.Flags.Debug = true
			var flags []string
			if tokenFile {
				flags = []string{"--token-file"}
			}
			if err := runExec(t, e, "fetch", flags); err != nil {
				t.Fatalf("exec: %v\nstderr: %s", err, e.ErrOut)
			}
			if !strings.Contains(e.Out.String(), "AccessKeyId="+tvmtest.VendedAccessKeyID) {
				t.Errorf("child output: %s", e.Out)
			}
			// One TVM call: the up-front fetch primes the cache the endpoint answers from.
			if n := e.TVM.CallCount(wire.PathCredentials); n != 1 {
				t.Errorf("TVM calls = %d, want 1", n)
			}
			e.AssertNoSecrets(t)
		})
	}
}

// Regression: every exec called the TVM, so a script running vend exec per command paid
// a round trip (and a decision line) each time.
func TestExecReusesCachedCredentials(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	for i := range 3 {
		e.Out.Reset()
		if err := runExec(t, e, "fetch", nil); err != nil {
			t.Fatalf("exec %d: %v\nstderr: %s", i+1, err, e.ErrOut)
		}
		if !strings.Contains(e.Out.String(), "AccessKeyId="+tvmtest.VendedAccessKeyID) {
			t.Errorf("exec %d: child output: %s", i+1, e.Out)
		}
	}
	if n := e.TVM.CallCount(wire.PathCredentials); n != 1 {
		t.Errorf("3 execs made %d TVM calls, want 1", n)
	}
	if err := runExec(t, e, "fetch", []string{"--no-cache"}); err != nil {
		t.Fatal(err)
	}
	if n := e.TVM.CallCount(wire.PathCredentials); n != 2 {
		t.Errorf("--no-cache: %d TVM calls in all, want 2", n)
	}
	e.AssertNoSecrets(t)
}

// A cache hit is no denial: exec reports one as soon as it asks the TVM again.
func TestExecDenialAfterCachedAllowNeedsAFetch(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	if err := runExec(t, e, "exit", nil, "0"); err != nil {
		t.Fatal(err)
	}
	e.TVM.Handle(wire.PathCredentials, tvmtest.Deny("revoked", "no longer"))
	if err := runExec(t, e, "exit", nil, "0"); err != nil {
		t.Fatalf("cached run: %v", err)
	}
	marker := filepath.Join(e.Dir, "started")
	if err := runExec(t, e, "marker", []string{"--no-cache"}, marker); status.Code(err) != status.Denied {
		t.Fatalf("--no-cache after a policy change: %v, want the denial", err)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Error("the child was started despite the denial")
	}
}

func TestExecTokenFileEnvironment(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	e.SetVar(EnvToken, "stale")
	if err := runExec(t, e, "env", []string{"--token-file"}); err != nil {
		t.Fatal(err)
	}
	env := childEnvFrom(t, e.Out.String())
	if _, ok := env[EnvToken]; ok {
		t.Errorf("child has %s with --token-file", EnvToken)
	}
	path := env[EnvTokenFile]
	if path == "" {
		t.Fatalf("no %s", EnvTokenFile)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("token file %s left behind: %v", path, err)
	}
}

func TestExecExitStatus(t *testing.T) {
	tests := []struct {
		name string
		mode string
		args []string
		want int
	}{
		{"success", "exit", []string{"0"}, 0},
		{"failure", "exit", []string{"7"}, 7},
		{"killed by SIGTERM", "kill-self", nil, 128 + int(syscall.SIGTERM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
			err := runExec(t, e, tt.mode, nil, tt.args...)
			if got := status.Code(err); got != tt.want {
				t.Errorf("exit status %d (%v), want %d", got, err, tt.want)
			}
		})
	}
}

func TestExecDenialStartsNoChild(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Deny("weekend-freeze", "deployments are frozen"))
	marker := filepath.Join(e.Dir, "started")
	err := runExec(t, e, "marker", nil, marker)
	if status.Code(err) != status.Denied {
		t.Fatalf("exit status %d (%v), want %d", status.Code(err), err, status.Denied)
	}
	var we *wire.Error
	if !errors.As(err, &we) || we.Rule != "weekend-freeze" || we.Reason != "deployments are frozen" {
		t.Errorf("error = %v", err)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Error("the child was started despite the denial")
	}
}

func TestExecCommandNotFound(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	err := e.Run(t, NewCmdExec(e.F, nil), "dev", "--", filepath.Join(e.Dir, "no-such-command"))
	if err == nil || status.Code(err) != 127 || !strings.Contains(err.Error(), "no-such-command") {
		t.Fatalf("got %v (exit %d), want exit 127 naming the command, as a shell does", err, status.Code(err))
	}
	for _, name := range []string{"no-such-command-on-path-anywhere"} {
		if err := e.Run(t, NewCmdExec(e.F, nil), "dev", "--", name); status.Code(err) != 127 {
			t.Errorf("%s from PATH: %v (exit %d), want 127", name, err, status.Code(err))
		}
	}
	notExec := filepath.Join(e.Dir, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(t, NewCmdExec(e.F, nil), "dev", "--", notExec); status.Code(err) != 126 {
		t.Errorf("a file that is not executable: %v (exit %d), want 126", err, status.Code(err))
	}
}

// Without a command, vend exec starts the user's shell (like aws-vault).
func TestExecWithoutCommandStartsTheShell(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	marker := filepath.Join(e.Dir, "shell-ran")
	sh := filepath.Join(e.Dir, "fake-shell")
	if err := os.WriteFile(sh, []byte("#!/bin/sh\necho \"$VEND_PROFILE\" > "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.SetVar("SHELL", sh)
	if err := e.Run(t, NewCmdExec(e.F, nil), "dev"); err != nil {
		t.Fatalf("exec without a command: %v\n%s", err, e.ErrOut)
	}
	if got, _ := os.ReadFile(marker); strings.TrimSpace(string(got)) != "dev" {
		t.Errorf("the shell saw VEND_PROFILE=%q, want dev", got)
	}
	if !strings.Contains(e.ErrOut.String(), "starting "+sh+" with dev's credentials") {
		t.Errorf("stderr: %s", e.ErrOut)
	}
}

func TestExecForwardsSignals(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	e.SetVar(helperVar, "trap")
	registered := make(chan chan<- os.Signal, 1)
	cmd := NewCmdExec(e.F, func(o *ExecOptions) error {
		o.Notify = func(c chan<- os.Signal, sig ...os.Signal) {
			if !slices.Contains(sig, os.Signal(syscall.SIGTERM)) || !slices.Contains(sig, os.Signal(syscall.SIGUSR2)) {
				t.Errorf("registered for %v", sig)
			}
			registered <- c
		}
		o.StopNotify = func(chan<- os.Signal) {}
		// Pretend Ctrl-C came from the terminal: the child already has it.
		o.KeyboardReachedChild = func(s os.Signal) bool { return s == syscall.SIGINT }
		return execRun(o)
	})
	done := make(chan error, 1)
	go func() { done <- e.Run(t, cmd, "dev", "--", os.Args[0]) }()

	var sigs chan<- os.Signal
	select {
	case sigs = <-registered:
	case err := <-done:
		t.Fatalf("exec ended early: %v", err)
	}
	if !cmdtest.WaitFor(10*time.Second, func() bool { return strings.Contains(e.Out.String(), "ready") }) {
		t.Fatalf("child never became ready; stderr: %s", e.ErrOut)
	}
	sigs <- syscall.SIGINT  // not forwarded (the child would exit 43)
	sigs <- syscall.SIGUSR1 // forwarded: the child prints usr1
	if !cmdtest.WaitFor(10*time.Second, func() bool { return strings.Contains(e.Out.String(), "usr1") }) {
		t.Fatal("SIGUSR1 was not forwarded")
	}
	sigs <- syscall.SIGTERM // forwarded: the child exits 42
	select {
	case err := <-done:
		if got := status.Code(err); got != 42 {
			t.Errorf("exit status %d (%v), want 42", got, err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("exec did not end")
	}
}

// poisonDefaultProfile gives e's AWS files another identity in every default-profile
// form that SDKs read before the container endpoint, beside settings that must survive.
func poisonDefaultProfile(t *testing.T, e *cmdtest.Env) {
	t.Helper()
	cmdtest.WriteFile(t, e.Vars["AWS_SHARED_CREDENTIALS_FILE"], "[default]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = static-secret\n[named]\naws_access_key_id = AKIDNAMED\naws_secret_access_key = named-secret\n")
	cmdtest.WriteFile(t, e.Vars["AWS_CONFIG_FILE"], "[default]\nregion = eu-west-3\nretry_mode = adaptive\nca_bundle = /etc/ssl/corp.pem\nrole_arn = arn:aws:iam::111111111111:role/x\nsource_profile = named\ncredential_process = /bin/creds\n[profile named]\nregion = us-east-2\n")
}

func TestExecIsolatesDefaultProfile(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	poisonDefaultProfile(t, e)
	e.SetVar("AWS_CREDENTIAL_PROFILES_FILE", e.Vars["AWS_SHARED_CREDENTIALS_FILE"])
	if err := runExec(t, e, "files", nil); err != nil {
		t.Fatalf("exec: %v\nstderr: %s", err, e.ErrOut)
	}
	out := e.Out.String()
	for _, gone := range []string{"AKIDSTATIC", "static-secret", "role_arn", "source_profile", "credential_process"} {
		if strings.Contains(out, gone) {
			t.Errorf("the child's files still hold %s:\n%s", gone, out)
		}
	}
	for _, kept := range []string{"region = eu-west-3", "retry_mode = adaptive", "ca_bundle = /etc/ssl/corp.pem", "[profile named]", "region = us-east-2", "[named]", "AKIDNAMED"} {
		if !strings.Contains(out, kept) {
			t.Errorf("the child's files lost %q:\n%s", kept, out)
		}
	}
	paths := regexp.MustCompile(`== (AWS_[A-Z_]+) (\S+)`).FindAllStringSubmatch(out, -1)
	if len(paths) != 3 {
		t.Fatalf("child read %d files, want config, credentials and the Java credentials file:\n%s", len(paths), out)
	}
	for _, p := range paths {
		if p[2] == e.Vars["AWS_CONFIG_FILE"] || p[2] == e.Vars["AWS_SHARED_CREDENTIALS_FILE"] {
			t.Errorf("%s points at the original %s", p[1], p[2])
		}
		if _, err := os.Stat(p[2]); !os.IsNotExist(err) {
			t.Errorf("the copy %s outlived exec (%v)", p[2], err)
		}
	}
	if strings.Contains(e.ErrOut.String(), "warning") {
		t.Errorf("isolated exec warned:\n%s", e.ErrOut)
	}
	e.AssertNoSecrets(t)
}

func TestExecKeepAWSFilesWarns(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	poisonDefaultProfile(t, e)
	if err := runExec(t, e, "files", []string{"--keep-aws-files"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Out.String(), "AKIDSTATIC") {
		t.Errorf("--keep-aws-files changed the files:\n%s", e.Out)
	}
	stderr := e.ErrOut.String()
	for _, want := range []string{"warning", "static keys", "a role_arn", "a credential_process", e.Vars["AWS_SHARED_CREDENTIALS_FILE"] + ":2"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "AKIDSTATIC") {
		t.Error("warning repeats the key")
	}
}

func TestExecRefusesWhatItCannotIsolate(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, e *cmdtest.Env)
		want    string
	}{
		{
			name: "unreadable credentials file",
			prepare: func(t *testing.T, e *cmdtest.Env) {
				if err := os.Mkdir(e.Vars["AWS_SHARED_CREDENTIALS_FILE"], 0o700); err != nil {
					t.Fatal(err)
				}
			},
			want: "aws-credentials",
		},
		{
			name:    "Java system properties",
			prepare: func(t *testing.T, e *cmdtest.Env) { e.SetVar("JAVA_TOOL_OPTIONS", "-Xmx1g -Daws.accessKeyId=AKIDJAVA") },
			want:    "JAVA_TOOL_OPTIONS sets aws.accessKeyId",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
			tt.prepare(t, e)
			marker := filepath.Join(e.Dir, "child-ran")
			err := runExec(t, e, "marker", nil, marker)
			if status.Code(err) != status.Unisolated {
				t.Fatalf("exit status %d (%v), want %d", status.Code(err), err, status.Unisolated)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "--keep-aws-files") {
				t.Errorf("error %q lacks %q or the opt-out", err, tt.want)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Error("the child ran")
			}
			if strings.Contains(err.Error(), "AKIDJAVA") {
				t.Error("the error repeats a key")
			}
		})
	}
}

// A signal while the credentials are fetched stops vend as the signal would have, but
// without leaving the AWS file copies behind, and the command never starts.
func TestExecSignalBeforeTheCommandStarts(t *testing.T) {
	e := cmdtest.New(t)
	cmdtest.WriteFile(t, e.Vars["AWS_SHARED_CREDENTIALS_FILE"], "[default]\naws_access_key_id = AKIDSHADOW\naws_secret_access_key = x\n")
	runtime := filepath.Join(e.Dir, "run")
	if err := os.Mkdir(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	e.SetVar("XDG_RUNTIME_DIR", runtime)
	fetching := make(chan struct{})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	e.TVM.Handle(wire.PathCredentials, func(w http.ResponseWriter, r *http.Request) {
		close(fetching)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	registered := make(chan chan<- os.Signal, 1)
	marker := filepath.Join(e.Dir, "started")
	e.SetVar(helperVar, "marker")
	cmd := NewCmdExec(e.F, func(o *ExecOptions) error {
		o.Notify = func(c chan<- os.Signal, _ ...os.Signal) { registered <- c }
		o.StopNotify = func(chan<- os.Signal) {}
		return execRun(o)
	})
	done := make(chan error, 1)
	go func() { done <- e.Run(t, cmd, "dev", "--", os.Args[0], marker) }()
	sigs := <-registered
	select {
	case <-fetching:
	case err := <-done:
		t.Fatalf("exec ended before fetching: %v", err)
	}
	sigs <- syscall.SIGTERM
	select {
	case err := <-done:
		if got := status.Code(err); got != 128+int(syscall.SIGTERM) {
			t.Errorf("exit status %d (%v), want %d", got, err, 128+int(syscall.SIGTERM))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the signal did not stop exec")
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Error("the command started after the signal")
	}
	if left, _ := os.ReadDir(runtime); len(left) != 0 {
		t.Errorf("left behind in the runtime directory: %v", left)
	}
}

func TestExecContextCancelBeforeFetch(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := e.RunContext(ctx, NewCmdExec(e.F, nil), "dev", "--", os.Args[0])
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestChildEnv(t *testing.T) {
	parent := []string{"A=1", "AWS_PROFILE=x", "AWS_CONTAINER_CREDENTIALS_FULL_URI=old", "NOEQUALS", "B=2=3"}
	got := ChildEnv(parent, [][2]string{{EnvFullURI, "new"}})
	want := []string{"A=1", "NOEQUALS", "B=2=3", EnvFullURI + "=new"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
