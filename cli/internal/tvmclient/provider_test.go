package tvmclient

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

type failingProvider struct{}

func (failingProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, errors.New("no credentials in the chain")
}

func TestLoadBaseSelectsProfile(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config")
	credsPath := filepath.Join(dir, "credentials")
	writeFile(t, cfgPath, "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-3\n")
	writeFile(t, credsPath, "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n"+
		"[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s2\n")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", cfgPath)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credsPath)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	tests := []struct {
		name, profile, envProfile, wantKey, wantRegion string
	}{
		{"default chain", "", "", "AKIDDEFAULT", "us-east-1"},
		{"AWS_PROFILE honoured", "", "dev", "AKIDDEV", "eu-west-3"},
		{"base profile wins", "dev", "", "AKIDDEV", "eu-west-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_PROFILE", tt.envProfile)
			cfg, creds := loadBase(t, tt.profile)
			if creds.AccessKeyID != tt.wantKey || cfg.Region != tt.wantRegion {
				t.Errorf("got %s in %s, want %s in %s", creds.AccessKeyID, cfg.Region, tt.wantKey, tt.wantRegion)
			}
		})
	}
	t.Run("missing profile", func(t *testing.T) {
		_, err := LoadBase(context.Background(), "nope")
		var be *BaseCredentialsError
		if !errors.As(err, &be) {
			t.Fatalf("got %v", err)
		}
	})
}

// loadBase loads the base configuration for profile and retrieves its credentials.
func loadBase(t *testing.T, profile string) (aws.Config, aws.Credentials) {
	t.Helper()
	cfg, err := LoadBase(context.Background(), profile)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg, creds
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

type countingProvider struct{ n int }

func (c *countingProvider) Retrieve(context.Context) (aws.Credentials, error) {
	c.n++
	return aws.Credentials{AccessKeyID: "LATER"}, nil
}

func TestPrimed(t *testing.T) {
	src := &countingProvider{}
	p := Primed(aws.Credentials{AccessKeyID: "FIRST"}, src)
	for i, want := range []string{"FIRST", "LATER", "LATER"} {
		got, err := p.Retrieve(context.Background())
		if err != nil || got.AccessKeyID != want {
			t.Fatalf("call %d: got %s, %v; want %s", i, got.AccessKeyID, err, want)
		}
	}
	if src.n != 2 {
		t.Errorf("source called %d times, want 2", src.n)
	}
}
