package motoserver

import (
	"github.com/vend-tvm/vend/internal/testkit"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Start runs moto_server on a free port of 127.0.0.1 (testkit.MotoForTest) and returns
// its base URL. The server is stopped when the test ends. Without moto_server on the
// PATH the test is skipped, unless CI is "true", where it fails: CI must exercise the
// real thing.
func Start(t testing.TB) string {
	t.Helper()
	return testkit.MotoForTest(t).URL()
}

// Query sends an AWS query-protocol call (IAM, STS) to moto, which checks no signature,
// and returns the XML response body. It fails the test on a non-2xx answer.
func Query(t testing.TB, base string, params url.Values) string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto routes query calls by the service in the SigV4 credential scope.
	svc := "iam"
	if v := params.Get("Service"); v != "" {
		svc = v
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/"+svc+"/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", svc, params.Get("Action"), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: read response: %v", svc, params.Get("Action"), err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d: %s", svc, params.Get("Action"), resp.StatusCode, b)
	}
	return string(b)
}

// CreateRole creates an IAM role in moto and returns its ARN.
func CreateRole(t testing.TB, base, name string) string {
	t.Helper()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"]}]}`
	body := Query(t, base, url.Values{
		"Action":                   {"CreateRole"},
		"Version":                  {"2010-05-08"},
		"RoleName":                 {name},
		"AssumeRolePolicyDocument": {trust},
	})
	start := strings.Index(body, "<Arn>")
	end := strings.Index(body, "</Arn>")
	if start < 0 || end < start {
		t.Fatalf("CreateRole: no ARN in %s", body)
	}
	return body[start+len("<Arn>") : end]
}
