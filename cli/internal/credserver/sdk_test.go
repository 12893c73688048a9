package credserver

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/vend-tvm/vend/lambda/wire"
)

// These tests point real SDK credential providers at the server: they pin the wire
// format (field names, Expiration, error bodies) and the token handling the SDKs use.

func TestGoSDKEndpointCreds(t *testing.T) {
	s := startServer(t, staticProvider())
	tokenFile, err := s.WriteTokenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opt  func(*endpointcreds.Options)
	}{
		{"token", func(o *endpointcreds.Options) { o.AuthorizationToken = s.Token() }},
		{"token file", func(o *endpointcreds.Options) {
			// What the SDK does for AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: re-read per fetch.
			o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
				b, err := os.ReadFile(tokenFile)
				return string(b), err
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := endpointcreds.New(s.URL(), tt.opt).Retrieve(ctx)
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if got.AccessKeyID != testKeyID || got.SecretAccessKey != testSecret || got.SessionToken != testToken ||
				got.AccountID != "123456789012" || !got.CanExpire || !got.Expires.Equal(testExpiry.Truncate(time.Second)) {
				t.Errorf("SDK got %+v", got)
			}
		})
	}
	t.Run("wrong token", func(t *testing.T) {
		p := endpointcreds.New(s.URL(), func(o *endpointcreds.Options) { o.AuthorizationToken = "wrong" })
		if _, err := p.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), wire.CodeAccessDenied) {
			t.Fatalf("Retrieve error = %v, want %s", err, wire.CodeAccessDenied)
		}
	})
}

func TestGoSDKSeesDenial(t *testing.T) {
	denial := &wire.Error{Code: wire.CodeAccessDenied, Message: "denied by policy", Rule: "prod-admins", Reason: "outside working hours"}
	s := startServer(t, errorProvider(denial))
	p := endpointcreds.New(s.URL(), func(o *endpointcreds.Options) { o.AuthorizationToken = s.Token() })
	_, err := p.Retrieve(context.Background())
	if err == nil {
		t.Fatal("Retrieve succeeded")
	}
	// The SDK surfaces the code and message of the JSON error body.
	if !strings.Contains(err.Error(), wire.CodeAccessDenied) || !strings.Contains(err.Error(), "denied by policy") {
		t.Fatalf("SDK error %q lacks the TVM's code and message", err)
	}
}

// TestBotocoreContainerProvider runs botocore's ContainerProvider, what the AWS CLI and
// boto3 use, against the server with the token file.
func TestBotocoreContainerProvider(t *testing.T) {
	python := findPythonWithBotocore(t)
	s := startServer(t, staticProvider())
	tokenFile, err := s.WriteTokenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const script = `
import json, sys
from botocore.credentials import ContainerProvider
env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": sys.argv[1], "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": sys.argv[2]}
creds = ContainerProvider(environ=env).load()
f = creds.get_frozen_credentials()
print(json.dumps({"AccessKeyId": f.access_key, "SecretAccessKey": f.secret_key, "Token": f.token,
                  "Expiration": creds._expiry_time.isoformat()}))
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", script, s.URL(), tokenFile)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("botocore: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("botocore: %v", err)
	}
	var got struct{ AccessKeyId, SecretAccessKey, Token, Expiration string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("botocore output %q: %v", out, err)
	}
	exp, err := time.Parse(time.RFC3339, got.Expiration)
	if err != nil {
		t.Fatalf("botocore expiry %q: %v", got.Expiration, err)
	}
	if got.AccessKeyId != testKeyID || got.SecretAccessKey != testSecret || got.Token != testToken ||
		!exp.Equal(testExpiry.Truncate(time.Second)) {
		t.Errorf("botocore got key %s, expiry %s", got.AccessKeyId, got.Expiration)
	}
}

// findPythonWithBotocore returns a Python that imports botocore. Without one the test
// skips locally and fails in CI, where the toolchain must be complete.
func findPythonWithBotocore(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"python3.11", "python3"} {
		path, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import botocore").Run() == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("python3 with botocore is required in CI")
	}
	t.Skip("python3 with botocore not found; set CI=true to make this a failure")
	return ""
}
