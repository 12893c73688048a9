package e2e

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vend-tvm/vend/terraform/internal/moto"
	"github.com/vend-tvm/vend/terraform/internal/tfcli"
)

// region is the region the apply tests pretend to deploy to.
const region = "us-east-1"

// requireTool skips the test when name is not on PATH, unless CI=true, where a missing
// tool is a failure: CI must run every test.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not on PATH and CI=true: %v", name, err)
		}
		t.Skipf("%s is not on PATH (set CI=true to make this a failure)", name)
	}
}

// testContext bounds a test's commands: go test's own -timeout would kill the binary
// without running cleanups (and so leave moto_server behind).
func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// startApply begins a test that applies configurations: it needs terraform and
// moto_server, runs beside the other tests, ends within d, and gets its own moto_server
// (started with opts) and a workspace.
func startApply(t *testing.T, d time.Duration, opts ...moto.Option) (context.Context, *moto.Server, string) {
	t.Helper()
	requireTool(t, tfcli.Binary)
	requireTool(t, moto.Binary)
	t.Parallel()
	ctx := testContext(t, d)
	return ctx, startMoto(t, ctx, opts...), workspace(t)
}

// workspace copies the modules and examples into a fresh directory, so that init, state
// and override files never touch the work tree.
func workspace(t *testing.T) string {
	t.Helper()
	// Keep the repository's layout: the org-guardrails module reads the SCP templates
	// (and its tests the Go golden files) from ../scp relative to terraform/.
	root := t.TempDir()
	dst := filepath.Join(root, "terraform")
	for _, dir := range []string{"modules", "examples"} {
		if err := tfcli.CopyTree(filepath.Join("..", dir), filepath.Join(dst, dir)); err != nil {
			t.Fatalf("copy %s: %v", dir, err)
		}
	}
	for _, dir := range []string{"templates", filepath.Join("testdata", "golden")} {
		if err := tfcli.CopyTree(filepath.Join("..", "..", "scp", dir), filepath.Join(root, "scp", dir)); err != nil {
			t.Fatalf("copy scp/%s: %v", dir, err)
		}
	}
	return dst
}

// newRunner returns a terraform runner for dir whose log is printed (its last lines)
// only when the test fails.
func newRunner(t *testing.T, dir string) *tfcli.Runner {
	t.Helper()
	r, err := tfcli.New(dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	r.Log = &log
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("terraform log for %s (last 150 lines):\n%s", dir, tail(log.String(), 150))
		}
	})
	return r
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// startMoto runs a moto_server for this test only and stops it in cleanup.
func startMoto(t *testing.T, ctx context.Context, opts ...moto.Option) *moto.Server {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "moto.log")
	srv, err := moto.Start(ctx, append(opts, moto.WithLog(logPath))...)
	if err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() {
		srv.Stop()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("moto_server log (last 40 lines):\n%s", tail(string(b), 40))
			}
		}
	})
	return srv
}

// bootstrapZip writes a Lambda zip holding an executable bootstrap; moto stores it but
// never runs it.
func bootstrapZip(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tvm.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("#!/bin/sh\nexit 1\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// awsConfig talks to the local AWS with static test credentials, ignoring whatever
// AWS configuration the machine has.
func awsConfig(endpoint string) aws.Config {
	return awsConfigFor(endpoint, "test", "test")
}

func awsConfigFor(endpoint, keyID, secret string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// accountConfig acts in acct of the local organisation, as its
// OrganizationAccountAccessRole (the local AWS's STS issues sessions in the account a
// role ARN names).
func accountConfig(endpoint, acct string) aws.Config {
	cfg := awsConfig(endpoint)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), "arn:aws:iam::"+acct+":role/OrganizationAccountAccessRole"))
	return cfg
}

// must fails the test with the step's name when err is not nil.
func must(t *testing.T, step string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// output decodes one terraform output into v.
func output(t *testing.T, outputs map[string]json.RawMessage, name string, v any) {
	t.Helper()
	raw, ok := outputs[name]
	if !ok {
		t.Fatalf("terraform output %q missing", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode terraform output %q: %v", name, err)
	}
}

// policyDoc is an IAM or resource policy document, statements normalised to a list.
type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"`
	Action    stringList                   `json:"Action"`
	Resource  stringList                   `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition"`
}

// stringList accepts IAM's "x" and ["x", "y"] forms.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*l = many
	return nil
}

// decodePolicy parses a policy document as IAM returns it (URL-encoded) or as JSON.
func decodePolicy(t *testing.T, doc string) policyDoc {
	t.Helper()
	if strings.HasPrefix(doc, "%7B") {
		unescaped, err := url.QueryUnescape(doc)
		if err != nil {
			t.Fatalf("unescape policy: %v", err)
		}
		doc = unescaped
	}
	var p policyDoc
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("decode policy %q: %v", doc, err)
	}
	return p
}

func (p policyDoc) bySid(t *testing.T, sid string) statement {
	t.Helper()
	for _, s := range p.Statement {
		if s.Sid == sid {
			return s
		}
	}
	t.Fatalf("policy has no statement %q: %+v", sid, p.Statement)
	return statement{}
}

// awsPrincipals returns the AWS principals of a statement ("AWS": "x" or ["x", ...]).
func (s statement) awsPrincipals(t *testing.T) []string {
	t.Helper()
	m, ok := s.Principal.(map[string]any)
	if !ok {
		t.Fatalf("statement %q: principal %v is not a map", s.Sid, s.Principal)
	}
	switch v := m["AWS"].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	default:
		t.Fatalf("statement %q: no AWS principal in %v", s.Sid, s.Principal)
		return nil
	}
}

// renderPolicy renders a policy template the way the tvm module's templatefile() does
// for the placeholders the examples use.
func renderPolicy(t *testing.T, path string, vars map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "${"+k+"}", v)
	}
	s = strings.ReplaceAll(s, "$${", "${")
	if strings.Contains(s, "${") && !strings.Contains(string(b), "$${") {
		t.Fatalf("policy %s has placeholders the test does not know:\n%s", path, s)
	}
	return s
}

// writeProviderOverride points an example's AWS providers (the default one and each
// alias) at the local AWS without changing the example: Terraform merges *_override.tf
// files into the configuration, so an alias keeps its assume_role.
func writeProviderOverride(t *testing.T, dir, endpoint string, aliases ...string) {
	t.Helper()
	var b strings.Builder
	for _, alias := range append([]string{""}, aliases...) {
		b.WriteString("provider \"aws\" {\n")
		if alias != "" {
			fmt.Fprintf(&b, "  alias                       = %q\n", alias)
		}
		fmt.Fprintf(&b, "  region                      = %q\n", region)
		b.WriteString("  access_key                  = \"test\"\n  secret_key                  = \"test\"\n")
		b.WriteString("  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n")
		b.WriteString("  endpoints {\n")
		for _, svc := range []string{"apigatewayv2", "cloudwatch", "dynamodb", "events", "iam", "kms", "lambda", "logs", "organizations", "sns", "sqs", "ssm", "sts"} {
			fmt.Fprintf(&b, "    %s = %q\n", svc, endpoint)
		}
		b.WriteString("  }\n}\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "moto_override.tf"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}
