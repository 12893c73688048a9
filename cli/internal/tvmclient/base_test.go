package tvmclient

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// awsVars are the variables the SDK reads for credentials and files; baseWorld clears
// them so that the developer's own setup never leaks into a test.
var awsVars = []string{
	"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CA_BUNDLE",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
}

// baseWorld points the real SDK and PredictBase at private shared files.
type baseWorld struct {
	t                     *testing.T
	configPath, credsPath string
}

func newBaseWorld(t *testing.T) *baseWorld {
	t.Helper()
	dir := t.TempDir()
	for _, k := range awsVars {
		t.Setenv(k, "")
	}
	w := &baseWorld{t: t, configPath: filepath.Join(dir, "config"), credsPath: filepath.Join(dir, "credentials")}
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", w.configPath)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", w.credsPath)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return w
}

func (w *baseWorld) write(path, content string) {
	w.t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func keys(section, id string) string {
	return "[" + section + "]\naws_access_key_id = " + id + "\naws_secret_access_key = secret-" + id + "\n"
}

// TestPredictBaseAgreesWithTheSDK pins every prediction to the SDK's own full load: a
// hint is either refused or confirmed by the credentials LoadBase returns.
func TestPredictBaseAgreesWithTheSDK(t *testing.T) {
	tests := []struct {
		name        string
		config      string
		credentials string
		env         map[string]string
		profile     string // --base-profile
		wantID      string // "" when PredictBase must give up
	}{
		{name: "environment", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"}, wantID: "AKIDENV"},
		{name: "legacy environment names", env: map[string]string{"AWS_ACCESS_KEY": "AKIDLEGACY", "AWS_SECRET_KEY": "s"}, wantID: "AKIDLEGACY"},
		{
			name: "environment beats the default profile", credentials: keys("default", "AKIDFILE"),
			env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"}, wantID: "AKIDENV",
		},
		{
			name: "a key ID without a secret is not environment credentials", credentials: keys("default", "AKIDFILE"),
			env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV"}, wantID: "AKIDFILE",
		},
		{
			name: "an explicit base profile beats the environment", credentials: keys("base", "AKIDBASE"),
			env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"}, profile: "base", wantID: "AKIDBASE",
		},
		{name: "default profile in the credentials file", config: "[default]\nregion = eu-west-1\n", credentials: keys("default", "AKIDDEF"), wantID: "AKIDDEF"},
		{name: "default profile in the config file", config: keys("default", "AKIDCFG"), wantID: "AKIDCFG"},
		{name: "profile default in the config file", config: keys("profile default", "AKIDPD"), wantID: "AKIDPD"},
		{name: "named profile in the config file", config: keys("profile base", "AKIDNAMED"), profile: "base", wantID: "AKIDNAMED"},
		{name: "no spaces around =", credentials: "[default]\naws_access_key_id=AKIDTIGHT\naws_secret_access_key=s\n", wantID: "AKIDTIGHT"},
		{
			name: "AWS_PROFILE", credentials: keys("default", "AKIDDEF") + keys("other", "AKIDOTHER"),
			env: map[string]string{"AWS_PROFILE": "other"}, wantID: "AKIDOTHER",
		},
		{
			name: "AWS_DEFAULT_PROFILE", credentials: keys("default", "AKIDDEF") + keys("other", "AKIDOTHER"),
			env: map[string]string{"AWS_DEFAULT_PROFILE": "other"}, wantID: "AKIDOTHER",
		},
		{
			name: "AWS_PROFILE beats AWS_DEFAULT_PROFILE", credentials: keys("one", "AKIDONE") + keys("two", "AKIDTWO"),
			env: map[string]string{"AWS_PROFILE": "one", "AWS_DEFAULT_PROFILE": "two"}, wantID: "AKIDONE",
		},
		{
			name: "other profiles' SSO and processes do not matter",
			config: "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = r\n[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n" +
				"[profile proc]\ncredential_process = /bin/false\n",
			credentials: keys("default", "AKIDDEF"), wantID: "AKIDDEF",
		},
		{name: "credential_process", config: "[default]\ncredential_process = /bin/false\n"},
		{name: "credential_process next to keys", config: "[default]\ncredential_process = /bin/false\n", credentials: keys("default", "AKIDDEF")},
		{name: "role_arn with source_profile", config: "[profile r]\nrole_arn = arn:aws:iam::111122223333:role/x\nsource_profile = base\n", credentials: keys("base", "AKIDBASE"), profile: "r"},
		{name: "role_arn next to keys", config: "[default]\nrole_arn = arn:aws:iam::111122223333:role/x\n", credentials: keys("default", "AKIDDEF")},
		{name: "SSO", config: "[default]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = r\n[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n"},
		{name: "login session", config: "[default]\nlogin_session = arn:aws:iam::111122223333:user/x\n"},
		{name: "web identity in the profile", config: "[default]\nweb_identity_token_file = /tmp/t\nrole_arn = arn:aws:iam::111122223333:role/x\n"},
		{name: "web identity in the environment", credentials: keys("default", "AKIDDEF"), env: map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/tmp/t", "AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/x"}},
		{name: "keys in both files", config: keys("default", "AKIDCFG"), credentials: keys("default", "AKIDCREDS")},
		{name: "no credentials at all"},
		{name: "missing base profile", credentials: keys("default", "AKIDDEF"), profile: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newBaseWorld(t)
			if tt.config != "" {
				w.write(w.configPath, tt.config)
			}
			if tt.credentials != "" {
				w.write(w.credsPath, tt.credentials)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			hint, ok := PredictBase(os.Getenv, tt.profile)
			if tt.wantID == "" {
				if ok {
					t.Fatalf("predicted %s, want no prediction", hint.AccessKeyID)
				}
				return
			}
			if !ok || hint.AccessKeyID != tt.wantID {
				t.Fatalf("predicted %q (ok %v), want %s", hint.AccessKeyID, ok, tt.wantID)
			}
			_, creds := loadBase(t, tt.profile)
			if !hint.Confirms(creds) {
				t.Errorf("the SDK loaded %s from %q (expires: %v); the hint %s does not confirm", creds.AccessKeyID, creds.Source, creds.CanExpire, hint.AccessKeyID)
			}
			if strings.Contains(hint.Basis, "secret-") {
				t.Error("the basis holds a secret in the clear")
			}
		})
	}
}

// Every change to what decides the base identity changes the basis, so a cache key made
// from it misses.
func TestPredictBaseBasisChanges(t *testing.T) {
	w := newBaseWorld(t)
	w.write(w.credsPath, keys("default", "AKIDDEF")+keys("other", "AKIDOTHER"))
	predict := func(profile string) BaseHint {
		t.Helper()
		h, ok := PredictBase(os.Getenv, profile)
		if !ok {
			t.Fatal("no prediction")
		}
		return h
	}
	first := predict("")
	if again := predict(""); again != first {
		t.Fatal("the same inputs gave another hint")
	}
	seen := map[string]string{first.Basis: "start"}
	change := func(what string, h BaseHint) {
		t.Helper()
		if prev, dup := seen[h.Basis]; dup {
			t.Errorf("%s gave the same basis as %s", what, prev)
		}
		seen[h.Basis] = what
	}

	// Same key ID, other secret: the SDK's choice is the same but the file differs.
	w.write(w.credsPath, strings.Replace(keys("default", "AKIDDEF"), "secret-", "rotated-", 1)+keys("other", "AKIDOTHER"))
	change("a rewritten credentials file", predict(""))
	w.write(w.configPath, "[default]\nregion = eu-west-1\n")
	change("a new config file", predict(""))
	change("--base-profile default", predict("default"))
	change("--base-profile other", predict("other"))
	t.Setenv("AWS_PROFILE", "other")
	change("AWS_PROFILE", predict(""))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV1")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	change("environment keys", predict(""))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV2")
	change("other environment keys", predict(""))
}

func FuzzPredictBase(f *testing.F) {
	f.Add("[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n")
	f.Add("[profile default]\n  aws_access_key_id: AKID\n[default]\naws_access_key_id=\n")
	f.Add("[default]\naws_access_key_id = AKID\ncredential_process = x\n")
	f.Fuzz(func(t *testing.T, credentials string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "credentials")
		if err := os.WriteFile(path, []byte(credentials), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"AWS_SHARED_CREDENTIALS_FILE": path, "AWS_CONFIG_FILE": filepath.Join(dir, "none")}
		h, ok := PredictBase(func(k string) string { return env[k] }, "")
		if ok && (h.AccessKeyID == "" || !strings.Contains(credentials, h.AccessKeyID)) {
			t.Errorf("predicted %q, which is not in the file", h.AccessKeyID)
		}
	})
}

// When the SDK's chain found nothing, the error names where vend looked instead of
// repeating the instance-metadata failure, which says nothing off EC2.
func TestBaseCredentialsErrorWhenNothingFound(t *testing.T) {
	sdk := errors.New("failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, http response error StatusCode: 403")
	msg := (&BaseCredentialsError{Err: sdk}).Error()
	for _, want := range []string{"no AWS credentials found", "AWS_SHARED_CREDENTIALS_FILE", "--base-profile"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "403") {
		t.Errorf("message repeats the metadata failure: %s", msg)
	}
	other := (&BaseCredentialsError{Err: errors.New("the SSO session has expired")}).Error()
	if !strings.Contains(other, "the SSO session has expired") {
		t.Errorf("a specific failure must be kept: %s", other)
	}
}
