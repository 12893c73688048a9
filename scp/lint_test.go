package scp

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestRenderedTemplatesLintClean(t *testing.T) {
	for _, file := range paramFiles {
		for _, d := range renderAll(t, loadParams(t, file)) {
			t.Run(file+"/"+d.Name, func(t *testing.T) {
				for _, f := range Lint(d) {
					t.Errorf("%s", f)
				}
				if d.Size() > MaxDocumentChars/2 {
					t.Logf("%s uses %d of %d characters", d.Name, d.Size(), MaxDocumentChars)
				}
			})
		}
	}
}

// TestLintSizeGrowsWithAccounts pins how many protected accounts fit (the README
// promises about 70 with typical ARNs; protect-tvm-function-and-role, which lists every
// guarded role, is the first to overflow, at 74 with these parameters) and checks that
// the size rule fires beyond.
func TestLintSizeGrowsWithAccounts(t *testing.T) {
	sizeFindings := func(n int) int {
		p := exampleParams(t)
		p.ProtectedAccountIDs = nil
		for i := range n {
			p.ProtectedAccountIDs = append(p.ProtectedAccountIDs, fmt.Sprintf("5%011d", i))
		}
		count := 0
		for _, d := range renderAll(t, p) {
			for _, f := range Lint(d) {
				if f.Rule != RuleSize {
					t.Errorf("unexpected finding %s", f)
				}
				count++
			}
		}
		return count
	}
	if n := sizeFindings(70); n != 0 {
		t.Errorf("70 pinned accounts should fit, got %d size findings", n)
	}
	if n := sizeFindings(80); n == 0 {
		t.Error("80 pinned accounts should exceed the size limit")
	}
}

func TestLintRules(t *testing.T) {
	const (
		scpHead = `{"Version":"2012-10-17","Statement":[`
		tail    = `]}`
	)
	stmt := func(body string) string {
		return `{"Sid":"S","Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"` + body + `}`
	}
	cond := func(c string) string { return stmt(`,"Condition":` + c) }
	rcp := func(body string) string {
		return `{"Sid":"S","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*"` + body + `}`
	}
	tests := []struct {
		name     string
		kind     Kind
		text     string
		wantRule string // "" means no findings
	}{
		{name: "clean SCP", kind: KindSCP, text: scpHead + stmt(`,"Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/vend-tvm"}}`) + tail},
		{name: "clean RCP", kind: KindRCP, text: scpHead + rcp("") + tail},
		{name: "revocation writer in every account, on revocation policies", kind: KindSCP,
			text: scpHead + `{"Sid":"S","Effect":"Deny","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::*:policy/vend-revocation/*","Condition":{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::111111111111:role/vend-tvm","arn:aws:iam::*:role/vend/vend-revocation-writer"]}}}` + tail},
		{name: "invalid JSON", kind: KindSCP, text: `{"Statement":[`, wantRule: RuleJSON},
		{name: "duplicate condition operator", kind: KindSCP,
			text: scpHead + cond(`{"StringLike":{"a":"x*"},"StringLike":{"b":"y*"}}`) + tail, wantRule: RuleJSON},
		{name: "unknown kind", kind: "TAG", text: scpHead + stmt("") + tail, wantRule: RuleKind},
		{name: "old version", kind: KindSCP, text: `{"Version":"2008-10-17","Statement":[` + stmt("") + tail, wantRule: RuleVersion},
		{name: "missing version", kind: KindSCP, text: `{"Statement":[` + stmt("") + tail, wantRule: RuleVersion},
		{name: "too large", kind: KindSCP,
			text: scpHead + stmt(`,"Condition":{"StringNotLike":{"aws:userid":"`+strings.Repeat("x", MaxDocumentChars)+`"}}`) + tail, wantRule: RuleSize},
		{name: "no statements", kind: KindSCP, text: scpHead + tail, wantRule: RuleStatement},
		{name: "action and not-action", kind: KindSCP, text: scpHead + stmt(`,"NotAction":"sts:GetCallerIdentity"`) + tail, wantRule: RuleStatement},
		{name: "no resource", kind: KindSCP, text: scpHead + `{"Sid":"S","Effect":"Deny","Action":"sts:AssumeRole"}` + tail, wantRule: RuleStatement},
		{name: "bad effect", kind: KindSCP, text: scpHead + `{"Sid":"S","Effect":"deny","Action":"sts:AssumeRole","Resource":"*"}` + tail, wantRule: RuleEffect},
		{name: "deny without sid", kind: KindSCP, text: scpHead + `{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}` + tail, wantRule: RuleSid},
		{name: "sid with dash", kind: KindSCP, text: scpHead + `{"Sid":"a-b","Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}` + tail, wantRule: RuleSid},
		{name: "duplicate sid", kind: KindSCP, text: scpHead + stmt("") + "," + stmt("") + tail, wantRule: RuleSidUnique},
		{name: "principal in SCP", kind: KindSCP, text: scpHead + stmt(`,"Principal":"*"`) + tail, wantRule: RuleSCPPrincipal},
		{name: "allow in RCP", kind: KindRCP,
			text: scpHead + `{"Sid":"S","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}` + tail, wantRule: RuleRCPDenyOnly},
		{name: "RCP without principal", kind: KindRCP, text: scpHead + stmt("") + tail, wantRule: RuleRCPPrincipal},
		{name: "RCP with specific principal", kind: KindRCP,
			text: scpHead + `{"Sid":"S","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Resource":"*"}` + tail, wantRule: RuleRCPPrincipal},
		{name: "RCP on lambda", kind: KindRCP,
			text: scpHead + `{"Sid":"S","Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunction","Resource":"*"}` + tail, wantRule: RuleRCPService},
		{name: "string operator on principal ARN", kind: KindSCP,
			text: scpHead + cond(`{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/vend-tvm"}}`) + tail, wantRule: RuleExemptionOperator},
		{name: "unpinned account", kind: KindSCP,
			text: scpHead + cond(`{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/vend-tvm"}}`) + tail, wantRule: RuleExemptionAccount},
		{name: "revocation writer in every account, beyond revocation policies", kind: KindSCP,
			text: scpHead + `{"Sid":"S","Effect":"Deny","Action":"iam:CreatePolicyVersion","Resource":["arn:aws:iam::*:policy/vend-revocation/*","arn:aws:iam::*:policy/other"],"Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/vend/vend-revocation-writer"}}}` + tail, wantRule: RuleExemptionAccount},
		{name: "another role in every account, on revocation policies", kind: KindSCP,
			text: scpHead + `{"Sid":"S","Effect":"Deny","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::*:policy/vend-revocation/*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/vend/writer"}}}` + tail, wantRule: RuleExemptionAccount},
		{name: "role name instead of ARN", kind: KindSCP,
			text: scpHead + cond(`{"ArnNotLike":{"aws:PrincipalArn":"vend-tvm"}}`) + tail, wantRule: RuleExemptionAccount},
		{name: "assumed-role ARN", kind: KindSCP,
			text: scpHead + cond(`{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:sts::111111111111:assumed-role/vend-tvm/s"}}`) + tail, wantRule: RuleAssumedRole},
		{name: "wildcard with StringEquals", kind: KindSCP,
			text: scpHead + cond(`{"StringNotEquals":{"sts:SourceIdentity":"vend-*"}}`) + tail, wantRule: RuleWildcardOperator},
		{name: "wildcard with ArnEquals", kind: KindSCP,
			text: scpHead + cond(`{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/vend-*"}}`) + tail, wantRule: RuleWildcardOperator},
		{name: "Null with IfExists", kind: KindSCP,
			text: scpHead + cond(`{"NullIfExists":{"aws:SourceIdentity":"true"}}`) + tail, wantRule: RuleNullIfExists},
		{name: "unsupported operator", kind: KindSCP,
			text: scpHead + cond(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`) + tail, wantRule: RuleOperator},
		{name: "misspelt operator", kind: KindSCP,
			text: scpHead + cond(`{"ArnNotlike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/x"}}`) + tail, wantRule: RuleOperator},
		{name: "unknown action", kind: KindSCP, text: scpHead + `{"Sid":"S","Effect":"Deny","Action":"sts:AssumeRoles","Resource":"*"}` + tail, wantRule: RuleAction},
		{name: "wildcard matching nothing", kind: KindSCP, text: scpHead + `{"Sid":"S","Effect":"Deny","Action":"lambda:Frobnicate*","Resource":"*"}` + tail, wantRule: RuleAction},
		{name: "unknown service", kind: KindSCP, text: scpHead + `{"Sid":"S","Effect":"Deny","Action":"frob:Do","Resource":"*"}` + tail, wantRule: RuleAction},
		{name: "action without service", kind: KindSCP, text: scpHead + `{"Sid":"S","Effect":"Deny","Action":"AssumeRole","Resource":"*"}` + tail, wantRule: RuleAction},
		{name: "case-insensitive action", kind: KindSCP, text: scpHead + `{"Sid":"S","Effect":"Deny","Action":"STS:assumerole","Resource":"*"}` + tail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := LintJSON("doc", tt.kind, []byte(tt.text))
			var rules []string
			for _, f := range fs {
				rules = append(rules, f.Rule)
				if f.Policy != "doc" || f.Message == "" {
					t.Errorf("finding without policy or message: %+v", f)
				}
			}
			if tt.wantRule == "" {
				if len(fs) > 0 {
					t.Fatalf("unexpected findings: %v", fs)
				}
				return
			}
			if !slices.Contains(rules, tt.wantRule) {
				t.Fatalf("rules %v, want %s: %v", rules, tt.wantRule, fs)
			}
		})
	}
}

func TestLintRulesAreListed(t *testing.T) {
	listed := map[string]bool{}
	for _, r := range LintRules() {
		if r.Description == "" {
			t.Errorf("%s has no description", r.ID)
		}
		listed[r.ID] = true
	}
	for _, id := range []string{RuleJSON, RuleKind, RuleVersion, RuleSize, RuleStatement, RuleEffect, RuleSid, RuleSidUnique,
		RuleSCPPrincipal, RuleRCPDenyOnly, RuleRCPPrincipal, RuleRCPService, RuleExemptionOperator, RuleExemptionAccount,
		RuleAssumedRole, RuleWildcardOperator, RuleNullIfExists, RuleOperator, RuleAction} {
		if !listed[id] {
			t.Errorf("rule %s missing from LintRules", id)
		}
	}
}

func TestFindingString(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{Rule: RuleSize, Policy: "p", Index: -1, Message: "m"}, "p: size: m"},
		{Finding{Rule: RuleSid, Policy: "p", Index: 2, Message: "m"}, "p[2]: sid: m"},
		{Finding{Rule: RuleAction, Policy: "p", Sid: "S", Index: 0, Message: "m"}, "p/S: action: m"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestKnownAction(t *testing.T) {
	tests := []struct {
		action    string
		ok, known bool
	}{
		{"sts:AssumeRole", true, true},
		{"lambda:Update*", true, true},
		{"iam:*Role*", true, true},
		{"ssm:PutParameters", false, true},
		{"lambda:InvokeFunction", true, true},
		{"lambda:InvokeAsync", true, true},
		// An API operation that lambda:InvokeFunction authorises, not an action.
		{"lambda:InvokeWithResponseStream", false, true},
		{"ec2:RunInstances", false, false},
		{"nocolon", false, false},
	}
	for _, tt := range tests {
		ok, known := KnownAction(tt.action)
		if ok != tt.ok || known != tt.known {
			t.Errorf("KnownAction(%q) = %v, %v; want %v, %v", tt.action, ok, known, tt.ok, tt.known)
		}
	}
}
