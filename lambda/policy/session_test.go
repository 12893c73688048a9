package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/internal/sessionpolicy"
)

const scopedPolicy = `version: 1
profiles:
  reports-read:
    role_arn: arn:aws:iam::111111111111:role/vend/data
    session_policy:
      Version: "2012-10-17"
      Statement:
        - Sid: ReadReports
          Effect: Allow
          Action: [s3:GetObject]
          Resource: ["arn:aws:s3:::reports/*"]
          Condition: {Bool: {aws:SecureTransport: true}}
  data-json:
    role_arn: arn:aws:iam::111111111111:role/vend/data
    session_policy: {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}
    session_policy_arns: [arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::111111111111:policy/team/extra]
  data:
    role_arn: arn:aws:iam::111111111111:role/vend/data
rules:
  - name: agents
    effect: allow
    principals: ["arn:aws:sts::222222222222:assumed-role/agent/*"]
    profiles: [data]
    require_scope: true
  - name: people
    effect: allow
    principals: ["*"]
    profiles: ["*"]
`

func TestSessionPoliciesLoad(t *testing.T) {
	p := mustParse(t, scopedPolicy)
	rr, _ := p.Profile("reports-read")
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadReports","Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::reports/*"],"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`
	if rr.SessionPolicy != want || rr.SessionPolicyARNs != nil || !rr.Narrowed() {
		t.Errorf("reports-read session policy:\n got %s %v\nwant %s", rr.SessionPolicy, rr.SessionPolicyARNs, want)
	}
	dj, _ := p.Profile("data-json")
	if dj.SessionPolicy != `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}` ||
		!slices.Equal(dj.SessionPolicyARNs, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::111111111111:policy/team/extra"}) {
		t.Errorf("data-json: %s %v", dj.SessionPolicy, dj.SessionPolicyARNs)
	}
	if d, _ := p.Profile("data"); d.Narrowed() {
		t.Error("a profile without session policies is narrowed")
	}
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	agent := p.Evaluate(Request{PrincipalARN: "arn:aws:sts::222222222222:assumed-role/agent/run-1", AccountID: "222222222222", Profile: "data", Time: at})
	if !agent.Allowed || agent.Rule != "agents" || !agent.RequireScope {
		t.Errorf("agent decision %+v, want allowed by agents with RequireScope", agent)
	}
	person := p.Evaluate(Request{PrincipalARN: "arn:aws:iam::222222222222:user/alice", AccountID: "222222222222", Profile: "data", Time: at})
	if !person.Allowed || person.RequireScope {
		t.Errorf("person decision %+v, want allowed without RequireScope", person)
	}
	if got := p.Rules()[0]; !got.RequireScope {
		t.Errorf("shown rule %+v lacks RequireScope", got)
	}
}

func TestDecisionSession(t *testing.T) {
	p := mustParse(t, scopedPolicy)
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	decide := func(principal, profile string) Decision {
		return p.Evaluate(Request{PrincipalARN: principal, AccountID: "222222222222", Profile: profile, Time: at})
	}
	agent := decide("arn:aws:sts::222222222222:assumed-role/agent/run-1", "data")
	person := decide("arn:aws:iam::222222222222:user/alice", "data")
	narrowed := decide("arn:aws:iam::222222222222:user/alice", "data-json")
	caller := sessionpolicy.Scope{Policy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}
	inRole := sessionpolicy.Scope{ARNs: []string{"arn:aws:iam::111111111111:policy/team/read", "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
	foreign := sessionpolicy.Scope{ARNs: []string{"arn:aws:iam::333333333333:policy/team/read"}}
	for _, tc := range []struct {
		name    string
		d       Decision
		scope   sessionpolicy.Scope
		source  string
		want    sessionpolicy.Scope
		refusal error
	}{
		{name: "no scope, none needed", d: person},
		{name: "caller's scope", d: agent, scope: caller, source: "caller", want: caller},
		{name: "managed in the role's account or AWS's", d: person, scope: inRole, source: "caller", want: inRole},
		{name: "profile's own", d: narrowed, source: "profile", want: sessionpolicy.Scope{
			Policy: []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`),
			ARNs:   []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::111111111111:policy/team/extra"},
		}},
		{name: "rule requires one", d: agent, refusal: ErrScopeRequired},
		{name: "beside the profile's own", d: narrowed, scope: caller, refusal: ErrInvalidScope},
		{name: "managed in another account", d: agent, scope: foreign, refusal: ErrInvalidScope},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.d.Session(tc.scope)
			if tc.refusal != nil {
				var se *ScopeError
				if !errors.Is(err, tc.refusal) || !errors.As(err, &se) || se.Msg == "" || got.Source != "" || !got.Scope.Empty() {
					t.Fatalf("got %+v, %v; want a *ScopeError that is %v and no session", got, err, tc.refusal)
				}
				if other := map[error]error{ErrScopeRequired: ErrInvalidScope, ErrInvalidScope: ErrScopeRequired}[tc.refusal]; errors.Is(err, other) {
					t.Errorf("%v is also %v", err, other)
				}
				return
			}
			if err != nil || got.Source != tc.source || string(got.Scope.Policy) != string(tc.want.Policy) || !slices.Equal(got.Scope.ARNs, tc.want.ARNs) {
				t.Errorf("got %+v (%s), %v; want source %q, %s %v", got, got.Scope.Policy, err, tc.source, tc.want.Policy, tc.want.ARNs)
			}
		})
	}
}

func TestSessionPolicyErrors(t *testing.T) {
	profile := func(fields string) string {
		return "version: 1\nprofiles:\n  p:\n    role_arn: arn:aws:iam::111111111111:role/r\n" + fields + "rules: []\n"
	}
	for _, tc := range []struct{ name, src, want string }{
		{"not a mapping", profile("    session_policy: allow-s3\n"), "profiles.p.session_policy: want a JSON object with Version and Statement (line 5)"},
		{"principal", profile("    session_policy: {Version: \"2012-10-17\", Statement: {Effect: Allow, Principal: \"*\", Action: \"*\", Resource: \"*\"}}\n"),
			"profiles.p.session_policy: statement 0 has a Principal or NotPrincipal"},
		{"no allow", profile("    session_policy: {Version: \"2012-10-17\", Statement: {Effect: Deny, Action: \"*\", Resource: \"*\"}}\n"),
			"profiles.p: the document has no Allow statement"},
		{"empty value", profile("    session_policy: {Version: \"2012-10-17\", Statement: {Effect: Allow, Action: , Resource: \"*\"}}\n"),
			"session_policy.Statement.Action is empty"},
		{"duplicate key", profile("    session_policy: {Version: \"2012-10-17\", Version: \"2012-10-17\", Statement: {Effect: Allow, Action: \"*\", Resource: \"*\"}}\n"),
			"session_policy.Version: duplicate key"},
		{"role ARN as policy", profile("    session_policy_arns: [arn:aws:iam::111111111111:role/r]\n"),
			"profiles.p.session_policy_arns[0]: \"arn:aws:iam::111111111111:role/r\" is not a managed policy ARN"},
		{"other account", profile("    session_policy_arns: [arn:aws:iam::222222222222:policy/p]\n"),
			"is in account 222222222222, not the role's 111111111111"},
		{"require_scope on deny", withRules("  - {name: d, effect: deny, principals: [\"*\"], profiles: [readonly], require_scope: true}\n"),
			"rules[0].require_scope: only an allow rule can require a scope"},
		{"require_scope not bool", withRules("  - {name: a, effect: allow, principals: [\"*\"], profiles: [readonly], require_scope: yes}\n"),
			"rules[0].require_scope: must be true or false, not \"yes\""},
		{"require_scope on a narrowed profile", strings.Replace(scopedPolicy, "profiles: [data]", "profiles: [data, reports-read]", 1),
			"rules[0].require_scope: profile reports-read has session policies of its own"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
