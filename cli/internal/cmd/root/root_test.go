package root

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

func run(t *testing.T, e *cmdtest.Env, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return Run(ctx, e.F, args)
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(e *cmdtest.Env)
		args       []string
		want       int
		wantStderr []string
	}{
		{name: "help", args: []string{"--help"}, want: status.OK},
		{name: "unknown command", args: []string{"bogus"}, want: status.Usage, wantStderr: []string{`unknown command "bogus"`, "Run 'vend --help' for usage."}},
		{name: "unknown flag", args: []string{"whoami", "--bogus"}, want: status.Usage, wantStderr: []string{"unknown flag: --bogus", "Run 'vend whoami --help'"}},
		{name: "bad duration flag", args: []string{"export", "--duration", "3h", "p"}, want: status.Usage, wantStderr: []string{"out of range"}},
		{name: "missing --", args: []string{"exec", "dev", "env"}, want: status.Usage, wantStderr: []string{"missing --", "vend exec PROFILE -- aws sts get-caller-identity"}},
		{
			name: "denied",
			setup: func(e *cmdtest.Env) {
				e.TVM.Handle(wire.PathCredentials, tvmtest.Deny("weekend-freeze", "frozen over the weekend"))
			},
			args: []string{"exec", "prod", "--", "env"}, want: status.Denied,
			wantStderr: []string{"get credentials for profile prod: access denied by policy", "rule:       weekend-freeze", "reason:     frozen over the weekend", "request ID: req-denied"},
		},
		{
			name: "break-glass without a reason",
			setup: func(e *cmdtest.Env) {
				e.TVM.Handle(wire.PathCredentials, tvmtest.JSON(403, wire.Error{Code: wire.CodeReasonRequired, Rule: "oncall", RequestID: "req-bg",
					Message: "this profile is break-glass: give a reason (vend --reason TEXT) and the TVM vends, and alerts"}))
			},
			args: []string{"export", "prod-admin"}, want: status.Denied,
			wantStderr: []string{"get credentials for profile prod-admin: this profile is break-glass", "rule:       oncall (break-glass)",
				"fix:        say why, and vend vends and alerts: vend export --reason 'INC-1234: payments are down' ...", "request ID: req-bg"},
		},
		{
			name: "a rule that requires a scope",
			setup: func(e *cmdtest.Env) {
				e.TVM.Handle(wire.PathCredentials, tvmtest.JSON(403, wire.Error{Code: wire.CodeScopeRequired, Rule: "agents", RequestID: "req-sc",
					Message: "the rule allows you this profile only with a scope of your own"}))
			},
			args: []string{"exec", "data", "--", "env"}, want: status.Denied,
			wantStderr: []string{"only with a scope of your own", "rule:       agents (requires a scope)",
				"fix:        narrow the session to what the task needs: vend exec --scope task-policy.json ...", "vend policy scope-check --help", "request ID: req-sc"},
		},
		{name: "bad scope file", args: []string{"exec", "--scope", "/nonexistent/scope.json", "prod", "--", "env"}, want: status.Usage, wantStderr: []string{"/nonexistent/scope.json"}},
		{name: "bad reason", args: []string{"exec", "--reason", "a\nb", "prod", "--", "env"}, want: status.Usage, wantStderr: []string{"control or format character U+000A"}},
		{
			name: "unknown profile is an error, not a denial",
			setup: func(e *cmdtest.Env) {
				e.TVM.Handle(wire.PathCredentials, tvmtest.JSON(404, wire.Error{Code: wire.CodeUnknownProfile, Message: "no profile nope"}))
				e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, wire.Profiles{Profiles: []wire.ProfileStatus{{Name: "deploy"}}}))
			},
			args: []string{"export", "nope"}, want: status.Error,
			wantStderr: []string{"unknown_profile: no profile nope", "run vend profiles", "request ID: req-credentials"},
		},
		{
			name: "unknown profile, did you mean",
			setup: func(e *cmdtest.Env) {
				e.TVM.Handle(wire.PathCredentials, tvmtest.JSON(404, wire.Error{Code: wire.CodeUnknownProfile, Message: "the policy defines no such profile"}))
				e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, wire.Profiles{Profiles: []wire.ProfileStatus{{Name: "deploy"}, {Name: "prod-admin"}}}))
			},
			args: []string{"export", "deplyo"}, want: status.Error,
			wantStderr: []string{"did you mean deploy? run vend profiles"},
		},
		{
			name: "AWS front end refuses",
			setup: func(e *cmdtest.Env) {
				e.TVM.Handle(wire.PathWhoami, tvmtest.JSON(403, map[string]string{"Message": "Forbidden"}))
			},
			args: []string{"whoami"}, want: status.Error,
			wantStderr: []string{"HTTP 403: Forbidden", "base credentials"},
		},
		{
			name: "https required", args: []string{"whoami", "--remote-server", "http://vend.example.com"}, want: status.Error,
			wantStderr: []string{"must use https"},
		},
		{
			name:  "no server anywhere",
			setup: func(e *cmdtest.Env) { e.SetVar(config.EnvRemoteServer, "") },
			args:  []string{"profiles"}, want: status.Error,
			wantStderr: []string{"no vend server configured", "--remote-server", "VEND_REMOTE_SERVER", "remote_server:"},
		},
		{
			name: "inside vend exec",
			setup: func(e *cmdtest.Env) {
				e.SetVar("VEND_PROFILE", "deploy")
				e.SetVar("AWS_ACCESS_KEY_ID", "")
			},
			args: []string{"whoami"}, want: status.Error,
			wantStderr: []string{"vend is running inside vend exec deploy", "--base-profile"},
		},
		{name: "completion needs a known shell", args: []string{"completion", "tcsh"}, want: status.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			if got := run(t, e, tt.args...); got != tt.want {
				t.Errorf("exit %d, want %d\nstderr: %s", got, tt.want, e.ErrOut)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(e.ErrOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, e.ErrOut)
				}
			}
			e.AssertNoSecrets(t)
		})
	}
}

func TestExecDenialStartsNothingThroughRoot(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Deny("r", "no"))
	if got := run(t, e, "exec", "prod", "--", "sh", "-c", "echo started"); got != status.Denied {
		t.Fatalf("exit %d", got)
	}
	if e.Out.String() != "" {
		t.Errorf("child ran: %s", e.Out)
	}
}

func TestExecExitStatusThroughRoot(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI must have /bin/sh")
		}
		t.Skip("no /bin/sh on this system")
	}
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	if got := run(t, e, "exec", "dev", "--", "/bin/sh", "-c", "exit 5"); got != 5 {
		t.Errorf("exit %d, want 5\nstderr: %s", got, e.ErrOut)
	}
	if e.ErrOut.String() != "" {
		t.Errorf("vend printed something for the child's status: %s", e.ErrOut)
	}
}

func TestConfigPrecedence(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathWhoami, tvmtest.JSON(200, wire.Whoami{}))
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	e.SetVar(config.EnvRemoteServer, "")
	cmdtest.WriteFile(t, e.Vars[config.EnvConfig], "remote_server: https://unused.example.com\nbase_profile: top\n"+
		"profiles:\n  dev:\n    remote_server: "+e.TVM.URL+"\n    base_profile: dev-base\n    duration: 20m\n")

	// The profile section's server and base profile apply to that profile.
	if got := run(t, e, "export", "dev"); got != 0 {
		t.Fatalf("exit %d: %s", got, e.ErrOut)
	}
	if q := e.TVM.Calls()[0].Query; !strings.Contains(q, "duration=1200") {
		t.Errorf("duration from config not sent: %s", q)
	}
	// The environment wins over the file; the flag wins over both.
	e.SetVar(config.EnvRemoteServer, e.TVM.URL)
	if got := run(t, e, "whoami"); got != 0 {
		t.Fatalf("exit %d: %s", got, e.ErrOut)
	}
	e.SetVar(config.EnvRemoteServer, "https://wrong.example.com")
	if got := run(t, e, "--remote-server", e.TVM.URL, "--base-profile", "flag-base", "whoami"); got != 0 {
		t.Fatalf("exit %d: %s", got, e.ErrOut)
	}
	want := []string{"dev-base", "top", "flag-base"}
	if got := e.BaseProfiles(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("base profiles = %v, want %v", got, want)
	}
}

func TestStrictConfigErrorThroughRoot(t *testing.T) {
	e := cmdtest.New(t)
	cmdtest.WriteFile(t, e.Vars[config.EnvConfig], "remote_server: x\nremote_sever: y\n")
	if got := run(t, e, "whoami"); got != status.Error {
		t.Fatalf("exit %d", got)
	}
	if !strings.Contains(e.ErrOut.String(), e.Vars[config.EnvConfig]+":2: unknown field remote_sever") {
		t.Errorf("stderr: %s", e.ErrOut)
	}
}

func TestSigningFlags(t *testing.T) {
	e := cmdtest.New(t)
	// A fake that expects execute-api in us-west-2, reached through the overrides.
	srv := tvmtest.New(t, "execute-api", "us-west-2")
	srv.Handle(wire.PathWhoami, tvmtest.JSON(200, wire.Whoami{}))
	if got := run(t, e, "--remote-server", srv.URL, "--signing-service", "execute-api", "--signing-region", "us-west-2", "whoami"); got != 0 {
		t.Fatalf("exit %d: %s", got, e.ErrOut)
	}
	c := srv.Calls()[0]
	if c.SignedService != "execute-api" || c.SignedRegion != "us-west-2" {
		t.Errorf("signed for %s/%s", c.SignedService, c.SignedRegion)
	}
}

func TestDebugWritesJSONLogsWithoutSecrets(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	if got := run(t, e, "--debug", "credential-process", "dev"); got != 0 {
		t.Fatalf("exit %d: %s", got, e.ErrOut)
	}
	lines := strings.Split(strings.TrimSpace(e.ErrOut.String()), "\n")
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("not a JSON log line: %q", l)
		}
	}
	if !strings.Contains(e.ErrOut.String(), `"request_id":"req-credentials"`) {
		t.Errorf("no request ID in debug log:\n%s", e.ErrOut)
	}
	e.AssertNoSecrets(t)
}

func TestVersion(t *testing.T) {
	e := cmdtest.New(t)
	if got := run(t, e, "version", "--json"); got != 0 {
		t.Fatal(got)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(e.Out.String()), &v); err != nil || v["version"] == "" || !strings.HasPrefix(v["go_version"], "go") {
		t.Errorf("got %v %v", v, err)
	}
	e.Out.Reset()
	if got := run(t, e, "version"); got != 0 || !strings.HasPrefix(e.Out.String(), "vend ") {
		t.Errorf("got %d %q", got, e.Out)
	}
}

func TestCompletion(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "__start_vend", "zsh": "#compdef vend", "fish": "complete -c vend", "powershell": "Register-ArgumentCompleter"} {
		t.Run(shell, func(t *testing.T) {
			e := cmdtest.New(t)
			if got := run(t, e, "completion", shell); got != 0 {
				t.Fatalf("exit %d: %s", got, e.ErrOut)
			}
			if !strings.Contains(e.Out.String(), marker) {
				t.Errorf("output lacks %q", marker)
			}
		})
	}
}

func TestEveryCommandHasHelpWithExample(t *testing.T) {
	e := cmdtest.New(t)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		if c.Example == "" {
			t.Errorf("%s has no Example", c.CommandPath())
		}
		if c.Short == "" {
			t.Errorf("%s has no Short", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewCmdRoot(e.F))
}

func TestPrintErrorSilent(t *testing.T) {
	var b strings.Builder
	PrintError(&b, nil, &status.ExitError{Code: 4})
	PrintError(&b, nil, status.ErrSilent)
	if b.String() != "" {
		t.Errorf("printed %q", b.String())
	}
	PrintError(&b, nil, &status.ExitError{Code: 1, Err: errors.New("boom")})
	if b.String() != "vend: boom\n" {
		t.Errorf("printed %q", b.String())
	}
}

// A TVM (or something posing as one) must not drive the terminal through what vend
// prints: a denial's rule and reason, an error's message, a profile's description.
func TestTVMTextCannotControlTheTerminal(t *testing.T) {
	hostile := "\x1b]0;pwned\a\x1b[2J\rok\u202egnp.exe\u009b31m"
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Deny("rule\x1b[8m", hostile))
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(http.StatusOK, wire.Profiles{PolicyHash: "sha256:x", Profiles: []wire.ProfileStatus{
		{Name: "dev\x1b[1A", Description: hostile, Allowed: false, Rule: "r", Reason: hostile},
	}}))
	if got := run(t, e, "exec", "prod", "--", "true"); got != status.Denied {
		t.Fatalf("exit %d", got)
	}
	run(t, e, "profiles")
	run(t, e, "profiles", "--json")
	out := e.Out.String() + e.ErrOut.String()
	for _, r := range out {
		if r == 0x1b || r == '\r' || r == '\a' || r == 0x202e || r == 0x9b {
			t.Fatalf("vend printed %U from the TVM:\n%q", r, out)
		}
	}
	if !strings.Contains(e.ErrOut.String(), `\u001b]0;pwned`) {
		t.Errorf("the reason is not shown, escaped:\n%s", e.ErrOut)
	}
}

// TestProfileCompletion: Tab after a profile verb offers the TVM's profiles, those
// allowed now first, from a list cached so that the next Tab asks the TVM nothing; after
// the profile, exec completes files again (the command).
func TestProfileCompletion(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, wire.Profiles{Profiles: []wire.ProfileStatus{
		{Name: "prod-admin", Allowed: false}, {Name: "readonly", Allowed: true, Description: "read only"},
	}}))
	for i := range 2 {
		e.Out.Reset()
		if got := run(t, e, "__complete", "exec", ""); got != 0 {
			t.Fatalf("exit %d: %s", got, e.ErrOut)
		}
		lines := strings.Split(strings.TrimSpace(e.Out.String()), "\n")
		if len(lines) != 3 || lines[0] != "readonly\tread only" || lines[1] != "prod-admin\tdenied now" || lines[2] != ":4" {
			t.Fatalf("completion %d:\n%s", i, e.Out)
		}
	}
	if n := e.TVM.CallCount(wire.PathProfiles); n != 1 {
		t.Errorf("two completions asked the TVM %d times, want 1", n)
	}
	e.Out.Reset()
	if got := run(t, e, "__complete", "exec", "readonly", ""); got != 0 || strings.Contains(e.Out.String(), "prod-admin") {
		t.Errorf("after the profile: exit %d\n%s", got, e.Out)
	}
	for _, verb := range []string{"serve", "credential-process", "export", "console", "request"} {
		e.Out.Reset()
		if got := run(t, e, "__complete", verb, ""); got != 0 || !strings.Contains(e.Out.String(), "readonly") {
			t.Errorf("%s: exit %d\n%s", verb, got, e.Out)
		}
	}
}
