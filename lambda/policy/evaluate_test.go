package policy

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const evalPolicy = `version: 1
profiles:
  prod-admin:     {role_arn: "arn:aws:iam::111111111111:role/prod-admin"}
  prod-readonly:  {role_arn: "arn:aws:iam::111111111111:role/prod-readonly", max_duration: 30m}
  staging-admin:  {role_arn: "arn:aws:iam::222222222222:role/staging-admin"}
  night:          {role_arn: "arn:aws:iam::111111111111:role/night"}
  office:         {role_arn: "arn:aws:iam::111111111111:role/office"}
  iam-user:       {role_arn: "arn:aws:iam::111111111111:role/iam-user"}
rules:
  - name: deny-interns
    effect: deny
    principals: ["arn:aws:sts::111111111111:assumed-role/*/intern-*"]
    profiles: ["prod-*"]
    reason: interns stay out of production
  - name: allow-admins
    effect: allow
    principals: ["arn:aws:sts::111111111111:assumed-role/Admin/*"]
    profiles: ["prod-*", "staging-*"]
    reason: admins administer
  - name: allow-admins-again
    effect: allow
    principals: ["arn:aws:sts::111111111111:assumed-role/Admin/*"]
    profiles: ["*"]
  - name: deny-mallory
    effect: deny
    principals: ["arn:aws:sts::111111111111:assumed-role/Admin/mallory"]
    profiles: [prod-admin]
  - name: staging-from-222
    effect: allow
    principals: ["*"]
    accounts: ["222222222222", "333333333333"]
    profiles: [staging-admin]
  - name: readonly-in-org
    effect: allow
    principals: ["*"]
    org_ids: [o-abc123def4]
    profiles: [prod-readonly]
  - name: readonly-role
    effect: allow
    principals: ["arn:aws:sts::444444444444:assumed-role/ReadOnly/?????"]
    profiles: [prod-readonly]
  - name: friday-night
    effect: allow
    principals: ["*"]
    profiles: [night]
    time_windows:
      - {days: [fri], start: "22:00", end: "06:00", timezone: Europe/Berlin}
  - name: berlin-office
    effect: allow
    principals: ["*"]
    profiles: [office]
    time_windows:
      - {start: "08:00", end: "18:00", timezone: Europe/Berlin}
      - {days: [sat], start: "22:00", end: "06:00", timezone: Europe/Berlin}
  - name: segments
    effect: allow
    principals: ["arn:*:iam::111111111111:user/bob"]
    profiles: [iam-user]
`

func berlin(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func utc(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

const (
	admin  = "arn:aws:sts::111111111111:assumed-role/Admin/alice"
	intern = "arn:aws:sts::111111111111:assumed-role/Admin/intern-bob"
	anyone = "arn:aws:sts::999999999999:assumed-role/Someone/x"
)

func TestEvaluate(t *testing.T) {
	p := mustParse(t, evalPolicy)
	wed := berlin(t, "2026-03-04 10:00") // a Wednesday
	tests := []struct {
		name    string
		req     Request
		allowed bool
		rule    string
		reason  string
	}{
		{"first matching allow names the decision", Request{PrincipalARN: admin, AccountID: "111111111111", Profile: "prod-admin"}, true, "allow-admins", "admins administer"},
		{"default reason names the rule", Request{PrincipalARN: admin, AccountID: "111111111111", Profile: "office", Time: berlin(t, "2026-03-07 12:00")}, true, "allow-admins-again", "allowed by rule allow-admins-again"},
		{"deny wins over an earlier allow", Request{PrincipalARN: "arn:aws:sts::111111111111:assumed-role/Admin/mallory", AccountID: "111111111111", Profile: "prod-admin"}, false, "deny-mallory", "denied by rule deny-mallory"},
		{"deny wins over a later allow", Request{PrincipalARN: intern, AccountID: "111111111111", Profile: "prod-readonly"}, false, "deny-interns", "interns stay out of production"},
		{"deny only covers its profiles", Request{PrincipalARN: intern, AccountID: "111111111111", Profile: "staging-admin"}, true, "allow-admins", "admins administer"},
		{"default deny", Request{PrincipalARN: anyone, AccountID: "999999999999", Profile: "prod-admin"}, false, DefaultDenyRule, reasonDefaultDeny},

		{"account listed", Request{PrincipalARN: anyone, AccountID: "333333333333", Profile: "staging-admin"}, true, "staging-from-222", ""},
		{"account not listed", Request{PrincipalARN: anyone, AccountID: "999999999999", Profile: "staging-admin"}, false, DefaultDenyRule, ""},
		{"account in ARN does not count", Request{PrincipalARN: "arn:aws:sts::222222222222:assumed-role/x/y", AccountID: "999999999999", Profile: "staging-admin"}, false, DefaultDenyRule, ""},
		{"org listed", Request{PrincipalARN: anyone, AccountID: "999999999999", OrgID: "o-abc123def4", Profile: "prod-readonly"}, true, "readonly-in-org", ""},
		{"org not listed", Request{PrincipalARN: anyone, AccountID: "999999999999", OrgID: "o-zzzzzzzzzz", Profile: "prod-readonly"}, false, DefaultDenyRule, ""},
		{"no org", Request{PrincipalARN: anyone, AccountID: "999999999999", Profile: "prod-readonly"}, false, DefaultDenyRule, ""},

		{"? matches one character", Request{PrincipalARN: "arn:aws:sts::444444444444:assumed-role/ReadOnly/abcde", Profile: "prod-readonly"}, true, "readonly-role", ""},
		{"? does not match two", Request{PrincipalARN: "arn:aws:sts::444444444444:assumed-role/ReadOnly/abcdef", Profile: "prod-readonly"}, false, DefaultDenyRule, ""},
		{"? does not match zero", Request{PrincipalARN: "arn:aws:sts::444444444444:assumed-role/ReadOnly/abcd", Profile: "prod-readonly"}, false, DefaultDenyRule, ""},
		{"case-sensitive principal", Request{PrincipalARN: "arn:aws:sts::444444444444:assumed-role/readonly/abcde", Profile: "prod-readonly"}, false, DefaultDenyRule, ""},
		{"* crosses / in the resource", Request{PrincipalARN: "arn:aws:sts::111111111111:assumed-role/Admin/intern-a/b", Profile: "prod-admin"}, false, "deny-interns", ""},
		{"* within a part", Request{PrincipalARN: "arn:aws-cn:iam::111111111111:user/bob", Profile: "iam-user"}, true, "segments", ""},
		{"* does not cross :", Request{PrincipalARN: "arn:aws:sts:evil:iam::111111111111:user/bob", Profile: "iam-user"}, false, DefaultDenyRule, ""},
		{"region must match too", Request{PrincipalARN: "arn:aws:iam:us-east-1:111111111111:user/bob", Profile: "iam-user"}, false, DefaultDenyRule, ""},
		{"empty caller matches nothing", Request{AccountID: "222222222222", Profile: "staging-admin"}, false, DefaultDenyRule, ""},
		{"not an ARN matches only *", Request{PrincipalARN: "bob", AccountID: "222222222222", Profile: "staging-admin"}, true, "staging-from-222", ""},

		{"window: Friday 23:00", Request{PrincipalARN: anyone, Profile: "night", Time: berlin(t, "2026-03-06 23:00")}, true, "friday-night", ""},
		{"window: start is inclusive", Request{PrincipalARN: anyone, Profile: "night", Time: berlin(t, "2026-03-06 22:00")}, true, "friday-night", ""},
		{"window: Friday 21:59", Request{PrincipalARN: anyone, Profile: "night", Time: berlin(t, "2026-03-06 21:59")}, false, DefaultDenyRule, ""},
		{"window: Saturday 02:00 belongs to Friday", Request{PrincipalARN: anyone, Profile: "night", Time: berlin(t, "2026-03-07 02:00")}, true, "friday-night", ""},
		{"window: Saturday 05:59", Request{PrincipalARN: anyone, Profile: "night", Time: berlin(t, "2026-03-07 05:59")}, true, "friday-night", ""},
		{"window: end is exclusive", Request{PrincipalARN: anyone, Profile: "night", Time: berlin(t, "2026-03-07 06:00")}, false, DefaultDenyRule, ""},
		{"window: Friday 02:00 belongs to Thursday", Request{PrincipalARN: anyone, Profile: "night", Time: berlin(t, "2026-03-06 02:00")}, false, DefaultDenyRule, ""},
		{"window: Saturday 23:00", Request{PrincipalARN: anyone, Profile: "night", Time: berlin(t, "2026-03-07 23:00")}, false, DefaultDenyRule, ""},
		{"window: evaluated in its zone", Request{PrincipalARN: anyone, Profile: "night", Time: utc(t, "2026-03-06T21:30:00Z")}, true, "friday-night", ""},

		// Europe/Berlin springs forward on 2026-03-29 and falls back on 2026-10-25.
		{"DST spring: 06:30Z is 08:30 CEST", Request{PrincipalARN: anyone, Profile: "office", Time: utc(t, "2026-03-29T06:30:00Z")}, true, "berlin-office", ""},
		{"DST spring: 06:30Z the day before is 07:30 CET", Request{PrincipalARN: anyone, Profile: "office", Time: utc(t, "2026-03-28T06:30:00Z")}, false, DefaultDenyRule, ""},
		{"DST spring: 16:30Z is 18:30 CEST", Request{PrincipalARN: anyone, Profile: "office", Time: utc(t, "2026-03-29T16:30:00Z")}, false, DefaultDenyRule, ""},
		{"DST spring: 16:30Z the day before is 17:30 CET", Request{PrincipalARN: anyone, Profile: "office", Time: utc(t, "2026-03-28T16:30:00Z")}, true, "berlin-office", ""},
		{"DST spring: overnight window across the change", Request{PrincipalARN: anyone, Profile: "office", Time: utc(t, "2026-03-29T01:30:00Z")}, true, "berlin-office", ""},
		{"DST spring: overnight window ends at 06:00 CEST", Request{PrincipalARN: anyone, Profile: "office", Time: utc(t, "2026-03-29T04:30:00Z")}, false, DefaultDenyRule, ""},
		{"DST autumn: 06:30Z is 07:30 CET", Request{PrincipalARN: anyone, Profile: "office", Time: utc(t, "2026-10-25T06:30:00Z")}, false, DefaultDenyRule, ""},
		{"DST autumn: 07:30Z is 08:30 CET", Request{PrincipalARN: anyone, Profile: "office", Time: utc(t, "2026-10-25T07:30:00Z")}, true, "berlin-office", ""},
		{"DST autumn: 06:30Z the day before is 08:30 CEST", Request{PrincipalARN: anyone, Profile: "office", Time: utc(t, "2026-10-24T06:30:00Z")}, true, "berlin-office", ""},

		{"zero time means now", Request{PrincipalARN: admin, Profile: "prod-admin"}, true, "allow-admins", ""},
		{"explicit time", Request{PrincipalARN: admin, Profile: "prod-admin", Time: wed}, true, "allow-admins", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.req.Time.IsZero() && !strings.Contains(tt.name, "zero time") {
				tt.req.Time = wed
			}
			d := p.Evaluate(tt.req)
			if d.Allowed != tt.allowed || d.Rule != tt.rule {
				t.Errorf("got allowed=%v rule=%s (%s); want allowed=%v rule=%s", d.Allowed, d.Rule, d.Reason, tt.allowed, tt.rule)
			}
			if tt.reason != "" && d.Reason != tt.reason {
				t.Errorf("reason %q; want %q", d.Reason, tt.reason)
			}
			wantEffect := Deny
			if tt.allowed {
				wantEffect = Allow
			}
			if d.Effect != wantEffect || d.UnknownProfile || d.PolicyHash != p.Hash() {
				t.Errorf("decision %+v", d)
			}
			if prof, _ := p.Profile(tt.req.Profile); !reflect.DeepEqual(d.Profile, prof) {
				t.Errorf("profile %+v; want %+v", d.Profile, prof)
			}
		})
	}
}

func TestEvaluateUnknownProfile(t *testing.T) {
	p := mustParse(t, evalPolicy)
	for _, name := range []string{"prod", "Prod-Admin", "", "prod-admin ", "../etc"} {
		d := p.Evaluate(Request{PrincipalARN: admin, AccountID: "111111111111", Profile: name, Time: time.Now()})
		want := Decision{Effect: Deny, Rule: DefaultDenyRule, Reason: reasonUnknownProfile, UnknownProfile: true, PolicyHash: p.Hash()}
		if !reflect.DeepEqual(d, want) {
			t.Errorf("Evaluate(%q) = %+v; want %+v", name, d, want)
		}
	}
}

func TestEvaluateNilPolicy(t *testing.T) {
	var p *Policy
	if d := p.Evaluate(Request{PrincipalARN: admin, Profile: "x"}); d.Allowed || d.Rule != DefaultDenyRule {
		t.Errorf("nil policy decided %+v", d)
	}
	if _, ok := p.Profile("x"); ok || p.Explain(Request{}) != nil || p.Rules() != nil || p.Profiles() != nil || p.Hash() != "" || p.Version() != 0 {
		t.Error("nil policy has content")
	}
}

// TestEvaluateManyAccounts covers account and organisation lists long enough to be
// looked up in a map rather than scanned.
func TestEvaluateManyAccounts(t *testing.T) {
	var accounts, orgs []string
	for i := range 40 {
		accounts = append(accounts, fmt.Sprintf(`"%012d"`, 100000000000+i))
		orgs = append(orgs, fmt.Sprintf("o-%010d", i))
	}
	p := mustParse(t, withRules(fmt.Sprintf("  - {name: r, effect: allow, principals: [\"*\"], profiles: [readonly], accounts: [%s], org_ids: [%s]}\n",
		strings.Join(accounts, ", "), strings.Join(orgs, ", "))))
	tests := []struct {
		account, org string
		allowed      bool
	}{
		{"100000000000", "o-0000000000", true},
		{"100000000039", "o-0000000039", true},
		{"100000000040", "o-0000000000", false},
		{"100000000000", "o-0000000040", false},
		{"100000000000", "", false},
	}
	for _, tt := range tests {
		d := p.Evaluate(Request{PrincipalARN: anyone, AccountID: tt.account, OrgID: tt.org, Profile: "readonly", Time: time.Now()})
		if d.Allowed != tt.allowed {
			t.Errorf("account %s org %q: allowed = %v", tt.account, tt.org, d.Allowed)
		}
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	p := mustParse(t, evalPolicy)
	reqs := []Request{
		{PrincipalARN: admin, AccountID: "111111111111", Profile: "prod-admin", Time: time.Now()},
		{PrincipalARN: intern, AccountID: "111111111111", Profile: "prod-readonly", Time: time.Now()},
		{PrincipalARN: anyone, OrgID: "o-zzzzzzzzzz", Profile: "office", Time: time.Now()},
		{PrincipalARN: anyone, Profile: "nope", Time: time.Now()},
		{PrincipalARN: anyone, Profile: "night"},
	}
	for _, r := range reqs {
		if n := testing.AllocsPerRun(100, func() { p.Evaluate(r) }); n != 0 {
			t.Errorf("Evaluate(%s, %s) allocates %v times", r.PrincipalARN, r.Profile, n)
		}
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	p := mustParse(t, evalPolicy)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if d := p.Evaluate(Request{PrincipalARN: admin, Profile: "prod-admin", Time: time.Now()}); !d.Allowed {
					t.Error("admin denied")
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestExample pins the behaviour of the documented example policy.
func TestExample(t *testing.T) {
	p, err := ParseFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const (
		contractor = "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Contractor_0a1b2c3d4e5f6a7b/carol@example.com"
		engineer   = "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Engineer_0a1b2c3d4e5f6a7b/erin@example.com"
		oncall     = "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_OnCall_0a1b2c3d4e5f6a7b/olga@example.com"
		breakGlass = "arn:aws:sts::111111111111:assumed-role/BreakGlass/incident-42"
		ci         = "arn:aws:sts::444444444444:assumed-role/github-actions-deploy/run-1234"
		agent      = "arn:aws:sts::555555555555:assumed-role/ai-agent-triage/session-7"
		scanner    = "arn:aws:iam::333333333333:user/scanner"
		org        = "o-abc123def4"
	)
	tests := []struct {
		name, who, account, org, profile, when string
		allowed                                bool
		rule                                   string
	}{
		{"contractor kept out of prod reads", contractor, "222222222222", org, "prod-readonly", "2026-03-04 10:00", false, "no-contractors-in-prod"},
		{"contractor in staging", contractor, "222222222222", org, "staging-admin", "2026-03-04 10:00", true, "engineers-admin-staging"},
		{"engineer reads prod", engineer, "222222222222", org, "prod-readonly", "2026-03-04 10:00", true, "engineers-admin-staging"},
		{"engineer outside the org", engineer, "222222222222", "o-zzzzzzzzzz", "prod-readonly", "2026-03-04 10:00", false, DefaultDenyRule},
		{"engineer is no prod admin", engineer, "222222222222", org, "prod-admin", "2026-03-04 10:00", false, DefaultDenyRule},
		{"on-call in office hours", oncall, "111111111111", org, "prod-admin", "2026-03-04 10:00", true, "oncall-prod-admin"},
		{"on-call on Saturday noon", oncall, "111111111111", org, "prod-admin", "2026-03-07 11:00", false, DefaultDenyRule},
		{"on-call night shift", oncall, "111111111111", org, "prod-admin", "2026-03-07 23:30", true, "oncall-prod-admin"},
		{"on-call night shift after midnight", oncall, "111111111111", org, "prod-admin", "2026-03-08 05:00", true, "oncall-prod-admin"},
		{"break-glass any time", breakGlass, "111111111111", org, "prod-admin", "2026-03-07 11:00", true, "break-glass"},
		{"break-glass from another account", breakGlass, "999999999999", org, "prod-admin", "2026-03-07 11:00", false, DefaultDenyRule},
		{"CI deploys on Wednesday", ci, "444444444444", org, "prod-deploy", "2026-03-04 10:00", true, "ci-deploy"},
		{"CI deploys staging on Saturday", ci, "444444444444", org, "staging-deploy", "2026-03-07 12:00", true, "ci-deploy"},
		{"freeze Friday evening", ci, "444444444444", org, "prod-deploy", "2026-03-06 19:00", false, "weekend-deploy-freeze"},
		{"freeze Saturday noon", ci, "444444444444", org, "prod-deploy", "2026-03-07 12:00", false, "weekend-deploy-freeze"},
		{"freeze Sunday late", ci, "444444444444", org, "prod-deploy", "2026-03-08 23:59", false, "weekend-deploy-freeze"},
		{"freeze Monday 05:59", ci, "444444444444", org, "prod-deploy", "2026-03-09 05:59", false, "weekend-deploy-freeze"},
		{"freeze over Monday 06:00", ci, "444444444444", org, "prod-deploy", "2026-03-09 06:00", true, "ci-deploy"},
		{"CI may not administer", ci, "444444444444", org, "prod-admin", "2026-03-04 10:00", false, DefaultDenyRule},
		{"agent reads staging", agent, "555555555555", org, "staging-readonly", "2026-03-04 10:00", true, "ai-agents-readonly"},
		{"agent at night", agent, "555555555555", org, "staging-readonly", "2026-03-04 21:00", false, DefaultDenyRule},
		{"agent on Sunday", agent, "555555555555", org, "staging-readonly", "2026-03-08 10:00", false, DefaultDenyRule},
		{"agent reads no prod", agent, "555555555555", org, "prod-readonly", "2026-03-04 10:00", false, DefaultDenyRule},
		{"agent without a name", "arn:aws:sts::555555555555:assumed-role/ai-agent-/s", "555555555555", org, "staging-readonly", "2026-03-04 10:00", false, DefaultDenyRule},
		{"scanner audits", scanner, "333333333333", org, "security-audit", "2026-03-08 03:00", true, "security-audit"},
		{"scanner reads prod", scanner, "333333333333", org, "prod-readonly", "2026-03-08 03:00", true, "security-audit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Evaluate(Request{PrincipalARN: tt.who, AccountID: tt.account, OrgID: tt.org, Profile: tt.profile, Time: berlin(t, tt.when)})
			if d.Allowed != tt.allowed || d.Rule != tt.rule {
				t.Errorf("got allowed=%v rule=%s; want allowed=%v rule=%s", d.Allowed, d.Rule, tt.allowed, tt.rule)
			}
		})
	}
	if d := p.Evaluate(Request{PrincipalARN: oncall, Profile: "prod"}); !d.UnknownProfile {
		t.Errorf("unknown profile: %+v", d)
	}
	if prof, _ := p.Profile("security-audit"); prof.MaxDuration != 15*time.Minute {
		t.Errorf("security-audit max duration %v", prof.MaxDuration)
	}
}

func TestExplain(t *testing.T) {
	p := mustParse(t, evalPolicy)
	wed := berlin(t, "2026-03-04 10:00")

	t.Run("deny and shadowed allows", func(t *testing.T) {
		got := p.Explain(Request{PrincipalARN: intern, AccountID: "111111111111", Profile: "prod-admin", Time: wed})
		want := map[string]struct {
			matched, decided bool
			detail           string
		}{
			"deny-interns":       {true, true, "matches"},
			"allow-admins":       {true, false, "matches"},
			"allow-admins-again": {true, false, "matches"},
			"deny-mallory":       {false, false, `caller "` + intern + `" matches none of arn:aws:sts::111111111111:assumed-role/Admin/mallory`},
			"staging-from-222":   {false, false, `profile "prod-admin" matches none of staging-admin`},
		}
		if len(got) != len(p.Rules()) {
			t.Fatalf("%d results for %d rules", len(got), len(p.Rules()))
		}
		for i, r := range got {
			if r.Rule != p.Rules()[i].Name || r.Line != p.Rules()[i].Line || r.Effect != p.Rules()[i].Effect {
				t.Errorf("result %d = %+v; want rule %s in file order", i, r, p.Rules()[i].Name)
			}
			if w, ok := want[r.Rule]; ok && (r.Matched != w.matched || r.Decided != w.decided || r.Detail != w.detail) {
				t.Errorf("%s: %+v; want %+v", r.Rule, r, w)
			}
		}
	})

	details := []struct {
		name string
		req  Request
		rule string
		want string
	}{
		{"account", Request{PrincipalARN: anyone, AccountID: "999999999999", Profile: "staging-admin", Time: wed}, "staging-from-222", `account "999999999999" is not one of 222222222222, 333333333333`},
		{"no org", Request{PrincipalARN: anyone, Profile: "prod-readonly", Time: wed}, "readonly-in-org", "the caller's account is in no organisation; the rule requires one of o-abc123def4"},
		{"other org", Request{PrincipalARN: anyone, OrgID: "o-zzzzzzzzzz", Profile: "prod-readonly", Time: wed}, "readonly-in-org", `organisation "o-zzzzzzzzzz" is not one of o-abc123def4`},
		{"window", Request{PrincipalARN: anyone, Profile: "night", Time: wed}, "friday-night", "outside its time windows: it is Wed 10:00 CET in Europe/Berlin"},
		{"unknown profile", Request{PrincipalARN: anyone, Profile: "nope", Time: wed}, "friday-night", `profile "nope" is not defined in the policy`},
		{"no caller", Request{Profile: "prod-admin", Time: wed}, "allow-admins", "the request has no caller ARN"},
	}
	for _, tt := range details {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range p.Explain(tt.req) {
				if r.Rule == tt.rule {
					if r.Matched || r.Decided || r.Detail != tt.want {
						t.Errorf("%+v; want detail %q", r, tt.want)
					}
					return
				}
			}
			t.Errorf("rule %s not in the explanation", tt.rule)
		})
	}
}

// TestExplainAgreesWithEvaluate checks, over a grid of callers, profiles and times,
// that the rule Explain marks as deciding is the rule Evaluate names.
func TestExplainAgreesWithEvaluate(t *testing.T) {
	p := mustParse(t, evalPolicy)
	callers := []string{admin, intern, anyone, "", "x", "arn:aws:sts::111111111111:assumed-role/Admin/mallory",
		"arn:aws:sts::444444444444:assumed-role/ReadOnly/abcde", "arn:aws:iam::111111111111:user/bob"}
	accounts := []string{"", "111111111111", "222222222222"}
	orgs := []string{"", "o-abc123def4"}
	profiles := []string{"prod-admin", "prod-readonly", "staging-admin", "night", "office", "iam-user", "nope"}
	start := berlin(t, "2026-03-02 00:00")
	checked := 0
	for _, c := range callers {
		for _, a := range accounts {
			for _, o := range orgs {
				for _, prof := range profiles {
					for h := 0; h < 7*24; h += 5 {
						r := Request{PrincipalARN: c, AccountID: a, OrgID: o, Profile: prof, Time: start.Add(time.Duration(h) * time.Hour)}
						d := p.Evaluate(r)
						decided := ""
						for _, rr := range p.Explain(r) {
							if rr.Decided {
								if decided != "" {
									t.Fatalf("%+v: two deciding rules", r)
								}
								decided = rr.Rule
							}
						}
						if want := d.Rule; (decided == "" && want != DefaultDenyRule) || (decided != "" && decided != want) {
							t.Fatalf("%+v: Explain decided %q, Evaluate %q", r, decided, want)
						}
						checked++
					}
				}
			}
		}
	}
	if checked < 10000 {
		t.Errorf("only %d requests checked", checked)
	}
}

func TestEvaluateBreakGlass(t *testing.T) {
	p := mustParse(t, withRules(`  - name: oncall
    effect: allow
    principals: ["arn:aws:sts::111111111111:assumed-role/oncall/*"]
    profiles: [prod-admin]
    break_glass: true
  - name: everyone
    effect: allow
    principals: ["*"]
    profiles: [readonly]
    break_glass: false
`))
	oncall := Request{PrincipalARN: "arn:aws:sts::111111111111:assumed-role/oncall/alice", AccountID: "111111111111", Time: time.Now()}
	for _, tt := range []struct {
		profile string
		want    bool
	}{{"prod-admin", true}, {"readonly", false}} {
		oncall.Profile = tt.profile
		if d := p.Evaluate(oncall); !d.Allowed || d.BreakGlass != tt.want {
			t.Errorf("%s: %+v, want allowed with BreakGlass %v", tt.profile, d, tt.want)
		}
	}
	oncall.Profile = "prod-admin"
	if rs := p.Explain(oncall); !strings.Contains(rs[0].Detail, "break-glass") || strings.Contains(rs[1].Detail, "break-glass") {
		t.Errorf("explain: %+v", rs)
	}
	if rules := p.Rules(); !rules[0].BreakGlass || rules[1].BreakGlass {
		t.Errorf("rules: %+v", rules)
	}
}

func TestEvaluateApproval(t *testing.T) {
	p := mustParse(t, withRules(`  - name: admin-with-approval
    effect: allow
    principals: ["arn:aws:sts::111111111111:assumed-role/dev/*"]
    profiles: [prod-admin]
    approval:
      approvers: ["arn:aws:sts::111111111111:assumed-role/lead/*", "arn:aws:sts::111111111111:assumed-role/dev/*"]
      approvals: 2
      grant: 4h
  - name: readonly
    effect: allow
    principals: ["*"]
    profiles: [readonly]
administrators: ["arn:aws:sts::111111111111:assumed-role/security/*"]
`))
	dev := "arn:aws:sts::111111111111:assumed-role/dev/alice"
	d := p.Evaluate(Request{PrincipalARN: dev, AccountID: "111111111111", Profile: "prod-admin", Time: time.Now()})
	if !d.Allowed || d.Approval == nil || d.Approval.Count != 2 || d.Approval.Grant != 4*time.Hour {
		t.Fatalf("decision %+v", d)
	}
	if d := p.Evaluate(Request{PrincipalARN: dev, AccountID: "111111111111", Profile: "readonly", Time: time.Now()}); d.Approval != nil {
		t.Errorf("an ordinary rule carries an approval: %+v", d)
	}
	for _, tt := range []struct {
		approver string
		want     bool
	}{
		{"arn:aws:sts::111111111111:assumed-role/lead/bob", true},
		{"arn:aws:sts::111111111111:assumed-role/dev/carol", true}, // another developer
		{dev, false}, // the requester never counts, even when matched
		{"arn:aws:sts::222222222222:assumed-role/lead/bob", false},
		{"", false},
	} {
		if got := d.Approval.MayApprove(dev, tt.approver); got != tt.want {
			t.Errorf("MayApprove(%q) = %v, want %v", tt.approver, got, tt.want)
		}
	}
	if !p.IsAdministrator("arn:aws:sts::111111111111:assumed-role/security/eve") || p.IsAdministrator(dev) {
		t.Error("administrators")
	}
	rules := p.Rules()
	rules[0].Approval.Approvers[0] = "changed"
	if p.Rules()[0].Approval.Approvers[0] == "changed" {
		t.Error("Rules shares the policy's approval")
	}
}

func TestMatchPrincipal(t *testing.T) {
	for _, tt := range []struct {
		pattern, arn string
		want         bool
	}{
		{"*", "arn:aws:iam::1:user/a", true},
		{"*", "", false},
		{"arn:aws:iam::*:user/*", "arn:aws:iam::111111111111:user/a/b", true},
		{"arn:aws:iam::111111111111:user/?", "arn:aws:iam::111111111111:user/ab", false},
		{"arn:aws:sts::*:assumed-role/r/*", "arn:aws:iam::111111111111:role/r", false},
		{"arn:aws:iam::*:user/a", "not an arn", false},
	} {
		if got := MatchPrincipal(tt.pattern, tt.arn); got != tt.want {
			t.Errorf("MatchPrincipal(%q, %q) = %v", tt.pattern, tt.arn, got)
		}
	}
}
