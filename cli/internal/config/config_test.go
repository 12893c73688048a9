package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParse(t *testing.T) {
	data := `
remote_server: https://top.lambda-url.eu-west-1.on.aws
base_profile: sso-dev
duration: 45m
profiles:
  prod:
    remote_server: https://prod.execute-api.eu-west-1.amazonaws.com
    signing_service: execute-api
    signing_region: eu-west-1
    duration: 900
`
	f, err := Parse("c.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if f.RemoteServer != "https://top.lambda-url.eu-west-1.on.aws" || f.BaseProfile != "sso-dev" {
		t.Errorf("top level = %+v", f.Settings)
	}
	if f.Duration != Duration(45*time.Minute) {
		t.Errorf("duration = %v", f.Duration)
	}
	prod := f.Profiles["prod"]
	if prod.SigningService != "execute-api" || prod.Duration.Seconds() != 900 {
		t.Errorf("prod = %+v", prod)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"unknown top-level field", "remote_server: https://x\nremote_sever: y\n", []string{"c.yaml:2: unknown field remote_sever"}},
		{"unknown profile field", "profiles:\n  dev:\n    base_profil: x\n", []string{"c.yaml:3: unknown field base_profil"}},
		{"bad duration", "duration: 3h\n", []string{"c.yaml:1:", "out of range"}},
		{"duration not a number", "duration: soon\n", []string{"c.yaml:1:", "invalid duration"}},
		{"syntax error", "remote_server: [\n", []string{"c.yaml:"}},
		{"two documents", "remote_server: a\n---\nremote_server: b\n", []string{"only one YAML document"}},
		{"wrong type", "profiles: 3\n", []string{"c.yaml:1:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.data))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	f, err := Parse("c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.RemoteServer != "" || f.Path != "c.yaml" {
		t.Errorf("got %+v", f)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	t.Run("missing default file is empty", func(t *testing.T) {
		f, err := Load(missing, false)
		if err != nil || f.RemoteServer != "" {
			t.Fatalf("got %+v, %v", f, err)
		}
	})
	t.Run("missing explicit file is an error", func(t *testing.T) {
		if _, err := Load(missing, true); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("reads the file", func(t *testing.T) {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte("remote_server: https://a\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := Load(p, true)
		if err != nil || f.RemoteServer != "https://a" {
			t.Fatalf("got %+v, %v", f, err)
		}
	})
}

func TestDefaultPath(t *testing.T) {
	p, explicit, err := DefaultPath(env(map[string]string{EnvConfig: "/etc/vend.yaml"}))
	if err != nil || p != "/etc/vend.yaml" || !explicit {
		t.Errorf("got %q %v %v", p, explicit, err)
	}
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	t.Setenv("HOME", "/home/u")
	p, explicit, err = DefaultPath(env(nil))
	if err != nil || explicit || !strings.HasSuffix(p, filepath.Join("vend", "config.yaml")) {
		t.Errorf("got %q %v %v", p, explicit, err)
	}
}

func TestResolvePrecedence(t *testing.T) {
	file := &File{
		Path: "/cfg.yaml",
		Settings: Settings{
			RemoteServer: "https://file-top", BaseProfile: "top-base", SigningRegion: "us-east-1",
			Duration: Duration(30 * time.Minute),
		},
		Profiles: map[string]Settings{
			"prod": {RemoteServer: "https://file-prod", BaseProfile: "prod-base", Duration: Duration(20 * time.Minute)},
		},
	}
	tests := []struct {
		name    string
		flags   Settings
		env     map[string]string
		profile string
		want    Settings
	}{
		{
			name: "file top level", profile: "dev",
			want: Settings{RemoteServer: "https://file-top", BaseProfile: "top-base", SigningRegion: "us-east-1", Duration: Duration(30 * time.Minute)},
		},
		{
			name: "profile section wins over top level", profile: "prod",
			want: Settings{RemoteServer: "https://file-prod", BaseProfile: "prod-base", SigningRegion: "us-east-1", Duration: Duration(20 * time.Minute)},
		},
		{
			name: "environment wins over file", profile: "prod",
			env:  map[string]string{EnvRemoteServer: "https://env"},
			want: Settings{RemoteServer: "https://env", BaseProfile: "prod-base", SigningRegion: "us-east-1", Duration: Duration(20 * time.Minute)},
		},
		{
			name: "flags win over everything", profile: "prod",
			env:   map[string]string{EnvRemoteServer: "https://env"},
			flags: Settings{RemoteServer: "https://flag", BaseProfile: "flag-base", SigningService: "execute-api", Duration: Duration(15 * time.Minute)},
			want:  Settings{RemoteServer: "https://flag", BaseProfile: "flag-base", SigningService: "execute-api", SigningRegion: "us-east-1", Duration: Duration(15 * time.Minute)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(file, tt.flags, env(tt.env), tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestResolveNoServer(t *testing.T) {
	_, err := Resolve(&File{Path: "/home/u/.config/vend/config.yaml"}, Settings{}, env(nil), "dev")
	var noServer *NoServerError
	if !errors.As(err, &noServer) {
		t.Fatalf("got %v, want NoServerError", err)
	}
	for _, w := range []string{"--remote-server", EnvRemoteServer, "remote_server:", "/home/u/.config/vend/config.yaml"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not show %q:\n%s", w, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"1h", time.Hour, false},
		{"15m", 15 * time.Minute, false},
		{"3600", time.Hour, false},
		{" 900 ", 15 * time.Minute, false},
		{"899", 0, true},
		{"2h", 0, true},
		{"20m0.5s", 0, true},
		{"", 0, true},
		{"abc", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if time.Duration(got) != tt.want {
				t.Errorf("got %v, want %v", time.Duration(got), tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("remote_server: https://x\nprofiles:\n  a:\n    duration: 1h\n"))
	f.Add([]byte("duration: 3600\n"))
	f.Add([]byte("profiles: {a: {b: c}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("f.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "f.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		for _, d := range append([]Duration{file.Duration}, profileDurations(file)...) {
			if d != 0 && (d.Seconds() < 900 || d.Seconds() > 3600) {
				t.Errorf("accepted out-of-range duration %v", d)
			}
		}
	})
}

func profileDurations(f *File) []Duration {
	var out []Duration
	for _, p := range f.Profiles {
		out = append(out, p.Duration)
	}
	return out
}

func TestSources(t *testing.T) {
	file := &File{Path: "/c.yaml", Settings: Settings{RemoteServer: "https://top", SigningRegion: "eu-west-1"},
		Profiles: map[string]Settings{"prod": {BaseProfile: "sso-prod", RemoteServer: "https://prod"}}}
	env := func(k string) string {
		if k == EnvRemoteServer {
			return "https://env"
		}
		return ""
	}
	none := func(string) string { return "" }
	for _, tc := range []struct {
		flags   Settings
		getenv  func(string) string
		profile string
		want    map[string]string
	}{
		{Settings{RemoteServer: "https://flag"}, env, "prod", map[string]string{"remote_server": "flag --remote-server", "base_profile": "/c.yaml, profile prod", "signing_service": "", "signing_region": "/c.yaml"}},
		{Settings{}, env, "", map[string]string{"remote_server": "environment VEND_REMOTE_SERVER", "base_profile": "", "signing_service": "", "signing_region": "/c.yaml"}},
		{Settings{}, none, "prod", map[string]string{"remote_server": "/c.yaml, profile prod", "base_profile": "/c.yaml, profile prod", "signing_service": "", "signing_region": "/c.yaml"}},
		{Settings{SigningService: "execute-api"}, none, "", map[string]string{"remote_server": "/c.yaml", "base_profile": "", "signing_service": "flag --signing-service", "signing_region": "/c.yaml"}},
	} {
		got := Sources(file, tc.flags, tc.getenv, tc.profile)
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%+v %q: %s from %q, want %q", tc.flags, tc.profile, k, got[k], v)
			}
		}
	}
}
