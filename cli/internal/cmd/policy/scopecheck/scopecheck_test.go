package scopecheck

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/status"
)

func td(name string) string { return filepath.Join("testdata", name) }

const agentObject = "arn:aws:s3:::reports/agents/run-1.csv"

func TestScopeCheck(t *testing.T) {
	for _, tt := range []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"inside the scope", []string{"--scope", td("agent-scope.json"), "--action", "s3:GetObject", "--resource", agentObject}, status.OK,
			[]string{"ALLOW  s3:GetObject on " + agentObject, "allowed by identity policy role/AssumedToAllow and session policy scope/ReadAgentReports", "assumed to allow; add --role-policy"}},
		{"another prefix", []string{"--scope", td("agent-scope.json"), "--action", "s3:GetObject", "--resource", "arn:aws:s3:::reports/finance.csv"}, status.Denied,
			[]string{"DENY", "no session policy allows s3:GetObject (the scope leaves it out)"}},
		{"the role allows what the scope does not", []string{"--scope", td("agent-scope.json"), "--role-policy", td("data-role.json"), "--action", "s3:PutObject", "--resource", agentObject}, status.Denied,
			[]string{"DENY  s3:PutObject", "no session policy allows"}},
		{"the role's deny", []string{"--scope", td("agent-scope.json"), "--role-policy", td("data-role.json"), "--action", "s3:GetObject", "--resource", "arn:aws:s3:::reports/agents/audit/log"}, status.Denied,
			[]string{"explicit deny by identity policy data-role.json/NeverTheAuditTrail", "denied by: data-role.json/NeverTheAuditTrail"}},
		{"a profile's session policies", []string{"--policy", td("scoped.yaml"), "--profile", "reports", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::reports/q4.csv"}, status.OK,
			[]string{"ALLOW", "the profile's session policies: scope", "arn:aws:iam::111111111111:role/vend/data"}},
		{"a managed policy read from its file", []string{"--scope-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess", "--managed-policy", "arn:aws:iam::aws:policy/ReadOnlyAccess=" + td("readonly.json"),
			"--action", "s3:ListBucket", "--resource", "arn:aws:s3:::reports"}, status.OK,
			[]string{"ALLOW", "session policy arn:aws:iam::aws:policy/ReadOnlyAccess[0]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			err := e.Run(t, NewCmdScopeCheck(e.F, nil), tt.args...)
			e.Expect(t, err, tt.wantCode, tt.want...)
		})
	}
}

func TestScopeCheckUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no request", []string{"--scope", td("agent-scope.json")}, "--action and --resource are required"},
		{"no session policy", []string{"--action", "s3:GetObject", "--resource", "*"}, "give the session policies"},
		{"profile without policy", []string{"--profile", "reports", "--action", "s3:GetObject", "--resource", "*"}, "--policy and --profile go together"},
		{"scope on a narrowed profile", []string{"--policy", td("scoped.yaml"), "--profile", "reports", "--scope", td("agent-scope.json"), "--action", "s3:GetObject", "--resource", "*"}, "refuses a caller's scope"},
		{"managed policy not read", []string{"--scope-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess", "--action", "s3:GetObject", "--resource", "*"}, "--managed-policy arn:aws:iam::aws:policy/ReadOnlyAccess=FILE"},
		{"managed policy nobody names", []string{"--scope", td("agent-scope.json"), "--managed-policy", "arn:aws:iam::aws:policy/ReadOnlyAccess=" + td("readonly.json"), "--action", "s3:GetObject", "--resource", "*"}, "no session policy names it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			err := e.Run(t, NewCmdScopeCheck(e.F, nil), tt.args...)
			if status.Code(err) != status.Usage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v (exit %d), want a usage error saying %q", err, status.Code(err), tt.want)
			}
		})
	}
}

func TestScopeCheckJSON(t *testing.T) {
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdScopeCheck(e.F, nil), "--scope", td("agent-scope.json"), "--role-policy", td("data-role.json"),
		"--action", "s3:GetObject", "--resource", agentObject, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal([]byte(e.Out.String()), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Allowed || !r.RolePolicies || r.Source != "caller" || r.DecidedBy != "scope/ReadAgentReports" || len(r.Sessions) != 1 {
		t.Errorf("got %+v", r)
	}
}
