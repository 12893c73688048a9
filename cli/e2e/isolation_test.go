//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExecPoisonedDefaultProfile gives the caller's AWS files another valid identity
// (mallory's keys) in every default-profile form that SDKs read before the container
// endpoint. Each real client, run through `vend exec`, must still print the vended role
// session; and a named profile the child asks for by name must still work.
func TestExecPoisonedDefaultProfile(t *testing.T) {
	s := needStack(t)
	want := wantARN(t, s.alice)
	m := s.mallory
	keys := "aws_access_key_id = " + m.AccessKeyID + "\naws_secret_access_key = " + m.SecretAccessKey + "\n"
	named := "[mallory]\n" + keys

	dir := t.TempDir()
	script := filepath.Join(dir, "mallory-creds")
	writeFile(t, script, "#!/bin/sh\nprintf '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\"}' '"+m.AccessKeyID+"' '"+m.SecretAccessKey+"'\n")
	if err := os.Chmod(script, 0o700); err != nil {
		t.Fatal(err)
	}

	forms := []struct {
		name        string
		config      string
		credentials string
		boto        string            // ~/.boto
		env         map[string]string // extra variables of vend's caller
		botocore    bool              // only botocore-based clients read this form
	}{
		{name: "static keys in the credentials file", credentials: "[default]\n" + keys},
		{name: "static keys in the config file", config: "[default]\nregion = us-east-1\n" + keys},
		{name: "credential_process", config: "[profile default]\ncredential_process = " + script + "\n"},
		{name: "role_arn with source_profile", config: "[default]\nrole_arn = arn:aws:iam::" + accountID + ":role/vend/demo-admin\nsource_profile = mallory\n", credentials: named},
		{name: "SSO", config: "[default]\nsso_session = corp\nsso_account_id = " + accountID + "\nsso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"},
		{name: "boto file", boto: "[Credentials]\n" + keys, botocore: true},
		{name: "EC2 tools key file", env: map[string]string{"AWS_CREDENTIAL_FILE": filepath.Join(dir, "ec2-creds")}, botocore: true},
	}
	writeFile(t, filepath.Join(dir, "ec2-creds"), "AWSAccessKeyId="+m.AccessKeyID+"\nAWSSecretKey="+m.SecretAccessKey+"\n")

	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			home := t.TempDir()
			cfg, creds := filepath.Join(home, ".aws", "config"), filepath.Join(home, ".aws", "credentials")
			if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
				t.Fatal(err)
			}
			writeFile(t, cfg, f.config)
			writeFile(t, creds, f.credentials)
			if f.boto != "" {
				writeFile(t, filepath.Join(home, ".boto"), f.boto)
			}
			extra := []string{"HOME=" + home, "AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + creds}
			for k, v := range f.env {
				extra = append(extra, k+"="+v)
			}
			for _, c := range realClients(s) {
				if f.botocore && c.name != "aws-cli" && c.name != "boto3" {
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					c.need(t)
					res := s.vend(t, s.alice, extra, append([]string{"exec", allowedProfile, "--"}, c.child...)...)
					if res.code != 0 {
						t.Fatalf("exited %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
					}
					if got := strings.TrimSpace(res.stdout); got != want {
						t.Fatalf("printed %q, want the vended role session %q", got, want)
					}
					if strings.Contains(res.stderr, "vend: warning") {
						t.Errorf("vend warned although it isolated the files:\n%s", res.stderr)
					}
				})
			}
		})
	}

	t.Run("named profiles stay usable", func(t *testing.T) {
		needTool(t, "aws")
		home := t.TempDir()
		cfg, creds := filepath.Join(home, ".aws", "config"), filepath.Join(home, ".aws", "credentials")
		if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, cfg, "[default]\nretry_mode = adaptive\n")
		writeFile(t, creds, "[default]\n"+keys+named)
		extra := []string{"HOME=" + home, "AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + creds}
		res := s.vend(t, s.alice, extra, "exec", allowedProfile, "--",
			"aws", "sts", "get-caller-identity", "--profile", "mallory", "--query", "Arn", "--output", "text")
		if got := strings.TrimSpace(res.stdout); res.code != 0 || got != m.ARN {
			t.Errorf("--profile mallory: exit %d, printed %q, want %q\nstderr: %s", res.code, got, m.ARN, res.stderr)
		}
		res = s.vend(t, s.alice, extra, "exec", allowedProfile, "--", "aws", "configure", "get", "retry_mode")
		if got := strings.TrimSpace(res.stdout); got != "adaptive" {
			t.Errorf("the default profile's retry_mode: %q (exit %d), want adaptive\nstderr: %s", got, res.code, res.stderr)
		}
	})

	t.Run("--keep-aws-files gives the files unchanged", func(t *testing.T) {
		needTool(t, "aws")
		home := t.TempDir()
		creds := filepath.Join(home, ".aws", "credentials")
		if err := os.MkdirAll(filepath.Dir(creds), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, creds, "[default]\n"+keys)
		extra := []string{"HOME=" + home, "AWS_CONFIG_FILE=" + filepath.Join(home, ".aws", "config"), "AWS_SHARED_CREDENTIALS_FILE=" + creds}
		res := s.vend(t, s.alice, extra, "exec", "--keep-aws-files", allowedProfile, "--",
			"aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
		if got := strings.TrimSpace(res.stdout); got != m.ARN || !strings.Contains(res.stderr, "vend: warning") {
			t.Errorf("printed %q (want the file's identity %q) and stderr:\n%s", got, m.ARN, res.stderr)
		}
	})
}
