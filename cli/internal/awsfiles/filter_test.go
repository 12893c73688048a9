package awsfiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFilter(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		want        string
		wantRemoved []string // keys reported
	}{
		{
			name:        "static keys in default, named profile kept",
			in:          "[default]\nregion = eu-west-1\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = SECRETDEFAULT\naws_session_token = TOKEN\n[profile dev]\naws_access_key_id = AKIDDEV\n",
			want:        "[default]\nregion = eu-west-1\n[profile dev]\naws_access_key_id = AKIDDEV\n",
			wantRemoved: []string{"aws_access_key_id"},
		},
		{
			name:        "role chain and SSO in profile default",
			in:          "[profile default]\nrole_arn = arn:aws:iam::111111111111:role/x\nsource_profile = base\nmfa_serial = m\nretry_mode = adaptive\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n",
			want:        "[profile default]\nretry_mode = adaptive\n[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n",
			wantRemoved: []string{"role_arn", "sso_session"},
		},
		{
			name:        "credential_process with a continued value, login_session",
			in:          "[default]\ncredential_process = /bin/creds\n    --flag\nlogin_session = arn:aws:iam::1:user/u\nca_bundle = /etc/ca.pem\n",
			want:        "[default]\nca_bundle = /etc/ca.pem\n",
			wantRemoved: []string{"credential_process", "login_session"},
		},
		{
			name:        "nested settings of other keys stay",
			in:          "[default]\ns3 =\n  addressing_style = path\nweb_identity_token_file = /t\nservices = local\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:5000\n",
			want:        "[default]\ns3 =\n  addressing_style = path\nservices = local\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:5000\n",
			wantRemoved: []string{"web_identity_token_file"},
		},
		{
			name:        "indented keys right after the header are keys to configparser",
			in:          "[default]\n  aws_access_key_id = AKID\n  aws_secret_access_key = S\n  region = eu-west-1\n",
			want:        "[default]\n  region = eu-west-1\n",
			wantRemoved: []string{"aws_access_key_id"},
		},
		{
			name:        "colon delimiter, upper case, odd spacing and quotes in the header",
			in:          "[  profile   \"default\" ]\nAWS_ACCESS_KEY_ID: AKID\nAws_Secret_Access_Key : S\noutput = json\n",
			want:        "[  profile   \"default\" ]\noutput = json\n",
			wantRemoved: []string{"aws_access_key_id"},
		},
		{
			name: "comments and blank lines kept",
			in:   "# top\n\n[default]\n; note\nregion = eu-west-1\n",
			want: "# top\n\n[default]\n; note\nregion = eu-west-1\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			removed, err := Filter(strings.NewReader(tt.in), &out, "f", DefaultSections...)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("copy:\n%s\nwant:\n%s", out.String(), tt.want)
			}
			var keys []string
			for _, r := range removed {
				keys = append(keys, r.Key)
			}
			if strings.Join(keys, ",") != strings.Join(tt.wantRemoved, ",") {
				t.Errorf("removed %v, want %v", keys, tt.wantRemoved)
			}
			// What Filter leaves, Scan finds nothing in.
			left, err := Scan(strings.NewReader(out.String()), "f", DefaultSections...)
			if err != nil || len(left) != 0 {
				t.Errorf("the copy still has %+v (%v)", left, err)
			}
		})
	}
}

func TestIsolate(t *testing.T) {
	home := t.TempDir()
	aws := filepath.Join(home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(path, data string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(aws, "config"), "[default]\nregion = eu-west-3\ncredential_process = /bin/false\n[profile dev]\nregion = us-east-2\n")
	write(filepath.Join(aws, "credentials"), "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = SECRETDEFAULT\n[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = SECRETDEV\n")
	write(filepath.Join(home, ".boto"), "[Credentials]\naws_access_key_id = AKIDBOTO\naws_secret_access_key = SECRETBOTO\ngs_access_key_id = GOOG\n[Boto]\nhttps_validate_certificates = True\n")
	oldSystem := botoSystemFile
	botoSystemFile = filepath.Join(home, "no-system-boto")
	t.Cleanup(func() { botoSystemFile = oldSystem })

	env := map[string]string{"HOME": home}
	iso, err := Isolate(func(k string) string { return env[k] }, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range iso.Env {
		got[kv[0]] = kv[1]
	}
	for _, k := range []string{EnvConfigFile, EnvCredentialsFile, EnvJavaCredentials, EnvBotoConfig} {
		if got[k] == "" || filepath.Dir(got[k]) != iso.Dir {
			t.Fatalf("%s = %q, want a file in %s", k, got[k], iso.Dir)
		}
	}
	read := func(p string) string {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cfg, creds, boto := read(got[EnvConfigFile]), read(got[EnvCredentialsFile]), read(got[EnvBotoConfig])
	for _, secret := range []string{"AKIDDEFAULT", "SECRETDEFAULT", "credential_process", "AKIDBOTO", "SECRETBOTO"} {
		if strings.Contains(cfg+creds+boto, secret) {
			t.Errorf("a copy still holds %s", secret)
		}
	}
	for _, kept := range []string{"region = eu-west-3", "[profile dev]", "region = us-east-2"} {
		if !strings.Contains(cfg, kept) {
			t.Errorf("config copy lost %q:\n%s", kept, cfg)
		}
	}
	if !strings.Contains(creds, "AKIDDEV") || !strings.Contains(boto, "gs_access_key_id = GOOG") || !strings.Contains(boto, "https_validate_certificates") {
		t.Errorf("copies lost named profiles or other settings:\n%s\n%s", creds, boto)
	}
	if len(iso.Removed) != 3 {
		t.Errorf("removed %+v, want credential_process, the default keys and boto's keys", iso.Removed)
	}
	if fi, err := os.Stat(iso.Dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(got[EnvCredentialsFile]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("copy mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if err := iso.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(iso.Dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s: %v", iso.Dir, err)
	}
}

func TestIsolateWithoutFilesOrBotoKeys(t *testing.T) {
	home := t.TempDir()
	oldSystem := botoSystemFile
	botoSystemFile = filepath.Join(home, "none")
	t.Cleanup(func() { botoSystemFile = oldSystem })
	iso, err := Isolate(func(k string) string { return map[string]string{"HOME": home}[k] }, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer iso.Close()
	if len(iso.Env) != 3 {
		t.Errorf("env %v: want the three file variables and no BOTO_CONFIG", iso.Env)
	}
}

func TestIsolateRefusesUnreadableFiles(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws", "credentials"), 0o700); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	_, err := Isolate(func(k string) string { return map[string]string{"HOME": home}[k] }, parent)
	if err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("got %v, want an error naming the credentials file", err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("a failed Isolate left %v", left)
	}
}

func FuzzFilter(f *testing.F) {
	f.Add("[default]\naws_access_key_id = x\n  nested = y\n")
	f.Add("[profile default]\n  role_arn: x\n[x\nsso_session=y")
	f.Fuzz(func(t *testing.T, data string) {
		var out strings.Builder
		if _, err := Filter(strings.NewReader(data), &out, "f", DefaultSections...); err != nil {
			return
		}
		left, err := Scan(strings.NewReader(out.String()), "f", DefaultSections...)
		if err == nil && len(left) != 0 {
			t.Errorf("filtered copy still has %+v:\n%q", left, out.String())
		}
	})
}
