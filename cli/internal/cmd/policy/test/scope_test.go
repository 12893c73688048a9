package test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/internal/sessionpolicy"
)

var (
	scopedFile = filepath.Join("testdata", "scoped.yaml")
	agentScope = filepath.Join("testdata", "agent-scope.json")
)

const (
	agentARN   = "arn:aws:sts::444444444444:assumed-role/agent/run-7"
	analystARN = "arn:aws:sts::444444444444:assumed-role/analyst/ana"
)

func TestPolicyTestShowsTheSession(t *testing.T) {
	for _, tt := range []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"an agent without a scope", []string{"--principal", agentARN, "--profile", "data"}, status.Denied,
			[]string{"DENY  data", "rule:    agents-scoped", "reason:  rule agents-scoped allows this caller only with a scope", "scope:   refused: the TVM answers scope_required\n"}},
		{"an agent with a scope", []string{"--principal", agentARN, "--profile", "data", "--scope", agentScope}, status.OK,
			[]string{"ALLOW  data", "session: narrowed by the caller's session policies: document sha256 "}},
		{"a profile's own session policy", []string{"--principal", analystARN, "--profile", "reports"}, status.OK,
			[]string{"ALLOW  reports", "session: narrowed by the profile's session policies: document sha256 "}},
		{"a scope on a narrowed profile", []string{"--principal", analystARN, "--profile", "reports", "--scope", agentScope}, status.Denied,
			[]string{"DENY  reports", "reason:  profile reports carries session policies of its own", "scope:   refused: the TVM answers invalid_scope\n"}},
		{"no session policy", []string{"--principal", analystARN, "--profile", "data"}, status.OK,
			[]string{"ALLOW  data", "session: the role's own permissions (no session policy)"}},
		{"a managed policy of another account", []string{"--principal", analystARN, "--profile", "data", "--scope-arn", "arn:aws:iam::222222222222:policy/p"}, status.Denied,
			[]string{"reason:  managed policy arn:aws:iam::222222222222:policy/p is in account 222222222222", "scope:   refused: the TVM answers invalid_scope\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			err := e.Run(t, NewCmdTest(e.F, nil), append([]string{scopedFile}, tt.args...)...)
			e.Expect(t, err, tt.wantCode, tt.want...)
		})
	}

	e := cmdtest.New(t)
	if err := e.Run(t, NewCmdTest(e.F, nil), scopedFile, "--principal", agentARN, "--profile", "data", "--scope", agentScope, "-o", "json"); err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal([]byte(e.Out.String()), &r); err != nil {
		t.Fatal(err)
	}
	doc, err := sessionpolicy.ParseDocument([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"ReadAgentReports","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/agents/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Session; s == nil || s.Source != "caller" || !s.ScopeRequired || s.SHA256 != (sessionpolicy.Scope{Policy: doc}).SHA256() || s.Refused != "" {
		t.Errorf("session %+v, want the caller's scope with the file's hash", r.Session)
	}
}
