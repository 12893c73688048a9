package factory_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/pflag"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/credcache"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmclient"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

// sdkVars are cleared for tests that load the base configuration with the real SDK, so
// that the developer's own AWS setup never leaks in.
var sdkVars = []string{
	"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CA_BUNDLE",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONFIG_FILE",
	"AWS_SHARED_CREDENTIALS_FILE",
}

// sdkEnv is a cmdtest.Env whose factory reads the real process environment and loads
// the base configuration with the real SDK (tvmclient.LoadBase), as vend does: the cache
// keys under test are predicted from exactly what the SDK reads.
type sdkEnv struct {
	*cmdtest.Env
	t *testing.T
}

func newSDKEnv(t *testing.T) *sdkEnv {
	t.Helper()
	e := cmdtest.New(t)
	for _, k := range sdkVars {
		t.Setenv(k, "")
	}
	for k, v := range e.Vars {
		t.Setenv(k, v)
	}
	t.Setenv("AWS_REGION", cmdtest.Region)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	e.F.Getenv = os.Getenv
	e.F.LoadAWSConfig = tvmclient.LoadBase
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	return &sdkEnv{Env: e, t: t}
}

func (e *sdkEnv) useEnvKeys(id string) {
	e.t.Setenv("AWS_ACCESS_KEY_ID", id)
	e.t.Setenv("AWS_SECRET_ACCESS_KEY", tvmtest.BaseSecretAccessKey)
	e.t.Setenv("AWS_SESSION_TOKEN", tvmtest.BaseSessionToken)
}

// writeCredentials writes the shared credentials file: each named profile gets the fake
// TVM's base secret and token with the given access key ID.
func (e *sdkEnv) writeCredentials(profiles ...[2]string) {
	var b strings.Builder
	for _, p := range profiles {
		b.WriteString("[" + p[0] + "]\naws_access_key_id = " + p[1] + "\naws_secret_access_key = " + tvmtest.BaseSecretAccessKey +
			"\naws_session_token = " + tvmtest.BaseSessionToken + "\n")
	}
	cmdtest.WriteFile(e.t, os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), b.String())
}

func (e *sdkEnv) calls() int { return e.TVM.CallCount(wire.PathCredentials) }

// vend runs Factory.Vend for profile deploy and returns whether it was served from the
// cache, failing the test on an error unless wantErr.
func (e *sdkEnv) vend(wantErr bool) (*factory.Vended, bool) {
	e.t.Helper()
	v, err := e.F.Vend(context.Background(), "deploy", factory.VendFlags{})
	if (err != nil) != wantErr {
		e.t.Fatalf("Vend: %v (want an error: %v)\nstderr: %s", err, wantErr, e.ErrOut)
	}
	if err != nil {
		return nil, false
	}
	return v, v.Cached
}

// hit asserts that a Vend made no TVM call and served the cache.
func (e *sdkEnv) hit(what string) {
	e.t.Helper()
	before := e.calls()
	if _, cached := e.vend(false); !cached || e.calls() != before {
		e.t.Errorf("%s: not served from the cache (%d TVM calls)", what, e.calls()-before)
	}
}

// miss asserts that a Vend asked the TVM. A base key the fake does not know makes the
// fake refuse the signature, which is still a call, and an error.
func (e *sdkEnv) miss(what string, badSignature bool) {
	e.t.Helper()
	before := e.calls()
	_, cached := e.vend(badSignature)
	if cached || e.calls() != before+1 {
		e.t.Errorf("%s: served from the cache (%d TVM calls), want a fetch", what, e.calls()-before)
	}
}

func TestVendReusesCachedCredentialsWithoutLoadingAWSConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(e *sdkEnv)
	}{
		{"environment keys", func(e *sdkEnv) { e.useEnvKeys(tvmtest.BaseAccessKeyID) }},
		{"default profile", func(e *sdkEnv) { e.writeCredentials([2]string{"default", tvmtest.BaseAccessKeyID}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSDKEnv(t)
			tc.setup(e)
			e.miss("first run", false)
			loads := 0
			e.F.LoadAWSConfig = func(ctx context.Context, profile string) (aws.Config, error) {
				loads++
				return tvmclient.LoadBase(ctx, profile)
			}
			for range 3 {
				e.hit("warm run")
			}
			if loads != 0 {
				t.Errorf("warm runs loaded the AWS configuration %d times", loads)
			}
			e.AssertNoSecrets(t)
		})
	}
}

// Regression guard for the cache key: another base identity must never get the
// credentials cached for the previous one.
func TestVendNeverServesAnotherIdentity(t *testing.T) {
	t.Run("environment key changes", func(t *testing.T) {
		e := newSDKEnv(t)
		e.TVM.ExpectBadSignatures()
		e.useEnvKeys(tvmtest.BaseAccessKeyID)
		e.miss("first run", false)
		e.useEnvKeys("AKIDSOMEONEELSE0001")
		e.miss("another environment key", true)
	})
	t.Run("environment keys appear over a profile", func(t *testing.T) {
		e := newSDKEnv(t)
		e.TVM.ExpectBadSignatures()
		e.writeCredentials([2]string{"default", tvmtest.BaseAccessKeyID})
		e.miss("first run", false)
		e.useEnvKeys("AKIDSOMEONEELSE0001")
		e.miss("environment keys", true)
	})
	t.Run("profile file edited", func(t *testing.T) {
		e := newSDKEnv(t)
		e.TVM.ExpectBadSignatures()
		e.writeCredentials([2]string{"default", tvmtest.BaseAccessKeyID})
		e.miss("first run", false)
		e.writeCredentials([2]string{"default", "AKIDSOMEONEELSE0001"})
		e.miss("another key in the file", true)
		e.writeCredentials([2]string{"default", tvmtest.BaseAccessKeyID})
		e.hit("the first identity's file again")
	})
	t.Run("profile file edited to the same key", func(t *testing.T) {
		// Whatever changes in the files, the prediction starts over.
		e := newSDKEnv(t)
		e.writeCredentials([2]string{"default", tvmtest.BaseAccessKeyID})
		e.miss("first run", false)
		e.writeCredentials([2]string{"default", tvmtest.BaseAccessKeyID}, [2]string{"unrelated", "AKIDUNRELATED"})
		e.miss("an edited file", false)
		e.hit("the edited file again")
	})
	t.Run("AWS_PROFILE changes", func(t *testing.T) {
		e := newSDKEnv(t)
		e.writeCredentials([2]string{"default", tvmtest.BaseAccessKeyID}, [2]string{"other", tvmtest.BaseAccessKeyID})
		e.miss("first run", false)
		t.Setenv("AWS_PROFILE", "other")
		e.miss("AWS_PROFILE=other", false)
		e.hit("AWS_PROFILE=other again")
	})
	t.Run("--base-profile changes", func(t *testing.T) {
		e := newSDKEnv(t)
		e.TVM.ExpectBadSignatures()
		e.writeCredentials([2]string{"default", tvmtest.BaseAccessKeyID}, [2]string{"other", "AKIDSOMEONEELSE0001"})
		e.miss("first run", false)
		e.F.Flags.BaseProfile = "other"
		e.miss("--base-profile other", true)
		e.F.Flags.BaseProfile = "default"
		e.miss("--base-profile default (explicit, unlike the default chain)", false)
	})
	t.Run("--base-profile beats environment keys", func(t *testing.T) {
		e := newSDKEnv(t)
		e.TVM.ExpectBadSignatures()
		e.useEnvKeys(tvmtest.BaseAccessKeyID)
		e.miss("first run", false)
		e.writeCredentials([2]string{"base", "AKIDSOMEONEELSE0001"})
		e.F.Flags.BaseProfile = "base"
		e.miss("--base-profile base", true)
	})
}

// A prediction the SDK does not confirm never makes a key: its credentials are cached
// under the loaded access key ID, which needs the full load on every run.
func TestVendUnconfirmedPredictionFallsBackToTheFullLoad(t *testing.T) {
	e := newSDKEnv(t)
	e.useEnvKeys(tvmtest.BaseAccessKeyID)
	loads := 0
	e.F.LoadAWSConfig = func(context.Context, string) (aws.Config, error) {
		loads++
		// Same key, but not from the environment as predicted.
		return aws.Config{Region: cmdtest.Region, Credentials: tvmtest.BaseProvider()}, nil
	}
	e.miss("first run", false)
	e.hit("second run")
	if loads != 2 {
		t.Errorf("loaded the AWS configuration %d times, want 2 (no warm path without a confirmed prediction)", loads)
	}
}

func TestVendWithoutPredictionCachesUnderTheLoadedKey(t *testing.T) {
	e := newSDKEnv(t)
	// A credential_process base is never predicted; the fake loader stands in for it.
	cmdtest.WriteFile(t, os.Getenv("AWS_CONFIG_FILE"), "[default]\ncredential_process = /bin/false\n")
	e.F.LoadAWSConfig = func(context.Context, string) (aws.Config, error) {
		return aws.Config{Region: cmdtest.Region, Credentials: tvmtest.BaseProvider()}, nil
	}
	e.miss("first run", false)
	e.hit("second run")
}

func TestVendNoCache(t *testing.T) {
	e := newSDKEnv(t)
	e.useEnvKeys(tvmtest.BaseAccessKeyID)
	e.miss("first run", false)
	for range 2 {
		before := e.calls()
		v, err := e.F.Vend(context.Background(), "deploy", factory.VendFlags{NoCache: true})
		if err != nil || v.Cached || e.calls() != before+1 {
			t.Fatalf("noCache: %v, cached %v, %d calls", err, v != nil && v.Cached, e.calls()-before)
		}
	}
	entries, _ := os.ReadDir(e.CacheDir)
	if len(entries) != 1 {
		t.Errorf("cache holds %d entries, want only the first run's", len(entries))
	}
}

func TestVendDenialIsReportedAndNotCached(t *testing.T) {
	e := newSDKEnv(t)
	e.useEnvKeys(tvmtest.BaseAccessKeyID)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Deny("r", "no"))
	for range 2 {
		e.miss("denied", true)
	}
	_, err := e.F.Vend(context.Background(), "deploy", factory.VendFlags{})
	if status.Code(err) != status.Denied {
		t.Errorf("got %v, want a denial", err)
	}
}

func TestVendDurationAndProfileAreInTheKey(t *testing.T) {
	e := newSDKEnv(t)
	e.useEnvKeys(tvmtest.BaseAccessKeyID)
	e.miss("first run", false)
	before := e.calls()
	for _, args := range []struct {
		profile string
		d       time.Duration
	}{{"other", 0}, {"deploy", 30 * time.Minute}} {
		if _, err := e.F.Vend(context.Background(), args.profile, factory.VendFlags{Duration: config.Duration(args.d)}); err != nil {
			t.Fatal(err)
		}
	}
	if e.calls() != before+2 {
		t.Errorf("another profile or duration was served from the cache")
	}
}

func TestVendRefusesAnswerWithoutExpiration(t *testing.T) {
	e := newSDKEnv(t)
	e.useEnvKeys(tvmtest.BaseAccessKeyID)
	e.TVM.Handle(wire.PathCredentials, func(w http.ResponseWriter, r *http.Request) {
		c := tvmtest.Credentials("deploy", time.Hour)
		c.Expiration = time.Time{}
		tvmtest.JSON(http.StatusOK, c)(w, r)
	})
	e.miss("no expiration", true)
	if entries, _ := os.ReadDir(e.CacheDir); len(entries) != 0 {
		t.Errorf("cached an answer without an expiration: %v", entries)
	}
}

// Started from the cache, the source connects when it is first asked, fetches, and
// stores what it gets for the next run.
func TestVendCachedSourceRefreshes(t *testing.T) {
	e := newSDKEnv(t)
	e.writeCredentials([2]string{"default", tvmtest.BaseAccessKeyID})
	e.miss("first run", false)
	v, cached := e.vend(false)
	if !cached {
		t.Fatal("second run not cached")
	}
	before := e.calls()
	fresh, err := v.Source.Retrieve(context.Background())
	if err != nil || e.calls() != before+1 {
		t.Fatalf("refresh: %v after %d calls", err, e.calls()-before)
	}
	next, cached := e.vend(false)
	if !cached || !next.Credentials.Expires.Equal(fresh.Expires) {
		t.Errorf("the next run got %v (cached %v), want the refreshed credentials expiring %v", next.Credentials.Expires, cached, fresh.Expires)
	}
}

func TestVendBrokenCacheStillWorks(t *testing.T) {
	e := newSDKEnv(t)
	e.useEnvKeys(tvmtest.BaseAccessKeyID)
	e.CacheDir = filepath.Join(e.Dir, "open")
	if err := os.MkdirAll(e.CacheDir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(e.CacheDir, 0o777); err != nil {
		t.Fatal(err)
	}
	e.miss("insecure cache", false)
	e.miss("insecure cache again", false)
	if !strings.Contains(e.ErrOut.String(), "not caching") {
		t.Errorf("no warning: %s", e.ErrOut)
	}
}

func TestVendBaseCredentialsErrorBeforeAnyCall(t *testing.T) {
	e := newSDKEnv(t)
	e.F.LoadAWSConfig = func(context.Context, string) (aws.Config, error) {
		return aws.Config{Region: cmdtest.Region, Credentials: failing{}}, nil
	}
	_, err := e.F.Vend(context.Background(), "deploy", factory.VendFlags{})
	var be *tvmclient.BaseCredentialsError
	if !errors.As(err, &be) || e.calls() != 0 {
		t.Errorf("got %v after %d calls, want a base credentials error and no call", err, e.calls())
	}
}

// A reason reaches the TVM, and credentials vended with one reason are reused only for
// the same reason: a new reason is a new request (and, on a break-glass profile, a new
// alert). Without a reason the key is what it always was.
func TestVendReasonKeysTheCache(t *testing.T) {
	e := newSDKEnv(t)
	e.useEnvKeys(tvmtest.BaseAccessKeyID)
	vend := func(reason string) bool {
		t.Helper()
		v, err := e.F.Vend(context.Background(), "deploy", factory.VendFlags{Reason: reason})
		if err != nil {
			t.Fatalf("Vend(%q): %v", reason, err)
		}
		return v.Cached
	}
	if vend("INC-1: rollback") {
		t.Fatal("first vend cached")
	}
	calls := e.TVM.Calls()
	if q, _ := url.ParseQuery(calls[len(calls)-1].Query); q.Get(wire.QueryReason) != "INC-1: rollback" {
		t.Errorf("query %v lacks the reason", q)
	}
	if !vend("INC-1: rollback") {
		t.Error("the same reason again: not served from the cache")
	}
	before := e.calls()
	if vend("INC-2: another incident") || e.calls() != before+1 {
		t.Error("a new reason was served from the cache")
	}
	if vend("") || e.calls() != before+2 {
		t.Error("no reason was served what a reason fetched")
	}
	calls = e.TVM.Calls()
	if q, _ := url.ParseQuery(calls[len(calls)-1].Query); q.Has(wire.QueryReason) {
		t.Errorf("query %v sends a reason nobody gave", q)
	}
}

func TestReasonFlagChecked(t *testing.T) {
	for _, bad := range []string{"", "  ", "two\nlines", "esc\x1b[2J", strings.Repeat("x", wire.MaxReasonBytes+1)} {
		var vf factory.VendFlags
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		vf.Register(fs, factory.OneSet)
		if err := fs.Parse([]string{"--reason", bad}); err == nil {
			t.Errorf("--reason %q accepted", bad)
		}
	}
}

func TestNearestProfile(t *testing.T) {
	names := []string{"deploy", "prod-admin", "readonly"}
	for in, want := range map[string]string{"deplyo": "deploy", "Deploy": "deploy", "prod-admni": "prod-admin", "xyz": "", "": ""} {
		if got := factory.Nearest(in, names); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestVendGrantIsNotCached: credentials an approved request's grant allowed are asked
// for every time, so that a revoked grant is felt at the next command.
func TestVendGrantIsNotCached(t *testing.T) {
	e := newSDKEnv(t)
	e.useEnvKeys(tvmtest.BaseAccessKeyID)
	creds := tvmtest.Credentials("deploy", time.Hour)
	creds.AccessRequestID = "req-abcdefghijklmnopqrstuvwxyz"
	e.TVM.Handle(wire.PathCredentials, tvmtest.JSON(200, creds))
	e.miss("first run", false)
	e.miss("second run", false)
	if entries, _ := os.ReadDir(e.CacheDir); len(entries) != 0 {
		t.Errorf("the cache holds %d entries for a grant's credentials", len(entries))
	}
}

// TestServeNotices: a refresh failure and its recovery are one line each on stderr,
// with the profile, the error's first line and when the cached credentials end.
func TestServeNotices(t *testing.T) {
	var b strings.Builder
	v := &factory.Vended{Profile: "deploy", Notices: &b}
	exp := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	v.Notice(credcache.Notice{Failed: true, Err: errors.New("call the TVM at tvm.example: connection refused\nmore"), CachedExpires: exp, Failures: 1})
	v.Notice(credcache.Notice{Recovered: true, Failures: 3})
	want := "vend: cannot refresh the credentials of deploy: call the TVM at tvm.example: connection refused; the current ones work until 2026-12-05T03:00:00Z; vend keeps trying\n" +
		"vend: refreshed the credentials of deploy again, after 3 failed attempts\n"
	if b.String() != want {
		t.Errorf("notices:\n%s\nwant:\n%s", b.String(), want)
	}
}
