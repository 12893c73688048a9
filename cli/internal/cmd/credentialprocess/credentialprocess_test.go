package credentialprocess

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

func TestNewCmdCredentialProcessFlags(t *testing.T) {
	e := cmdtest.New(t)
	var got *CredentialProcessOptions
	run := func(o *CredentialProcessOptions) error { got = o; return nil }
	if err := e.Run(t, NewCmdCredentialProcess(e.F, run), "--duration", "900", "--no-cache", "deploy"); err != nil {
		t.Fatal(err)
	}
	if got.Profile != "deploy" || got.Duration.Seconds() != 900 || !got.NoCache {
		t.Errorf("got %+v", got)
	}
	err := e.Run(t, NewCmdCredentialProcess(e.F, run))
	if status.Code(err) != status.Usage || !strings.Contains(err.Error(), "credential_process = vend credential-process PROFILE") {
		t.Errorf("got %v", err)
	}
}

func TestHelpShowsConfigSnippet(t *testing.T) {
	e := cmdtest.New(t)
	cmd := NewCmdCredentialProcess(e.F, nil)
	for _, want := range []string{"[profile deploy]", "credential_process = vend credential-process deploy"} {
		if !strings.Contains(cmd.Long, want) || !strings.Contains(cmd.Example, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func decode(t *testing.T, out string) Output {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	want := []string{"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
	if len(raw) != len(want) {
		t.Errorf("keys = %v, want %v", raw, want)
	}
	for _, k := range want {
		if _, ok := raw[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
	var o Output
	_ = json.Unmarshal([]byte(out), &o)
	return o
}

func TestCredentialProcessOutputAndCache(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))

	if err := e.Run(t, NewCmdCredentialProcess(e.F, nil), "deploy"); err != nil {
		t.Fatalf("%v\nstderr: %s", err, e.ErrOut)
	}
	first := e.Out.String()
	o := decode(t, first)
	if o.Version != 1 || o.AccessKeyID != tvmtest.VendedAccessKeyID || o.SecretAccessKey != tvmtest.VendedSecretAccessKey ||
		o.SessionToken != tvmtest.VendedSessionToken {
		t.Errorf("got %+v", o)
	}
	if exp, err := time.Parse(time.RFC3339, o.Expiration); err != nil || time.Until(exp) < 55*time.Minute {
		t.Errorf("expiration %q: %v", o.Expiration, err)
	}

	e.Out.Reset()
	if err := e.Run(t, NewCmdCredentialProcess(e.F, nil), "deploy"); err != nil {
		t.Fatal(err)
	}
	if e.Out.String() != first {
		t.Errorf("cached answer differs:\n%s\n%s", e.Out, first)
	}
	if n := e.TVM.CallCount(wire.PathCredentials); n != 1 {
		t.Errorf("TVM calls = %d, want 1 (second run from the disk cache)", n)
	}
	e.AssertNoSecrets(t)

	t.Run("cache files are private", func(t *testing.T) {
		entries, err := os.ReadDir(e.CacheDir)
		if err != nil || len(entries) == 0 {
			t.Fatalf("cache dir: %v %v", entries, err)
		}
		for _, ent := range entries {
			info, _ := ent.Info()
			if info.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s has mode %v", ent.Name(), info.Mode())
			}
		}
	})

	t.Run("another profile, duration or identity misses", func(t *testing.T) {
		for _, args := range [][]string{{"other"}, {"--duration", "30m", "deploy"}} {
			e.Out.Reset()
			before := e.TVM.CallCount(wire.PathCredentials)
			if err := e.Run(t, NewCmdCredentialProcess(e.F, nil), args...); err != nil {
				t.Fatal(err)
			}
			if e.TVM.CallCount(wire.PathCredentials) != before+1 {
				t.Errorf("%v served from the cache", args)
			}
		}
	})

	t.Run("another base identity misses", func(t *testing.T) {
		before := e.TVM.CallCount(wire.PathCredentials)
		e.TVM.ExpectBadSignatures() // the fake only knows the usual base key
		load := e.F.LoadAWSConfig
		t.Cleanup(func() { e.F.LoadAWSConfig = load })
		e.F.LoadAWSConfig = func(ctx context.Context, profile string) (aws.Config, error) {
			cfg, err := load(ctx, profile)
			cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDSOMEONEELSE", "x", "y")
			return cfg, err
		}
		_ = e.Run(t, NewCmdCredentialProcess(e.F, nil), "deploy")
		if e.TVM.CallCount(wire.PathCredentials) != before+1 {
			t.Error("served another identity's cached credentials")
		}
	})

	t.Run("no-cache always asks", func(t *testing.T) {
		before := e.TVM.CallCount(wire.PathCredentials)
		if err := e.Run(t, NewCmdCredentialProcess(e.F, nil), "--no-cache", "deploy"); err != nil {
			t.Fatal(err)
		}
		if e.TVM.CallCount(wire.PathCredentials) != before+1 {
			t.Error("--no-cache used the cache")
		}
	})
}

// Regression: a profile whose sessions last 15 minutes was never served from the cache
// (its margin was a fixed 16 minutes), so the AWS CLI called the TVM for every command.
func TestCredentialProcessCachesShortSessions(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(15*time.Minute))
	for range 3 {
		if err := e.Run(t, NewCmdCredentialProcess(e.F, nil), "deploy"); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.TVM.CallCount(wire.PathCredentials); n != 1 {
		t.Errorf("TVM calls = %d, want 1 (then the cache)", n)
	}
}

// Cached credentials with less than botocore's mandatory window (plus a minute) left are
// never handed out, whatever their lifetime.
func TestCredentialProcessNeverServesInsideTheMandatoryWindow(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(11*time.Minute))
	for range 2 {
		if err := e.Run(t, NewCmdCredentialProcess(e.F, nil), "deploy"); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.TVM.CallCount(wire.PathCredentials); n != 2 {
		t.Errorf("TVM calls = %d, want 2: 11 minutes left is inside the window", n)
	}
}

func TestCredentialProcessInsecureCacheStillWorks(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	e.CacheDir = filepath.Join(e.Dir, "open")
	if err := os.MkdirAll(e.CacheDir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(e.CacheDir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(t, NewCmdCredentialProcess(e.F, nil), "deploy"); err != nil {
		t.Fatal(err)
	}
	decode(t, e.Out.String())
	if !strings.Contains(e.ErrOut.String(), "not caching") {
		t.Errorf("no warning: %s", e.ErrOut)
	}
}

func TestCredentialProcessDenied(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Deny("r", "no"))
	err := e.Run(t, NewCmdCredentialProcess(e.F, nil), "deploy")
	if status.Code(err) != status.Denied || e.Out.String() != "" {
		t.Errorf("got %v, stdout %q", err, e.Out)
	}
}

// Regression: with AWS_PROFILE naming a profile whose credential_process is vend, the
// base credentials ran vend again, which ran vend again, without end.
func TestCredentialProcessRefusesToCallItself(t *testing.T) {
	e := cmdtest.New(t)
	calls := 0
	e.TVM.Handle(wire.PathCredentials, func(w http.ResponseWriter, r *http.Request) { calls++ })
	t.Setenv(EnvGuard, "1")
	err := e.Run(t, NewCmdCredentialProcess(e.F, nil), "deploy")
	if err == nil || !strings.Contains(err.Error(), "--base-profile") {
		t.Fatalf("got %v, want an error that says to pass --base-profile", err)
	}
	if calls != 0 || e.Out.String() != "" {
		t.Errorf("a nested run called the TVM %d times and printed %q", calls, e.Out)
	}
}

func TestCredentialProcessClearsItsGuard(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Deny("r", "no"))
	_ = e.Run(t, NewCmdCredentialProcess(e.F, nil), "deploy")
	if _, set := os.LookupEnv(EnvGuard); set {
		t.Errorf("%s is still set after the command returned", EnvGuard)
	}
}
