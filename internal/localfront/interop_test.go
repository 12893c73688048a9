package localfront

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// needTool finds an external tool; without it the test skips, except in CI where
// it fails.
func needTool(t *testing.T, name string, check ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(check) > 0 {
		err = exec.Command(path, check...).Run()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not available: %v", name, err)
	}
	return path
}

// TestBotocoreSignedRequests checks the front against a second SigV4
// implementation: botocore's, which the AWS CLI and boto3 use.
func TestBotocoreSignedRequests(t *testing.T) {
	python := needTool(t, "python3", "-c", "import botocore.auth")
	inv := &fakeInvoker{}
	f, err := New(inv, []Identity{userID, roleID}, WithRegion("eu-west-1")) // real clock: botocore signs with now
	if err != nil {
		t.Fatal(err)
	}
	base, stop, err := f.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = stop(ctx)
	})
	tests := []struct {
		name, method, path, body string
		id                       Identity
		region                   string
		want                     int
	}{
		{name: "GET long-term key", method: "GET", path: "/v1/credentials?profile=dev", id: userID, want: 200},
		{name: "GET temporary credentials", method: "GET", path: "/v1/credentials?profile=dev&duration=900", id: roleID, want: 200},
		{name: "query needing encoding", method: "GET", path: "/v1/credentials?profile=a%20b&x=%2F~", id: userID, want: 200},
		{name: "POST body", method: "POST", path: "/v1/credentials", body: `{"profile":"dev"}`, id: roleID, want: 200},
		{name: "wrong region", method: "GET", path: "/v1/whoami", id: userID, region: "us-west-2", want: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			region := tc.region
			if region == "" {
				region = "eu-west-1"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			args := []string{filepath.Join("testdata", "botocore_sign.py"), tc.method, base + tc.path, "lambda", region}
			if tc.body != "" {
				args = append(args, tc.body)
			}
			cmd := exec.CommandContext(ctx, python, args...)
			cmd.Env = append(os.Environ(), "URLFRONT_AK="+tc.id.AccessKeyID, "URLFRONT_SK="+tc.id.SecretAccessKey, "URLFRONT_TOKEN="+tc.id.SessionToken)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("botocore client: %v", err)
			}
			status, body, _ := strings.Cut(string(out), "\n")
			if got, _ := strconv.Atoi(status); got != tc.want {
				t.Fatalf("status %s, want %d: %s", status, tc.want, body)
			}
			if tc.want != 200 {
				return
			}
			calls := inv.calls()
			var ev events.LambdaFunctionURLRequest
			if err := json.Unmarshal(calls[len(calls)-1], &ev); err != nil {
				t.Fatal(err)
			}
			if ev.RequestContext.Authorizer.IAM.UserARN != tc.id.ARN || ev.Body != tc.body {
				t.Errorf("event caller %q body %q", ev.RequestContext.Authorizer.IAM.UserARN, ev.Body)
			}
		})
	}
}
