package awsfiles

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestScan(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		sections []string
		want     []Finding
	}{
		{
			name:     "static keys in credentials file",
			data:     "[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n[other]\naws_access_key_id = X\n",
			sections: []string{"default"},
			want:     []Finding{{File: "f", Line: 2, Key: "aws_access_key_id"}},
		},
		{
			name:     "profile default in config with sso and role_arn",
			data:     "# comment\n[profile default]\nregion = eu-west-1\nsso_session = corp\nrole_arn=arn:aws:iam::1:role/x\n",
			sections: []string{"default", "profile default"},
			want: []Finding{
				{File: "f", Line: 4, Key: "sso_session"},
				{File: "f", Line: 5, Key: "role_arn"},
			},
		},
		{
			name:     "extra spaces and upper case",
			data:     "[  profile   default ]\nCredential_Process = /bin/creds\n",
			sections: []string{"profile default"},
			want:     []Finding{{File: "f", Line: 2, Key: "credential_process"}},
		},
		{
			name:     "region and endpoint only",
			data:     "[default]\nregion = eu-west-1\nendpoint_url = http://localhost\n",
			sections: []string{"default"},
		},
		{
			name:     "other profiles ignored",
			data:     "[profile dev]\nrole_arn = x\n[sso-session corp]\nsso_start_url = https://x\n",
			sections: []string{"default", "profile default"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Scan(strings.NewReader(tt.data), "f", tt.sections...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestKind(t *testing.T) {
	tests := map[string]string{
		"aws_access_key_id":       "static keys",
		"sso_start_url":           "SSO",
		"credential_process":      "a credential_process",
		"role_arn":                "a role_arn",
		"web_identity_token_file": "a web identity token file",
	}
	for key, want := range tests {
		t.Run(key, func(t *testing.T) {
			if got := (Finding{Key: key}).Kind(); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestDefaultProfileShadows(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[default]\ncredential_process = x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := DefaultProfileShadows(cfg, filepath.Join(dir, "missing"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key != "credential_process" || got[0].File != cfg {
		t.Errorf("got %+v", got)
	}
}

func TestPaths(t *testing.T) {
	env := map[string]string{"HOME": "/home/u"}
	getenv := func(k string) string { return env[k] }
	c, cr := Paths(getenv)
	if c != filepath.Join("/home/u", ".aws", "config") || cr != filepath.Join("/home/u", ".aws", "credentials") {
		t.Errorf("got %s %s", c, cr)
	}
	env["AWS_CONFIG_FILE"] = "/c"
	env["AWS_SHARED_CREDENTIALS_FILE"] = "/cr"
	if c, cr = Paths(getenv); c != "/c" || cr != "/cr" {
		t.Errorf("got %s %s", c, cr)
	}
}

func FuzzScan(f *testing.F) {
	f.Add("[default]\naws_access_key_id = x\n")
	f.Add("[profile default]\nrole_arn=x\n[x\nsso_session=y")
	f.Fuzz(func(t *testing.T, data string) {
		got, err := Scan(strings.NewReader(data), "f", "default", "profile default")
		if err != nil {
			return
		}
		lines := strings.Count(data, "\n") + 1
		for _, g := range got {
			if g.Line < 1 || g.Line > lines || !credentialKeys[g.Key] {
				t.Errorf("bad finding %+v", g)
			}
		}
	})
}
