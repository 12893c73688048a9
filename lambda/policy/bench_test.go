package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const (
	benchCaller  = "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Bench_0123456789abcdef/bench@example.com"
	benchProfile = "team07-admin"
)

// benchPolicy returns a policy of n rules in a realistic mix (SSO permission sets, CI
// roles, organisation-wide rules, office-hours windows, deny rules) over 50 profiles,
// where only the last rule matches benchCaller.
//
// With spread false, every rule covers benchProfile: the worst case, where evaluation
// checks every rule. With spread true, each rule covers one team's profiles, as in a
// policy that grows team by team, so most rules are skipped by profile.
func benchPolicy(n int, spread bool) string {
	var b strings.Builder
	b.WriteString("version: 1\nprofiles:\n")
	for team := range 25 {
		for _, kind := range []string{"admin", "readonly"} {
			fmt.Fprintf(&b, "  team%02d-%s: {role_arn: \"arn:aws:iam::111111111111:role/vend/team%02d-%s\"}\n", team, kind, team, kind)
		}
	}
	b.WriteString("rules:\n")
	for i := range n - 1 {
		fmt.Fprintf(&b, "  - name: rule-%04d\n", i)
		if spread {
			fmt.Fprintf(&b, "    effect: allow\n    principals: [\"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Team%03d_*/*\"]\n    profiles: [\"team%02d-*\"]\n", i, i%25)
			if i%3 == 0 {
				b.WriteString("    time_windows:\n      - {days: [mon, tue, wed, thu, fri], start: \"08:00\", end: \"18:00\", timezone: Europe/Berlin}\n")
			}
			continue
		}
		switch i % 5 {
		case 0: // an SSO permission set of another team
			fmt.Fprintf(&b, "    effect: allow\n    principals: [\"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Team%03d_*/*\"]\n    profiles: [\"team*-admin\"]\n", i)
		case 1: // a CI role in the CI account
			fmt.Fprintf(&b, "    effect: allow\n    principals: [\"arn:aws:sts::444444444444:assumed-role/ci-team%03d/*\"]\n    accounts: [\"444444444444\"]\n    profiles: [\"*\"]\n", i)
		case 2: // anyone in a partner organisation
			fmt.Fprintf(&b, "    effect: allow\n    principals: [\"*\"]\n    org_ids: [\"o-partner%05d\"]\n    profiles: [%s]\n", i, benchProfile)
		case 3: // the caller's own SSO roles, but only on Sundays (the benchmark runs on a Wednesday)
			b.WriteString("    effect: allow\n    principals: [\"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_*/*\"]\n    profiles: [\"team0?-*\"]\n" +
				"    time_windows:\n      - {days: [sun], start: \"08:00\", end: \"18:00\", timezone: Europe/Berlin}\n")
		case 4: // a deny for contractors
			b.WriteString("    effect: deny\n    principals: [\"arn:aws:sts::*:assumed-role/AWSReservedSSO_Contractor_*/*\", \"arn:aws:iam::*:user/contractor-*\"]\n    profiles: [\"*\"]\n")
		}
	}
	fmt.Fprintf(&b, "  - name: the-match\n    effect: allow\n    principals: [\"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Bench_*/*\"]\n    accounts: [\"111111111111\"]\n    profiles: [%s]\n", benchProfile)
	return b.String()
}

func benchmarkEvaluate(b *testing.B, n int) {
	wed := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	p := mustParse(b, benchPolicy(n, false))
	spread := mustParse(b, benchPolicy(n, true))
	cases := []struct {
		name    string
		p       *Policy
		req     Request
		allowed bool
		rule    string
	}{
		{"spread/last-rule-allows", spread, Request{PrincipalARN: benchCaller, AccountID: "111111111111", OrgID: "o-abc123def4", Profile: benchProfile, Time: wed}, true, "the-match"},
		{"spread/default-deny", spread, Request{PrincipalARN: "arn:aws:sts::111111111111:assumed-role/Other/x", AccountID: "111111111111", Profile: benchProfile, Time: wed}, false, DefaultDenyRule},
		{"all-candidates/last-rule-allows", p, Request{PrincipalARN: benchCaller, AccountID: "111111111111", OrgID: "o-abc123def4", Profile: benchProfile, Time: wed}, true, "the-match"},
		{"all-candidates/default-deny", p, Request{PrincipalARN: "arn:aws:sts::111111111111:assumed-role/Other/x", AccountID: "111111111111", OrgID: "o-abc123def4", Profile: benchProfile, Time: wed}, false, DefaultDenyRule},
		{"all-candidates/first-deny", p, Request{PrincipalARN: "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Contractor_1/c", AccountID: "111111111111", Profile: benchProfile, Time: wed}, false, "rule-0004"},
		{"unknown-profile", p, Request{PrincipalARN: benchCaller, AccountID: "111111111111", Profile: "nope", Time: wed}, false, DefaultDenyRule},
	}
	for _, c := range cases {
		if d := c.p.Evaluate(c.req); d.Allowed != c.allowed || d.Rule != c.rule {
			b.Fatalf("%s: decided %+v; want allowed=%v by %s", c.name, d, c.allowed, c.rule)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.p.Evaluate(c.req)
			}
		})
	}
}

func BenchmarkEvaluate100Rules(b *testing.B)  { benchmarkEvaluate(b, 100) }
func BenchmarkEvaluate1000Rules(b *testing.B) { benchmarkEvaluate(b, 1000) }

func BenchmarkParse1000Rules(b *testing.B) {
	data := []byte(benchPolicy(1000, false))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
