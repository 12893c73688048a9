//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/lambda/identity"
)

const scopedProfile = "demo-scoped"

// TestExecScopedSession runs each real client under vend exec --scope with the scope
// sessionpolicy.Proof holds: the TVM passes it to STS as the session policy and records
// its hash, and the client gets the session. The local AWS does not enforce session
// policies, so what the scope lets the session do is decided here by vend policy
// scope-check on the same file (and, on the same documents, by scp's tests and
// scp:crosscheck's independent evaluator).
func TestExecScopedSession(t *testing.T) {
	s := needStack(t)
	proof := sessionpolicy.Proof()
	dir := t.TempDir()
	scopeFile, roleFile := filepath.Join(dir, "agent-scope.json"), filepath.Join(dir, "role.json")
	if err := os.WriteFile(scopeFile, proof.Scope, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(roleFile, proof.Role, 0o600); err != nil {
		t.Fatal(err)
	}
	hash := (sessionpolicy.Scope{Policy: proof.Scope}).SHA256()
	want := "arn:aws:sts::" + prodAccount + ":assumed-role/demo-readonly/" + identity.RoleSessionName(s.alice.caller(t), identity.DefaultPrefix)

	t.Run("without a scope the rule refuses", func(t *testing.T) {
		marker := filepath.Join(t.TempDir(), "child-ran")
		res := s.vend(t, s.alice, nil, "exec", "--no-cache", scopedProfile, "--", "touch", marker)
		if res.code != 3 || !strings.Contains(res.stderr, "scope of your own") || !strings.Contains(res.stderr, "--scope") {
			t.Fatalf("exit %d, want 3 with how to give a scope:\n%s", res.code, res.stderr)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatal("the child ran without the scope the rule requires")
		}
	})

	for _, tc := range realClients(s) {
		t.Run(tc.name, func(t *testing.T) {
			tc.need(t)
			before := len(s.decisionLines(t))
			res := s.vend(t, s.alice, nil, append([]string{"exec", "--no-cache", "--scope", scopeFile, scopedProfile, "--"}, tc.child...)...)
			if got := strings.TrimSpace(res.stdout); res.code != 0 || got != want {
				t.Fatalf("%s under vend exec --scope: exit %d, printed %q, want %q\n%s", tc.name, res.code, got, want, res.stderr)
			}
			lines := s.decisionLines(t)[before:]
			if len(lines) != 1 || lines[0].Decision != "allow" || lines[0].SessionPolicy != "caller" || lines[0].ScopeSHA256 != hash {
				t.Errorf("decision lines %+v, want one allow with the caller's scope %s", lines, hash)
			}
		})
	}
	if strings.Contains(s.decisions.String(), "ReadAgentPrefix") {
		t.Error("the TVM's log holds the scope's text")
	}

	for _, c := range proof.Cases {
		t.Run("scope-check "+c.Name, func(t *testing.T) {
			res := s.vend(t, s.alice, nil, "policy", "scope-check", "-o", "json", "--scope", scopeFile, "--role-policy", roleFile,
				"--role-arn", sessionpolicy.ProofRoleARN, "--action", c.Action, "--resource", c.Resource)
			var out struct{ Allowed bool }
			if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || out.Allowed != c.Allowed || (res.code == 0) != c.Allowed {
				t.Errorf("%s on %s: exit %d, %s (%v), want allowed=%v", c.Action, c.Resource, res.code, res.stdout, err, c.Allowed)
			}
		})
	}
}
