package scp

import (
	"strings"
	"testing"

	"github.com/vend-tvm/vend/internal/sessionpolicy"
)

func sessionDoc(t *testing.T, name string, kind Kind, text string) Document {
	t.Helper()
	d, err := ParseDocument(name, kind, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A scoped session may do what the role and the scope both allow and neither denies;
// the session policies of one call are one set.
func TestEvaluateSession(t *testing.T) {
	role := []Document{sessionDoc(t, "data-access", KindIdentity, `{"Version":"2012-10-17","Statement":[
		{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"},
		{"Sid":"NoAudit","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::audit/*"}]}`)}
	scope := sessionDoc(t, "scope", KindSession, `{"Version":"2012-10-17","Statement":[
		{"Sid":"ReadAgents","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/agents/*"}]}`)
	audit := sessionDoc(t, "arn:aws:iam::111111111111:policy/read-audit", KindSession, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::audit/*"}]}`)
	const session = "arn:aws:iam::111111111111:role/vend/data"
	for _, tc := range []struct {
		name     string
		action   string
		resource string
		session  []Document
		want     Decision
		reason   string
	}{
		{"inside the scope", "s3:GetObject", "arn:aws:s3:::reports/agents/run-1.csv", []Document{scope}, Allow, "session policy scope/ReadAgents"},
		{"another prefix", "s3:GetObject", "arn:aws:s3:::reports/finance.csv", []Document{scope}, Deny, "no session policy allows"},
		{"another action", "s3:PutObject", "arn:aws:s3:::reports/agents/run-1.csv", []Document{scope}, Deny, "no session policy allows"},
		{"outside the role", "ec2:RunInstances", "*", []Document{sessionDoc(t, "all", KindSession, allowAll)}, Deny, "no identity policy of the role allows"},
		{"the role's deny wins", "s3:GetObject", "arn:aws:s3:::audit/x", []Document{audit}, Deny, "explicit deny by identity policy data-access/NoAudit"},
		{"one set: either allows", "s3:GetObject", "arn:aws:s3:::reports/agents/x", []Document{audit, scope}, Allow, "scope/ReadAgents"},
		{"no session policy: the role", "s3:PutObject", "arn:aws:s3:::reports/x", nil, Allow, "allowed by identity policy data-access/S3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := EvaluateSession(Request{Principal: session, Action: tc.action, Resource: tc.resource}, role, tc.session)
			if r.Decision != tc.want || !strings.Contains(r.Reason, tc.reason) || r.Err != nil {
				t.Errorf("%s on %s: %s (%s, %v), want %s (%s)", tc.action, tc.resource, r.Decision, r.Reason, r.Err, tc.want, tc.reason)
			}
		})
	}
	withPrincipal := sessionDoc(t, "bad", KindSession, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`)
	if r := EvaluateSession(Request{Principal: session, Action: "s3:GetObject", Resource: "*"}, role, []Document{withPrincipal}); r.Decision != Deny || r.Err == nil {
		t.Errorf("a session policy with a principal: %s %v, want a fail-closed deny", r.Decision, r.Err)
	}
}

// TestScopeProof decides sessionpolicy.Proof with this package's evaluator: the same
// cases the cross-check puts to an independent evaluator and the end-to-end tests send
// through vend exec --scope.
func TestScopeProof(t *testing.T) {
	p := sessionpolicy.Proof()
	role := []Document{sessionDoc(t, "role", KindIdentity, string(p.Role))}
	scope := []Document{sessionDoc(t, "scope", KindSession, string(p.Scope))}
	for _, c := range p.Cases {
		want := Deny
		if c.Allowed {
			want = Allow
		}
		r := EvaluateSession(Request{Principal: sessionpolicy.ProofRoleARN, Action: c.Action, Resource: c.Resource}, role, scope)
		if r.Decision != want || r.Err != nil {
			t.Errorf("%s: %s (%s, %v), want %s", c.Name, r.Decision, r.Reason, r.Err, want)
		}
		if unscoped := EvaluateIdentity(Request{Principal: sessionpolicy.ProofRoleARN, Action: c.Action, Resource: c.Resource}, role); !c.Allowed && c.Action != "iam:CreateUser" && unscoped.Decision != Allow {
			t.Errorf("%s: the role alone denies it too (%s), so the case proves nothing about the scope", c.Name, unscoped.Reason)
		}
	}
}
