//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vend-tvm/vend/internal/testkit"
	"github.com/vend-tvm/vend/lambda/assume"
	"github.com/vend-tvm/vend/lambda/handler"
	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// signedDo sends a request signed with u's base credentials, as the CLI would, to the
// TVM's Function URL front.
func (s *stack) signedDo(t *testing.T, u user, method, pathAndQuery string, body string) (int, wire.Error) {
	t.Helper()
	req, err := http.NewRequest(method, s.tvmURL+pathAndQuery, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: u.AccessKeyID, SecretAccessKey: u.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e wire.Error
	_ = json.Unmarshal(data, &e)
	if resp.StatusCode == http.StatusOK {
		var c wire.Credentials
		if json.Unmarshal(data, &c) == nil {
			s.addSecret(c.SecretAccessKey)
			s.addSecret(c.Token)
		}
	}
	return resp.StatusCode, e
}

// TestHostileRequests sends malformed, oversized and unauthorised requests through the
// real front to the real handler: each must get its 4xx and one decision line, and none
// may be allowed or answered with a 5xx.
func TestHostileRequests(t *testing.T) {
	s := needStack(t)
	long := strings.Repeat("a", 200)
	cases := []struct {
		name       string
		u          user
		method     string
		path, body string
		status     int
		code       string
	}{
		{"no profile", s.alice, "GET", "/v1/credentials", "", 400, wire.CodeInvalidProfile},
		{"unknown profile", s.alice, "GET", "/v1/credentials?profile=nope", "", 404, wire.CodeUnknownProfile},
		{"path traversal profile", s.alice, "GET", "/v1/credentials?profile=..%2Fdemo-admin", "", 400, wire.CodeInvalidProfile},
		{"NUL in profile", s.alice, "GET", "/v1/credentials?profile=demo%00readonly", "", 400, wire.CodeInvalidProfile},
		{"unicode profile", s.alice, "GET", "/v1/credentials?profile=d%C3%A9mo", "", 400, wire.CodeInvalidProfile},
		{"long profile", s.alice, "GET", "/v1/credentials?profile=" + long, "", 400, wire.CodeInvalidProfile},
		{"repeated profile", s.alice, "GET", "/v1/credentials?profile=demo-readonly&profile=demo-admin", "", 400, ""},
		{"duration not a number", s.alice, "GET", "/v1/credentials?profile=demo-readonly&duration=abc", "", 400, wire.CodeInvalidDuration},
		{"duration too short", s.alice, "GET", "/v1/credentials?profile=demo-readonly&duration=60", "", 400, wire.CodeInvalidDuration},
		{"duration huge", s.alice, "GET", "/v1/credentials?profile=demo-readonly&duration=99999999999999999999", "", 400, wire.CodeInvalidDuration},
		{"duration negative", s.alice, "GET", "/v1/credentials?profile=demo-readonly&duration=-900", "", 400, wire.CodeInvalidDuration},
		// Beyond the TVM's 8,192-byte query limit (handler.MaxQueryBytes), which leaves room for
		// the largest scope beside the longest reason.
		{"oversized query", s.alice, "GET", "/v1/credentials?profile=demo-readonly&pad=" + strings.Repeat("x", 9000), "", 413, wire.CodeRequestTooLarge},
		{"body on GET", s.alice, "GET", "/v1/credentials?profile=demo-readonly", strings.Repeat("b", 4096), 413, wire.CodeRequestTooLarge},
		{"wrong method", s.alice, "POST", "/v1/credentials?profile=demo-readonly", "", 405, wire.CodeMethodNotAllowed},
		{"unknown route", s.alice, "GET", "/v2/credentials", "", 404, wire.CodeNotFound},
		{"denied caller", s.mallory, "GET", "/v1/credentials?profile=demo-readonly", "", 403, wire.CodeAccessDenied},
		{"denied profile", s.alice, "GET", "/v1/credentials?profile=demo-admin", "", 403, wire.CodeAccessDenied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.decisionLines(t))
			status, body := s.signedDo(t, tc.u, tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("status %d (%s: %s), want %d", status, body.Code, body.Message, tc.status)
			}
			if tc.code != "" && body.Code != tc.code {
				t.Errorf("code %q, want %q", body.Code, tc.code)
			}
			if body.RequestID == "" {
				t.Error("error body has no request_id")
			}
			lines := s.decisionLines(t)[before:]
			if len(lines) != 1 {
				t.Fatalf("%d decision lines, want exactly 1", len(lines))
			}
			if d := lines[0]; d.Decision == "allow" || d.Status != tc.status {
				t.Errorf("decision line %+v, want a refusal with status %d", d, tc.status)
			}
			if tc.status == 403 && (body.Rule == "" || lines[0].Rule != body.Rule) {
				t.Errorf("denial names rule %q, log names %q: both must name the deciding rule", body.Rule, lines[0].Rule)
			}
		})
	}

	t.Run("unsigned", func(t *testing.T) {
		before := len(s.decisionLines(t))
		resp, err := http.Get(s.tvmURL + "/v1/credentials?profile=demo-readonly")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("unsigned request got %d, want 403 from the front", resp.StatusCode)
		}
		if n := len(s.decisionLines(t)) - before; n != 0 {
			t.Errorf("an unsigned request reached the TVM (%d decision lines)", n)
		}
	})
}

// functionURLEvent is a minimal Function URL event; iam is the authorizer block or nil.
func functionURLEvent(path, query string, iam map[string]string) []byte {
	ev := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
		"headers": map[string]string{"host": "abc.lambda-url.us-east-1.on.aws"},
		"requestContext": map[string]any{
			"accountId": "anonymous", "apiId": "abc", "domainName": "abc.lambda-url.us-east-1.on.aws",
			"requestId": "e2e-request", "routeKey": "$default", "stage": "$default",
			"http": map[string]string{"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "e2e"},
		},
		"isBase64Encoded": false,
	}
	if iam != nil {
		ev["requestContext"].(map[string]any)["authorizer"] = map[string]any{"iam": iam}
	}
	data, _ := json.Marshal(ev)
	return data
}

// TestMissingIdentityAndInvalidPolicy invokes the handler as Lambda would, with events
// the front never builds: no IAM caller, and a TVM whose policy file is invalid.
func TestMissingIdentityAndInvalidPolicy(t *testing.T) {
	s := needStack(t)
	var log testkit.Buffer
	newHandler := func(policyText string) *handler.Handler {
		path := filepath.Join(t.TempDir(), "policy.yaml")
		writeFile(t, path, policyText)
		svc, err := tvm.New(assume.New(assume.NewClient(s.awsConfig())), policystore.File(path))
		if err != nil {
			t.Fatal(err)
		}
		return handler.New(svc, handler.WithDecisionLogger(newJSONLogger(&log)), handler.WithLogger(newJSONLogger(&log)))
	}
	status := func(t *testing.T, h *handler.Handler, ev []byte) (int, wire.Error) {
		t.Helper()
		out, err := h.Invoke(context.Background(), ev)
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		var e wire.Error
		_ = json.Unmarshal([]byte(resp.Body), &e)
		return resp.StatusCode, e
	}
	alice := map[string]string{"accessKey": s.alice.AccessKeyID, "accountId": accountID, "callerId": s.alice.UserID, "userArn": s.alice.ARN, "userId": s.alice.UserID}

	t.Run("missing identity", func(t *testing.T) {
		if code, e := status(t, newHandler(e2ePolicy), functionURLEvent("/v1/credentials", "profile=demo-readonly", nil)); code != 401 || e.Code != wire.CodeUnauthenticated {
			t.Errorf("got %d %q, want 401 %s", code, e.Code, wire.CodeUnauthenticated)
		}
	})
	t.Run("policy with unknown field", func(t *testing.T) {
		h := newHandler(strings.Replace(e2ePolicy, "rules:", "rulez: []\nrules:", 1))
		for _, route := range []string{"/v1/credentials", "/v1/profiles", "/v1/whoami"} {
			code, e := status(t, h, functionURLEvent(route, "profile=demo-readonly", alice))
			if code != 403 || e.Code != wire.CodePolicyInvalid {
				t.Errorf("%s: got %d %q, want 403 %s", route, code, e.Code, wire.CodePolicyInvalid)
			}
		}
		res := s.vend(t, s.alice, nil, "policy", "validate", writeTemp(t, strings.Replace(e2ePolicy, "rules:", "rulez: []\nrules:", 1)))
		if res.code != 1 || !strings.Contains(res.stdout+res.stderr, "rulez") {
			t.Errorf("vend policy validate: exit %d, output does not name the unknown field:\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
	if n := strings.Count(log.String(), `"msg":"decision"`); n != 4 {
		t.Errorf("%d decision lines for 4 requests", n)
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, path, content)
	return path
}

// TestLoopbackEndpoint runs `vend serve` and attacks its endpoint the way a browser page
// or another local user would; then checks that 100 concurrent requests are answered
// from the cache without another TVM call. serve runs with --no-cache so that its one
// call is not answered by the disk cache earlier tests filled.
func TestLoopbackEndpoint(t *testing.T) {
	s := needStack(t)
	before := s.countDecisions(t, allowedProfile, "allow")
	url, token := s.startServe(t, "--no-cache")
	port := strings.TrimPrefix(strings.Split(strings.TrimPrefix(url, "http://"), "/")[0], "127.0.0.1:")

	do := func(mod func(*http.Request)) (int, []byte) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", token)
		mod(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}
	refusals := []struct {
		name   string
		mod    func(*http.Request)
		status int
	}{
		{"missing token", func(r *http.Request) { r.Header.Del("Authorization") }, 401},
		{"wrong token", func(r *http.Request) { r.Header.Set("Authorization", token[:len(token)-1]+"x") }, 403},
		{"token with Bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }, 403},
		{"rebinding host", func(r *http.Request) { r.Host = "attacker.example:" + port }, 403},
		{"browser origin", func(r *http.Request) { r.Header.Set("Origin", "https://attacker.example") }, 403},
		{"browser referer", func(r *http.Request) { r.Header.Set("Referer", "https://attacker.example/") }, 403},
		{"fetch metadata", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, 403},
		{"post", func(r *http.Request) { r.Method = "POST" }, 405},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(tc.mod)
			if status != tc.status {
				t.Errorf("status %d, want %d", status, tc.status)
			}
			if strings.Contains(string(body), "SecretAccessKey") {
				t.Errorf("a refused request got credentials: %s", body)
			}
		})
	}

	t.Run("100 concurrent requests, one TVM call", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan string, 100)
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body := do(func(*http.Request) {})
				var c wire.Credentials
				if status != 200 || json.Unmarshal(body, &c) != nil || c.SecretAccessKey == "" {
					errs <- fmt.Sprintf("status %d", status)
					return
				}
				if time.Until(c.Expiration) < 15*time.Minute {
					errs <- "served credentials expiring within 15 minutes: " + c.Expiration.String()
				}
				s.addSecret(c.SecretAccessKey)
				s.addSecret(c.Token)
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		if got := s.countDecisions(t, allowedProfile, "allow") - before; got != 1 {
			t.Errorf("vend serve plus 100 requests made %d TVM calls, want 1", got)
		}
	})
}

// startServe starts `vend serve --format json` as alice, with flags, and returns its
// endpoint; the process is stopped with SIGTERM when the test ends and must exit cleanly.
func (s *stack) startServe(t *testing.T, flags ...string) (url, token string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, s.vendBin, append([]string{"serve", allowedProfile, "--format", "json"}, flags...)...)
	cmd.Env = s.baseEnv(s.alice)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testkit.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer cancel()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("vend serve did not exit cleanly on SIGTERM: %v\n%s", err, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("vend serve did not stop within 15s of SIGTERM")
			_ = cmd.Process.Kill()
		}
		s.addLog(stderr.String())
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("vend serve printed no endpoint: %v\nstderr: %s", err, stderr.String())
	}
	var ep map[string]string
	if err := json.Unmarshal([]byte(line), &ep); err != nil {
		t.Fatalf("vend serve --format json printed %q: %v", line, err)
	}
	url, token = ep["AWS_CONTAINER_CREDENTIALS_FULL_URI"], ep["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
	if !strings.HasPrefix(url, "http://127.0.0.1:") || len(token) < 43 {
		t.Fatalf("endpoint %q with a %d-character token: want loopback and a 256-bit token", url, len(token))
	}
	s.addSecret(token)
	return url, token
}

// TestExport checks `vend export` output and feeds the vended secret to the log scan.
func TestExport(t *testing.T) {
	s := needStack(t)
	res := s.vend(t, s.alice, nil, "export", allowedProfile, "-o", "json")
	if res.code != 0 {
		t.Fatalf("export exited %d: %s", res.code, res.stderr)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("export --format json: %v\n%s", err, res.stdout)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"} {
		if out[k] == "" {
			t.Errorf("export lacks %s", k)
		}
	}
	if out["AWS_ACCESS_KEY_ID"] == s.alice.AccessKeyID {
		t.Error("export printed the caller's own key, not vended credentials")
	}
	s.addSecret(out["AWS_SECRET_ACCESS_KEY"])
	s.addSecret(out["AWS_SESSION_TOKEN"])
	if !strings.Contains(res.stderr, "refresh") {
		t.Errorf("export does not warn that exported credentials do not refresh:\n%s", res.stderr)
	}
}
