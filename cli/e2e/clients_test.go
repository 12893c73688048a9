//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/lambda/identity"
)

// wantARN is the assumed-role ARN that the TVM must vend to u for profile demo-readonly:
// the session name is derived from u's full verified ARN.
func wantARN(t *testing.T, u user) string {
	t.Helper()
	return "arn:aws:sts::" + accountID + ":assumed-role/demo-readonly/" + identity.RoleSessionName(u.caller(t), identity.DefaultPrefix)
}

// client is a real AWS client that prints the ARN of the identity it runs as.
type client struct {
	name  string
	check []string // a command that fails when the client is not installed
	child []string
}

// need skips the calling (sub)test outside CI, or fails it under CI=true, when the
// client is not installed.
func (c client) need(t *testing.T) {
	t.Helper()
	if c.check != nil {
		needTool(t, c.name, c.check...)
	}
}

// realClients returns the clients under test.
func realClients(s *stack) []client {
	jsDir, _ := filepath.Abs("testdata/js")
	pyScript, _ := filepath.Abs("testdata/python/caller_identity.py")
	jsPkg := filepath.Join(jsDir, "node_modules", "@aws-sdk", "client-sts", "package.json")
	return []client{
		{"aws-cli", []string{"aws", "--version"}, []string{"aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"}},
		{"boto3", []string{"python3", "-c", "import boto3"}, []string{"python3", pyScript}},
		{"go-sdk-v2", nil, []string{s.goBin}},
		{"js-sdk-v3 (npm ci in cli/e2e/testdata/js)", []string{"test", "-f", jsPkg}, []string{"node", filepath.Join(jsDir, "caller-identity.mjs")}},
	}
}

// TestExecRealClients runs each real AWS client under `vend exec` and checks that it
// sees the role session the TVM vended, not the caller's base identity.
func TestExecRealClients(t *testing.T) {
	s := needStack(t)
	want := wantARN(t, s.alice)
	for _, tc := range realClients(s) {
		t.Run(tc.name, func(t *testing.T) {
			tc.need(t)
			// Each client reads the token from the environment and, separately, from
			// the token file that SDKs re-read on every fetch.
			for _, mode := range [][]string{nil, {"--token-file"}} {
				args := append(append([]string{"exec"}, mode...), allowedProfile, "--")
				res := s.vend(t, s.alice, nil, append(args, tc.child...)...)
				if res.code != 0 {
					t.Fatalf("vend exec %v exited %d\nstdout: %s\nstderr: %s", mode, res.code, res.stdout, res.stderr)
				}
				if got := strings.TrimSpace(res.stdout); got != want {
					t.Fatalf("%s (vend exec %v) printed %q, want the vended role session %q", tc.name, mode, got, want)
				}
			}
		})
	}
}

// TestExecTwoWorkloadAccounts: one TVM, in the security account, vends each real client
// a session in either workload account, named after the same verified caller.
func TestExecTwoWorkloadAccounts(t *testing.T) {
	s := needStack(t)
	session := identity.RoleSessionName(s.alice.caller(t), identity.DefaultPrefix)
	for _, tc := range realClients(s) {
		t.Run(tc.name, func(t *testing.T) {
			tc.need(t)
			for profile, account := range map[string]string{allowedProfile: accountID, "demo-prod-readonly": prodAccount} {
				res := s.vend(t, s.alice, nil, append([]string{"exec", "--no-cache", profile, "--"}, tc.child...)...)
				want := "arn:aws:sts::" + account + ":assumed-role/demo-readonly/" + session
				if got := strings.TrimSpace(res.stdout); res.code != 0 || got != want {
					t.Fatalf("%s under vend exec %s: exit %d, printed %q, want %q\n%s", tc.name, profile, res.code, got, want, res.stderr)
				}
			}
		})
	}
}

// TestExecDenied checks that a denial names the rule and reason, exits 3 and never
// starts the child.
func TestExecDenied(t *testing.T) {
	s := needStack(t)
	cases := []struct {
		name       string
		u          user
		profile    string
		wantRule   string
		wantReason string
	}{
		{"explicit deny", s.mallory, allowedProfile, "contractors-denied", "Contractors never get vend credentials"},
		{"no rule allows", s.alice, adminProfile, "default-deny", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "child-ran")
			res := s.vend(t, tc.u, nil, "exec", tc.profile, "--", "touch", marker)
			if res.code != 3 {
				t.Fatalf("exit code %d, want 3 (denied)\nstderr: %s", res.code, res.stderr)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the child ran although the TVM denied the request")
			}
			if !strings.Contains(res.stderr, tc.wantRule) || !strings.Contains(res.stderr, tc.wantReason) {
				t.Errorf("stderr does not name rule %q and reason %q:\n%s", tc.wantRule, tc.wantReason, res.stderr)
			}
			if strings.Contains(res.stdout+res.stderr, "SecretAccessKey") {
				t.Errorf("a denial printed credentials:\n%s%s", res.stdout, res.stderr)
			}
		})
	}
}

// Regression: each `vend exec` called the TVM, so three execs left three decision lines.
// The first one fetches; the others start from the disk cache; --no-cache asks again.
func TestExecReusesTheDiskCache(t *testing.T) {
	s := needStack(t)
	env := []string{"XDG_CACHE_HOME=" + t.TempDir()}
	before := s.countDecisions(t, allowedProfile, "allow")
	for i := range 3 {
		res := s.vend(t, s.alice, env, "exec", allowedProfile, "--", s.goBin)
		if res.code != 0 || strings.TrimSpace(res.stdout) != wantARN(t, s.alice) {
			t.Fatalf("exec %d exited %d, printed %q\nstderr: %s", i+1, res.code, res.stdout, res.stderr)
		}
	}
	if got := s.countDecisions(t, allowedProfile, "allow") - before; got != 1 {
		t.Errorf("three execs made %d TVM decisions, want 1", got)
	}
	if res := s.vend(t, s.alice, env, "exec", "--no-cache", allowedProfile, "--", "true"); res.code != 0 {
		t.Fatalf("exec --no-cache exited %d: %s", res.code, res.stderr)
	}
	if got := s.countDecisions(t, allowedProfile, "allow") - before; got != 2 {
		t.Errorf("--no-cache: %d TVM decisions in all, want 2", got)
	}
	// Another identity with the same cache never gets alice's credentials.
	res := s.vend(t, s.mallory, env, "exec", allowedProfile, "--", "true")
	if res.code != 3 || !strings.Contains(res.stderr, "contractors-denied") {
		t.Errorf("mallory after alice exited %d (want 3, denied):\n%s", res.code, res.stderr)
	}
}

// TestCredentialProcess drives vend through the AWS CLI's credential_process setting,
// and checks that the second AWS CLI call is served from vend's disk cache.
func TestCredentialProcess(t *testing.T) {
	s := needStack(t)
	needTool(t, "aws")
	home := t.TempDir()
	awsDir := filepath.Join(home, ".aws")
	if err := os.MkdirAll(awsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "[profile vended]\nregion = " + region + "\ncredential_process = " + s.vendBin + " credential-process --base-profile base " + allowedProfile + "\n" +
		"[profile loop]\nregion = " + region + "\ncredential_process = " + s.vendBin + " credential-process " + allowedProfile + "\n"
	creds := "[base]\naws_access_key_id = " + s.alice.AccessKeyID + "\naws_secret_access_key = " + s.alice.SecretAccessKey + "\n"
	writeFile(t, filepath.Join(awsDir, "config"), cfg)
	writeFile(t, filepath.Join(awsDir, "credentials"), creds)

	env := s.baseEnv(s.alice)
	env = withoutKeys(env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
	env = append(env,
		"AWS_CONFIG_FILE="+filepath.Join(awsDir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(awsDir, "credentials"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"))

	want := wantARN(t, s.alice)
	before := s.countDecisions(t, allowedProfile, "allow")
	for i := 0; i < 2; i++ {
		res := s.run(t, env, "aws", "sts", "get-caller-identity", "--profile", "vended", "--query", "Arn", "--output", "text")
		if res.code != 0 {
			t.Fatalf("aws call %d exited %d\nstderr: %s", i+1, res.code, res.stderr)
		}
		if got := strings.TrimSpace(res.stdout); got != want {
			t.Fatalf("aws call %d printed %q, want %q", i+1, got, want)
		}
	}
	if got := s.countDecisions(t, allowedProfile, "allow") - before; got != 1 {
		t.Errorf("two AWS CLI calls made %d TVM calls, want 1 (the second from the disk cache)", got)
	}

	// Regression: AWS_PROFILE naming a vend profile without --base-profile made vend's
	// base credentials run vend again, without end. It must fail fast and say why.
	t.Run("profile that calls itself", func(t *testing.T) {
		res := s.run(t, append(env, "AWS_PROFILE=loop"), "aws", "sts", "get-caller-identity", "--profile", "loop")
		if res.code == 0 || !strings.Contains(res.stderr, "--base-profile") {
			t.Errorf("exit %d, stderr does not point at --base-profile:\n%s", res.code, res.stderr)
		}
	})
}

// TestWhoamiAndProfiles checks what the TVM tells a caller about itself.
func TestWhoamiAndProfiles(t *testing.T) {
	s := needStack(t)
	res := s.vend(t, s.alice, nil, "whoami", "-o", "json")
	if res.code != 0 {
		t.Fatalf("whoami exited %d: %s", res.code, res.stderr)
	}
	var who struct {
		Caller struct {
			ARN       string `json:"arn"`
			AccountID string `json:"account_id"`
			OrgID     string `json:"org_id"`
		} `json:"caller"`
		SourceIdentity string `json:"source_identity"`
		PolicyHash     string `json:"policy_hash"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &who); err != nil {
		t.Fatalf("whoami --json is not JSON: %v\n%s", err, res.stdout)
	}
	if who.Caller.ARN != s.alice.ARN || who.Caller.AccountID != accountID || who.Caller.OrgID != orgID {
		t.Errorf("whoami caller = %+v, want %s in %s/%s", who.Caller, s.alice.ARN, accountID, orgID)
	}
	if want := identity.SourceIdentity(s.alice.caller(t), identity.DefaultPrefix); who.SourceIdentity != want {
		t.Errorf("source identity %q, want %q", who.SourceIdentity, want)
	}
	if !strings.HasPrefix(who.PolicyHash, "sha256:") {
		t.Errorf("policy hash %q", who.PolicyHash)
	}

	res = s.vend(t, s.alice, nil, "profiles", "--json")
	if res.code != 0 {
		t.Fatalf("profiles exited %d: %s", res.code, res.stderr)
	}
	var profs struct {
		Profiles []struct {
			Name    string `json:"name"`
			Allowed bool   `json:"allowed"`
			Rule    string `json:"rule"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &profs); err != nil {
		t.Fatalf("profiles --json: %v\n%s", err, res.stdout)
	}
	got := map[string]string{}
	for _, p := range profs.Profiles {
		got[p.Name] = map[bool]string{true: "allow", false: "deny"}[p.Allowed] + " by " + p.Rule
	}
	want := map[string]string{allowedProfile: "allow by engineers-readonly", adminProfile: "deny by default-deny"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("profile %s: %q, want %q", k, got[k], v)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func withoutKeys(env []string, keys ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, key := range keys {
			drop = drop || k == key
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// decisionLine is the part of a TVM decision log line the tests read.
type decisionLine struct {
	Msg           string `json:"msg"`
	Profile       string `json:"profile"`
	Decision      string `json:"decision"`
	Status        int    `json:"status"`
	Code          string `json:"code"`
	Rule          string `json:"rule"`
	SessionPolicy string `json:"session_policy"`
	ScopeSHA256   string `json:"scope_sha256"`
}

func (s *stack) decisionLines(t *testing.T) []decisionLine {
	t.Helper()
	var out []decisionLine
	for _, line := range strings.Split(s.decisions.String(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var d decisionLine
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("TVM log line is not JSON: %v\n%s", err, line)
		}
		if d.Msg == "decision" {
			out = append(out, d)
		}
	}
	return out
}

func (s *stack) countDecisions(t *testing.T, profile, decision string) int {
	t.Helper()
	n := 0
	for _, d := range s.decisionLines(t) {
		if d.Profile == profile && d.Decision == decision {
			n++
		}
	}
	return n
}
