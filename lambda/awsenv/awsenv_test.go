package awsenv

import (
	"context"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfig(t *testing.T) {
	cfg, err := Config(env(map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("region %q", cfg.Region)
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "ASIAEXAMPLE" || c.SecretAccessKey != "secret" || c.SessionToken != "token" {
		t.Errorf("credentials %s", c.AccessKeyID)
	}
}

func TestConfigMissing(t *testing.T) {
	_, err := Config(env(map[string]string{"AWS_SECRET_ACCESS_KEY": "s3cr3t-value"}))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not name %s", err, k)
		}
	}
	if strings.Contains(err.Error(), "s3cr3t-value") {
		t.Error("error echoes a secret")
	}
}

func TestEndpoint(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		id   string
		want string
	}{
		{"none", nil, "STS", ""},
		{"global", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, "STS", "http://127.0.0.1:5000"},
		{"service wins", map[string]string{"AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_STS": "http://b"}, "STS", "http://b"},
		{"other service ignored", map[string]string{"AWS_ENDPOINT_URL_SSM": "http://ssm"}, "STS", ""},
		{"service id with space", map[string]string{"AWS_ENDPOINT_URL_API_GATEWAY": "http://apigw"}, "API Gateway", "http://apigw"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Endpoint(env(tc.vars), tc.id)
			if (got == nil && tc.want != "") || (got != nil && *got != tc.want) {
				t.Errorf("Endpoint = %v, want %q", got, tc.want)
			}
		})
	}
}
