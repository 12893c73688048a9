package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/vend-tvm/vend/internal/testkit"
	"github.com/vend-tvm/vend/lambda/internal/motoserver"
	"github.com/vend-tvm/vend/lambda/wire"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadSettings(t *testing.T) {
	withPolicy := t.TempDir()
	if err := os.WriteFile(filepath.Join(withPolicy, "policy.yaml"), []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name    string
		env     map[string]string
		dir     string
		wantErr string
		check   func(t *testing.T, s settings)
	}{
		{name: "defaults with policy.yaml next to the binary", dir: withPolicy, check: func(t *testing.T, s settings) {
			if s.policyFile != filepath.Join(withPolicy, "policy.yaml") || s.policyTTL != time.Minute || s.policyMaxStale != 15*time.Minute || s.prefix != "vend-" ||
				!s.sessionTags || s.rateLimit != 10 || s.logLevel != slog.LevelInfo {
				t.Errorf("settings = %+v", s)
			}
		}},
		{name: "no policy source", dir: empty, wantErr: "no policy source"},
		{name: "events topic", dir: withPolicy, env: map[string]string{"VEND_EVENTS_TOPIC_ARN": "arn:aws:sns:eu-west-2:123456789012:vend-events"}, check: func(t *testing.T, s settings) {
			if s.topicARN() != "arn:aws:sns:eu-west-2:123456789012:vend-events" || s.eventsTopic.Region != "eu-west-2" {
				t.Errorf("settings = %+v", s)
			}
		}},
		{name: "state table", dir: withPolicy, env: map[string]string{"VEND_STATE_TABLE": "vend-tvm-state"}, check: func(t *testing.T, s settings) {
			if s.stateTable != "vend-tvm-state" {
				t.Errorf("settings = %+v", s)
			}
		}},
		{name: "rate limit local when the state is down", dir: withPolicy, env: map[string]string{"VEND_RATE_LIMIT_WHEN_STATE_DOWN": "local"}, check: func(t *testing.T, s settings) {
			if !s.localWhenDown {
				t.Errorf("settings = %+v", s)
			}
		}},
		{name: "rate limit when down, unknown", dir: withPolicy, env: map[string]string{"VEND_RATE_LIMIT_WHEN_STATE_DOWN": "allow"}, wantErr: "want refuse (the default) or local"},
		{name: "revocation writer path", dir: withPolicy, env: map[string]string{"VEND_REVOCATION_WRITER_PATH": "/ops/vend/"}, check: func(t *testing.T, s settings) {
			if s.writerPath != "/ops/vend/" {
				t.Errorf("writerPath = %q", s.writerPath)
			}
		}},
		{name: "revocation writer path default", dir: withPolicy, check: func(t *testing.T, s settings) {
			if s.writerPath != "/vend/" {
				t.Errorf("writerPath = %q, want /vend/", s.writerPath)
			}
		}},
		{name: "revocation writer path without slashes", dir: withPolicy, env: map[string]string{"VEND_REVOCATION_WRITER_PATH": "vend"}, wantErr: "want an IAM path such as /vend/"},
		{name: "state table bad name", dir: withPolicy, env: map[string]string{"VEND_STATE_TABLE": "a/b"}, wantErr: "want a DynamoDB table name"},
		{name: "events topic not an SNS topic", dir: withPolicy, env: map[string]string{"VEND_EVENTS_TOPIC_ARN": "arn:aws:sqs:eu-west-2:123456789012:q"}, wantErr: "want an SNS topic ARN"},
		{name: "events topic without a region", dir: withPolicy, env: map[string]string{"VEND_EVENTS_TOPIC_ARN": "arn:aws:sns::123456789012:t"}, wantErr: "want an SNS topic ARN"},
		{name: "events topic subscription ARN", dir: withPolicy, env: map[string]string{"VEND_EVENTS_TOPIC_ARN": "arn:aws:sns:eu-west-2:123456789012:t:0b1c"}, wantErr: "want an SNS topic ARN"},
		{name: "both sources", dir: empty, env: map[string]string{"VEND_POLICY_FILE": "/p.yaml", "VEND_POLICY_PARAMETER": "/vend/policy"}, wantErr: "only one"},
		{name: "parameter wins over the default file", dir: withPolicy, env: map[string]string{"VEND_POLICY_PARAMETER": "/vend/policy"}, check: func(t *testing.T, s settings) {
			if s.policyFile != "" || s.policyParameter != "/vend/policy" {
				t.Errorf("settings = %+v", s)
			}
		}},
		{name: "everything set", dir: empty, env: map[string]string{
			"VEND_POLICY_PARAMETER": "/vend/policy", "VEND_POLICY_TTL": "5m", "VEND_POLICY_MAX_STALENESS": "1h", "VEND_SOURCE_IDENTITY_PREFIX": "tvm.",
			"VEND_SESSION_TAGS": "false", "VEND_RATE_LIMIT": "0", "VEND_LOG_LEVEL": "debug",
		}, check: func(t *testing.T, s settings) {
			if s.policyTTL != 5*time.Minute || s.policyMaxStale != time.Hour || s.prefix != "tvm." || s.sessionTags || s.rateLimit != 0 || s.logLevel != slog.LevelDebug {
				t.Errorf("settings = %+v", s)
			}
		}},
		{name: "bad ttl", dir: withPolicy, env: map[string]string{"VEND_POLICY_TTL": "60"}, wantErr: "VEND_POLICY_TTL"},
		{name: "max staleness follows a longer ttl", dir: withPolicy, env: map[string]string{"VEND_POLICY_TTL": "30m"}, check: func(t *testing.T, s settings) {
			if s.policyMaxStale != 30*time.Minute {
				t.Errorf("policyMaxStale = %s, want the TTL", s.policyMaxStale)
			}
		}},
		{name: "max staleness equal to the ttl", dir: withPolicy, env: map[string]string{"VEND_POLICY_MAX_STALENESS": "1m"}, check: func(t *testing.T, s settings) {
			if s.policyMaxStale != time.Minute {
				t.Errorf("policyMaxStale = %s", s.policyMaxStale)
			}
		}},
		{name: "zero max staleness is not forever", dir: withPolicy, env: map[string]string{"VEND_POLICY_MAX_STALENESS": "0"}, wantErr: "cannot be turned off"},
		{name: "max staleness off", dir: withPolicy, env: map[string]string{"VEND_POLICY_MAX_STALENESS": "off"}, wantErr: "cannot be turned off"},
		{name: "negative max staleness", dir: withPolicy, env: map[string]string{"VEND_POLICY_MAX_STALENESS": "-5m"}, wantErr: "VEND_POLICY_MAX_STALENESS"},
		{name: "max staleness without a unit", dir: withPolicy, env: map[string]string{"VEND_POLICY_MAX_STALENESS": "900"}, wantErr: "VEND_POLICY_MAX_STALENESS"},
		{name: "max staleness below the ttl", dir: withPolicy, env: map[string]string{"VEND_POLICY_TTL": "5m", "VEND_POLICY_MAX_STALENESS": "1m"}, wantErr: "from VEND_POLICY_TTL (5m0s)"},
		{name: "max staleness above a day", dir: withPolicy, env: map[string]string{"VEND_POLICY_MAX_STALENESS": "25h"}, wantErr: "to 24h0m0s"},
		{name: "bad prefix", dir: withPolicy, env: map[string]string{"VEND_SOURCE_IDENTITY_PREFIX": "aws-"}, wantErr: "VEND_SOURCE_IDENTITY_PREFIX"},
		{name: "bad tags", dir: withPolicy, env: map[string]string{"VEND_SESSION_TAGS": "yes please"}, wantErr: "VEND_SESSION_TAGS"},
		{name: "bad rate", dir: withPolicy, env: map[string]string{"VEND_RATE_LIMIT": "-1"}, wantErr: "VEND_RATE_LIMIT"},
		{name: "nan rate", dir: withPolicy, env: map[string]string{"VEND_RATE_LIMIT": "NaN"}, wantErr: "VEND_RATE_LIMIT"},
		{name: "bad level", dir: withPolicy, env: map[string]string{"VEND_LOG_LEVEL": "loud"}, wantErr: "VEND_LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadSettings(env(tt.env), tt.dir)
			if testkit.ErrCase(t, err, tt.wantErr) {
				return
			}
			tt.check(t, s)
		})
	}
}

const e2ePolicy = `version: 1
profiles:
  deploy:
    role_arn: ROLE_ARN
    max_duration: 15m
rules:
  - name: engineers
    effect: allow
    principals: ["arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Engineer_*/*"]
    profiles: [deploy]
`

func event(t *testing.T, path, query string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"version": "2.0", "rawPath": path, "rawQueryString": query,
		"requestContext": map[string]any{
			"requestId": "req-e2e",
			"authorizer": map[string]any{"iam": map[string]any{
				"accessKey": "ASIACALLER", "accountId": "111122223333",
				"userArn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Engineer_abc/jane@example.com",
			}},
			"http": map[string]any{"method": "GET", "path": path, "sourceIp": "127.0.0.1", "userAgent": "test"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func call(t *testing.T, invoke func(context.Context, []byte) ([]byte, error), payload []byte) (int, map[string]string, string) {
	t.Helper()
	out, err := invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return r.StatusCode, r.Headers, r.Body
}

// TestBuildAgainstMoto wires the real clients (STS and SSM through the SDK's endpoint
// variables) and vends credentials from moto_server, with the policy from a file and
// from SSM.
func TestBuildAgainstMoto(t *testing.T) {
	base := motoserver.Start(t)
	t.Setenv("AWS_ENDPOINT_URL", base)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	roleARN := motoserver.CreateRole(t, base, "vend-e2e-deploy")
	policyText := strings.Replace(e2ePolicy, "ROLE_ARN", roleARN, 1)

	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(policyText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(cfg).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String("/vend/policy"), Value: aws.String(policyText), Type: ssmtypes.ParameterTypeSecureString,
	}); err != nil {
		t.Fatal(err)
	}

	for _, src := range []map[string]string{{"VEND_POLICY_FILE": policyFile}, {"VEND_POLICY_PARAMETER": "/vend/policy"}} {
		t.Run(strings.Join(keys(src), ","), func(t *testing.T) {
			s, cfgErr := loadSettings(env(src), dir)
			var logs bytes.Buffer
			lg := slog.New(slog.NewJSONHandler(&logs, nil))
			h := build(context.Background(), os.Getenv, s, cfgErr, lg, lg)
			status, hdr, body := call(t, h.Invoke, event(t, wire.PathCredentials, "profile=deploy"))
			if status != 200 {
				t.Fatalf("status %d: %s\n%s", status, body, logs.String())
			}
			var c wire.Credentials
			if err := json.Unmarshal([]byte(body), &c); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.AccessKeyID, "ASIA") || c.SecretAccessKey == "" || c.Token == "" || c.RoleARN != roleARN {
				t.Errorf("credentials = %v", c)
			}
			if hdr[wire.HeaderSourceIdentity] == "" || !strings.Contains(logs.String(), `"msg":"tvm_started"`) {
				t.Errorf("headers %v, logs %s", hdr, logs.String())
			}
			if strings.Contains(logs.String(), c.SecretAccessKey) || strings.Contains(logs.String(), c.Token) {
				t.Errorf("a secret reached the log")
			}
		})
	}

	// A deleted parameter refuses at the next refresh (VEND_POLICY_TTL=1s here): 503 with
	// the stable code, nothing vended, and the logs say which parameter and why.
	t.Run("deleted parameter fails closed", func(t *testing.T) {
		client := ssm.NewFromConfig(cfg)
		const name = "/vend/deleted"
		if _, err := client.PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(policyText), Type: ssmtypes.ParameterTypeSecureString,
		}); err != nil {
			t.Fatal(err)
		}
		s, cfgErr := loadSettings(env(map[string]string{"VEND_POLICY_PARAMETER": name, "VEND_POLICY_TTL": "1s"}), dir)
		var logs bytes.Buffer
		lg := slog.New(slog.NewJSONHandler(&logs, nil))
		h := build(context.Background(), os.Getenv, s, cfgErr, lg, lg)
		if status, _, body := call(t, h.Invoke, event(t, wire.PathCredentials, "profile=deploy")); status != 200 {
			t.Fatalf("before the deletion: status %d: %s\n%s", status, body, logs.String())
		}
		if _, err := client.DeleteParameter(context.Background(), &ssm.DeleteParameterInput{Name: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond)
		logs.Reset()
		status, hdr, body := call(t, h.Invoke, event(t, wire.PathCredentials, "profile=deploy"))
		var werr wire.Error
		if err := json.Unmarshal([]byte(body), &werr); err != nil {
			t.Fatalf("status %d: %v", status, err)
		}
		if status != 503 || werr.Code != wire.CodePolicyUnavailable || hdr["Retry-After"] == "" {
			// Not the body: it could hold credentials.
			t.Fatalf("after the deletion: status %d, code %q, Retry-After %q", status, werr.Code, hdr["Retry-After"])
		}
		if strings.Contains(body, name) || strings.Contains(body, "ParameterNotFound") || strings.Contains(body, "ASIA") {
			t.Errorf("the caller sees internals or credentials: %s", body)
		}
		var sawOp, sawDecision bool
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("log line %q: %v", l, err)
			}
			switch m["msg"] {
			case "policy_unavailable":
				sawOp = m["level"] == "ERROR" && m["parameter"] == name && m["reason"] == "not_found"
			case "decision":
				e, _ := m["error"].(string)
				sawDecision = m["code"] == wire.CodePolicyUnavailable && m["access_key_id"] == "" &&
					strings.Contains(e, name) && strings.Contains(e, "not_found")
			}
		}
		if !sawOp || !sawDecision {
			t.Errorf("want a policy_unavailable line (ERROR, parameter, reason not_found) and a decision line naming both:\n%s", logs.String())
		}
	})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBuildFailsClosed(t *testing.T) {
	t.Run("invalid configuration", func(t *testing.T) {
		s, cfgErr := loadSettings(env(map[string]string{"VEND_RATE_LIMIT": "lots"}), t.TempDir())
		var logs bytes.Buffer
		lg := slog.New(slog.NewJSONHandler(&logs, nil))
		h := build(context.Background(), os.Getenv, s, cfgErr, lg, lg)
		for _, path := range []string{wire.PathCredentials, wire.PathWhoami} {
			if status, _, body := call(t, h.Invoke, event(t, path, "profile=deploy")); status != 500 || !strings.Contains(body, wire.CodeInternal) {
				t.Errorf("%s: status %d %s", path, status, body)
			}
		}
		if !strings.Contains(logs.String(), `"msg":"config_invalid"`) || !strings.Contains(logs.String(), "VEND_RATE_LIMIT") {
			t.Errorf("no clear config_invalid line:\n%s", logs.String())
		}
	})
	t.Run("no runtime credentials", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "policy.yaml")
		if err := os.WriteFile(p, []byte(validPolicyForBuild), 0o600); err != nil {
			t.Fatal(err)
		}
		s, cfgErr := loadSettings(env(map[string]string{"VEND_POLICY_FILE": p}), dir)
		var logs bytes.Buffer
		lg := slog.New(slog.NewJSONHandler(&logs, nil))
		h := build(context.Background(), env(map[string]string{"AWS_REGION": "us-east-1"}), s, cfgErr, lg, lg)
		if status, _, body := call(t, h.Invoke, event(t, wire.PathCredentials, "profile=deploy")); status != 500 || !strings.Contains(body, wire.CodeInternal) {
			t.Errorf("status %d %s, want 500 internal_error", status, body)
		}
		if !strings.Contains(logs.String(), "config_invalid") || !strings.Contains(logs.String(), "AWS_ACCESS_KEY_ID") {
			t.Errorf("no config_invalid line naming the missing variable:\n%s", logs.String())
		}
	})
	t.Run("invalid policy file", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "policy.yaml")
		if err := os.WriteFile(p, []byte("version: 2\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		runtimeEnv := env(map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example"})
		s, cfgErr := loadSettings(env(map[string]string{"VEND_POLICY_FILE": p}), dir)
		var logs bytes.Buffer
		lg := slog.New(slog.NewJSONHandler(&logs, nil))
		h := build(context.Background(), runtimeEnv, s, cfgErr, lg, lg)
		for _, path := range []string{wire.PathCredentials, wire.PathProfiles, wire.PathWhoami} {
			if status, _, body := call(t, h.Invoke, event(t, path, "profile=deploy")); status != 403 || !strings.Contains(body, wire.CodePolicyInvalid) {
				t.Errorf("%s: status %d %s", path, status, body)
			}
		}
		if !strings.Contains(logs.String(), `"msg":"policy_invalid"`) {
			t.Errorf("no policy_invalid line:\n%s", logs.String())
		}
	})
}

// validPolicyForBuild is a minimal valid policy: the build must fail on something else.
const validPolicyForBuild = `version: 1
profiles:
  deploy:
    role_arn: arn:aws:iam::111122223333:role/deploy
rules: []
`
