package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// baseProfiles is the head of most test policies; the rules it is followed by start on
// line 8, so that expected line numbers can be read off the test source.
const baseProfiles = `version: 1
profiles:
  prod-admin:
    role_arn: arn:aws:iam::111111111111:role/vend/prod-admin
  readonly:
    role_arn: arn:aws:iam::111111111111:role/vend/readonly
rules:
`

// withRules returns a policy with the base profiles and the given rules text.
func withRules(rules string) string { return baseProfiles + rules }

// okRule is a valid rule; cases append one field to it (line 12 onwards).
const okRule = `  - name: r
    effect: allow
    principals: ["*"]
    profiles: [readonly]
`

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func TestParseErrors(t *testing.T) {
	manyRules := func(n int) string {
		var b strings.Builder
		b.WriteString(baseProfiles)
		for i := range n {
			fmt.Fprintf(&b, "  - {name: r%d, effect: allow, principals: [\"*\"], profiles: [readonly]}\n", i)
		}
		return b.String()
	}
	manyProfiles := func(n int) string {
		var b strings.Builder
		b.WriteString("version: 1\nprofiles:\n")
		for i := range n {
			fmt.Fprintf(&b, "  p%d: {role_arn: \"arn:aws:iam::111111111111:role/p\"}\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		src  string
		want []string // each must appear in the error text
	}{
		{"empty file", "", []string{"policy file is empty"}},
		{"only comments", "# nothing here\n\n", []string{"policy file is empty"}},
		{"null document", "---\n~\n", []string{"policy file is empty"}},
		{"too large", "# " + strings.Repeat("x", maxFileSize), []string{"policy file is larger than 1048576 bytes"}},
		{"two documents", withRules(okRule) + "---\nversion: 1\n", []string{"more than one YAML document; put the whole policy in one (line 12)"}},
		{"yaml syntax", "version: 1\nprofiles: [\n", []string{"invalid YAML: "}},
		{"bad indentation", "version: 1\n  profiles: x\n", []string{"invalid YAML: mapping values are not allowed in this context (line 2)"}},
		{"not a mapping", "- a\n- b\n", []string{"must be a mapping, not a list (line 1)"}},
		{"missing version", strings.TrimPrefix(withRules(okRule), "version: 1\n"), []string{"version: missing; this vend reads version 1 (line 1)"}},
		{"unsupported version", strings.Replace(withRules(okRule), "version: 1", "version: 2", 1), []string{"version: unsupported version 2; this vend reads version 1 (line 1)"}},
		{"version as string", strings.Replace(withRules(okRule), "version: 1", `version: "1"`, 1), []string{`version: must be the number 1, not "1" (line 1)`}},
		{"unknown top-level field", withRules(okRule) + "defaults: {}\n", []string{"defaults: unknown field; known fields are version, profiles, rules, administrators (line 12)"}},
		{"duplicate top-level key", withRules(okRule) + "version: 1\n", []string{"version: duplicate key; first defined on line 1 (line 12)"}},
		{"missing profiles", "version: 1\nrules: []\n", []string{"profiles: missing; define at least one profile (line 1)"}},
		{"profiles not a mapping", "version: 1\nprofiles: [a]\n", []string{"profiles: must be a mapping of profile names to profiles (line 2)"}},
		{"no profiles", "version: 1\nprofiles: {}\n", []string{"profiles: must define at least one profile (line 2)"}},
		// A duplicate profile key: the loader must not silently keep one of the two.
		{"duplicate profile", strings.Replace(withRules(okRule), "  readonly:", "  prod-admin:", 1), []string{"profiles.prod-admin: duplicate key; first defined on line 3 (line 5)"}},
		{"bad profile name", "version: 1\nprofiles:\n  -bad:\n    role_arn: arn:aws:iam::111111111111:role/x\n", []string{`profiles["-bad"]: invalid profile name: want 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit (line 3)`}},
		{"profile name too long", "version: 1\nprofiles:\n  " + strings.Repeat("a", 65) + ":\n    role_arn: arn:aws:iam::111111111111:role/x\n", []string{"invalid profile name"}},
		{"unknown profile field", "version: 1\nprofiles:\n  a:\n    role_arn: arn:aws:iam::111111111111:role/x\n    roleArn: x\n", []string{"profiles.a.roleArn: unknown field; known fields are role_arn, max_duration, description, session_policy, session_policy_arns (line 5)"}},
		{"missing role ARN", "version: 1\nprofiles:\n  a:\n    description: no role\n", []string{"profiles.a.role_arn: missing (line 3)"}},
		{"profile without body", "version: 1\nprofiles:\n  a:\n", []string{"profiles.a: must not be empty (line 3)"}},
		{"role ARN short account", "version: 1\nprofiles:\n  a: {role_arn: \"arn:aws:iam::11111111111:role/x\"}\n", []string{`profiles.a.role_arn: "arn:aws:iam::11111111111:role/x" is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME) (line 3)`}},
		{"role ARN is a user", "version: 1\nprofiles:\n  a: {role_arn: \"arn:aws:iam::111111111111:user/x\"}\n", []string{"is not an IAM role ARN"}},
		{"role ARN sts", "version: 1\nprofiles:\n  a: {role_arn: \"arn:aws:sts::111111111111:role/x\"}\n", []string{"is not an IAM role ARN"}},
		{"role ARN with wildcard", "version: 1\nprofiles:\n  a: {role_arn: \"arn:aws:iam::111111111111:role/*\"}\n", []string{"is not an IAM role ARN"}},
		{"role ARN without name", "version: 1\nprofiles:\n  a: {role_arn: \"arn:aws:iam::111111111111:role/\"}\n", []string{"is not an IAM role ARN"}},
		{"max_duration too short", "version: 1\nprofiles:\n  a: {role_arn: \"arn:aws:iam::111111111111:role/x\", max_duration: 14m59s}\n", []string{"profiles.a.max_duration: 14m59s is outside 15m..1h (STS role chaining allows at most an hour) (line 3)"}},
		{"max_duration too long", "version: 1\nprofiles:\n  a: {role_arn: \"arn:aws:iam::111111111111:role/x\", max_duration: 2h}\n", []string{"profiles.a.max_duration: 2h is outside 15m..1h"}},
		{"max_duration not a duration", "version: 1\nprofiles:\n  a: {role_arn: \"arn:aws:iam::111111111111:role/x\", max_duration: 3600}\n", []string{`profiles.a.max_duration: "3600" is not a duration such as 30m or 1h (line 3)`}},
		{"max_duration fractional", "version: 1\nprofiles:\n  a: {role_arn: \"arn:aws:iam::111111111111:role/x\", max_duration: 20m0.5s}\n", []string{"is not a whole number of seconds"}},
		{"rules not a list", baseProfiles[:len(baseProfiles)-len("rules:\n")] + "rules: {a: 1}\n", []string{"rules: must be a list of rules (line 7)"}},
		{"rule not a mapping", withRules("  - just a string\n"), []string{"rules[0]: must be a mapping, not a single value (line 8)"}},
		{"unknown rule field", withRules(okRule + "    efect: deny\n"), []string{"rules[0].efect: unknown field; known fields are name, effect, principals, accounts, org_ids, profiles, time_windows, reason, break_glass, approval, require_scope (line 12)"}},
		{"break_glass not a bool", withRules(okRule + "    break_glass: yes\n"), []string{`rules[0].break_glass: must be true or false, not "yes" (line 12)`}},
		{"break_glass quoted", withRules(okRule + "    break_glass: \"true\"\n"), []string{`rules[0].break_glass: must be true or false, not "true" (line 12)`}},
		{"break_glass capitalised", withRules(okRule + "    break_glass: True\n"), []string{`rules[0].break_glass: must be true or false, not "True" (line 12)`}},
		{"break_glass empty", withRules(okRule + "    break_glass:\n"), []string{`rules[0].break_glass: `}},
		{"break_glass on a deny rule", withRules(strings.Replace(okRule, "effect: allow", "effect: deny", 1) + "    break_glass: true\n"), []string{"rules[0].break_glass: only an allow rule can be break-glass: a deny rule never vends (line 12)"}},
		{"approval on a deny rule", withRules(strings.Replace(okRule, "effect: allow", "effect: deny", 1) + "    approval: {approvers: [\"*\"]}\n"), []string{"rules[0].approval: only an allow rule can require approval: a deny rule never vends (line 12)"}},
		{"approval and break-glass", withRules(okRule + "    break_glass: true\n    approval: {approvers: [\"*\"]}\n"), []string{"rules[0].approval: a rule is either break-glass (vends at once, with a reason) or needs approval, not both (line 13)"}},
		{"approval without approvers", withRules(okRule + "    approval: {grant: 1h}\n"), []string{"rules[0].approval.approvers: missing; list ARN patterns of who may approve (line 12)"}},
		{"approval with no approvers", withRules(okRule + "    approval: {approvers: []}\n"), []string{"rules[0].approval.approvers: must not be an empty list (line 12)"}},
		{"approver not an ARN", withRules(okRule + "    approval: {approvers: [bob]}\n"), []string{`rules[0].approval.approvers[0]: principal pattern "bob" is not an ARN`}},
		{"approval unknown field", withRules(okRule + "    approval: {approvers: [\"*\"], approver: x}\n"), []string{"rules[0].approval.approver: unknown field; known fields are approvers, approvals, grant (line 12)"}},
		{"approvals zero", withRules(okRule + "    approval: {approvers: [\"*\"], approvals: 0}\n"), []string{"rules[0].approval.approvals: 0 is outside 1..10 (line 12)"}},
		{"approvals not a number", withRules(okRule + "    approval: {approvers: [\"*\"], approvals: two}\n"), []string{`rules[0].approval.approvals: must be a whole number, not "two" (line 12)`}},
		{"grant too long", withRules(okRule + "    approval: {approvers: [\"*\"], grant: 200h}\n"), []string{"rules[0].approval.grant: 200h is outside 15m..168h (7 days) (line 12)"}},
		{"grant not a duration", withRules(okRule + "    approval: {approvers: [\"*\"], grant: 4 hours}\n"), []string{`rules[0].approval.grant: "4 hours" is not a duration such as 30m or 4h (line 12)`}},
		{"administrators empty", baseProfiles + okRule + "administrators: []\n", []string{"administrators: must not be an empty list (line 12)"}},
		{"administrator not an ARN", baseProfiles + okRule + "administrators: [root]\n", []string{`administrators[0]: principal pattern "root" is not an ARN`}},
		{"duplicate rule key", withRules(okRule + "    effect: deny\n"), []string{"rules[0].effect: duplicate key; first defined on line 9 (line 12)"}},
		{"missing name", withRules("  - effect: allow\n    principals: [\"*\"]\n    profiles: [readonly]\n"), []string{"rules[0].name: missing (line 8)"}},
		{"invalid rule name", withRules(strings.Replace(okRule, "name: r", "name: on call", 1)), []string{`rules[0].name: invalid rule name "on call"`}},
		{"reserved rule name", withRules(strings.Replace(okRule, "name: r", "name: default-deny", 1)), []string{`rules[0].name: "default-deny" is reserved for the implicit rule (line 8)`}},
		{"duplicate rule names", withRules(okRule + okRule), []string{`rules[1].name: duplicate rule name "r"; rules[0] on line 8 has it already (line 12)`}},
		{"missing effect", withRules("  - name: r\n    principals: [\"*\"]\n    profiles: [readonly]\n"), []string{"rules[0].effect: missing; want allow or deny (line 8)"}},
		{"unknown effect", withRules(strings.Replace(okRule, "effect: allow", "effect: Allow", 1)), []string{`rules[0].effect: unknown effect "Allow"; want allow or deny (line 9)`}},
		{"missing principals", withRules("  - name: r\n    effect: allow\n    profiles: [readonly]\n"), []string{`rules[0].principals: missing; list ARN patterns of callers, or "*" for any caller (line 8)`}},
		{"empty principals", withRules(strings.Replace(okRule, `principals: ["*"]`, "principals: []", 1)), []string{"rules[0].principals: must not be an empty list (line 10)"}},
		{"principals not a list", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: "*"`, 1)), []string{"rules[0].principals: must be a list, not a single value (line 10)"}},
		{"principal not an ARN", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: [alice]`, 1)), []string{`rules[0].principals[0]: principal pattern "alice" is not an ARN: want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE or "*" (line 10)`}},
		{"principal with five parts", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn:aws:sts::111111111111"]`, 1)), []string{"is not an ARN"}},
		{"principal bad prefix", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["urn:aws:sts::111111111111:assumed-role/x/y"]`, 1)), []string{`does not start with "arn:"`}},
		{"principal wildcard prefix", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["*:aws:sts::111111111111:assumed-role/x/y"]`, 1)), []string{`does not start with "arn:"`}},
		{"principal empty partition", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn::sts::111111111111:assumed-role/x/y"]`, 1)), []string{"has an empty partition"}},
		{"principal bad partition", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn:AWS:sts::111111111111:assumed-role/x/y"]`, 1)), []string{`has an invalid partition "AWS"`}},
		{"principal empty service", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn:aws:::111111111111:assumed-role/x/y"]`, 1)), []string{"has an empty service"}},
		{"principal bad service", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn:aws:STS::111111111111:assumed-role/x/y"]`, 1)), []string{`has an invalid service "STS"`}},
		{"principal short account", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn:aws:sts::11111111111:assumed-role/x/y"]`, 1)), []string{`has an invalid account "11111111111" (want 12 digits)`}},
		{"principal letters in account", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn:aws:sts::abc*:assumed-role/x/y"]`, 1)), []string{`has an invalid account "abc*"`}},
		{"principal empty resource", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn:aws:sts::111111111111:"]`, 1)), []string{"has an empty resource"}},
		{"principal with space", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn:aws:sts::111111111111:assumed-role/x/a b"]`, 1)), []string{"contains a space, control or non-ASCII character"}},
		{"principal names a role", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn:aws:iam::111111111111:role/team/Admin"]`, 1)), []string{"names an IAM role, which never calls vend itself; match its sessions with arn:aws:sts::111111111111:assumed-role/Admin/*"}},
		{"principal empty", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: [""]`, 1)), []string{"rules[0].principals[0]: empty principal pattern (line 10)"}},
		{"principal null", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: [~]`, 1)), []string{"rules[0].principals[0]: must not be empty (line 10)"}},
		{"principal too long", withRules(strings.Replace(okRule, `principals: ["*"]`, `principals: ["arn:aws:sts::111111111111:assumed-role/`+strings.Repeat("x", 2048)+`"]`, 1)), []string{"principal pattern longer than 2048 characters"}},
		{"missing profiles", withRules("  - name: r\n    effect: allow\n    principals: [\"*\"]\n"), []string{"rules[0].profiles: missing; list the profile names or patterns this rule covers (line 8)"}},
		{"empty profiles", withRules(strings.Replace(okRule, "profiles: [readonly]", "profiles: []", 1)), []string{"rules[0].profiles: must not be an empty list (line 11)"}},
		{"bad profile pattern", withRules(strings.Replace(okRule, "profiles: [readonly]", "profiles: [read/only]", 1)), []string{`rules[0].profiles[0]: profile pattern "read/only" contains '/'`}},
		{"profile pattern matches nothing", withRules(strings.Replace(okRule, "profiles: [readonly]", "profiles: [readonly, prd-*]", 1)), []string{`rules[0].profiles[1]: "prd-*" matches no profile in this policy (line 11)`}},
		{"profile name matches nothing", withRules(strings.Replace(okRule, "profiles: [readonly]", "profiles: [Readonly]", 1)), []string{`rules[0].profiles[0]: "Readonly" matches no profile in this policy (line 11)`}},
		{"bad account", withRules(okRule + "    accounts: [\"11111111111\", 111111111111]\n"), []string{`rules[0].accounts[0]: "11111111111" is not an AWS account ID (12 digits) (line 12)`}},
		{"empty accounts", withRules(okRule + "    accounts: []\n"), []string{"rules[0].accounts: must not be an empty list (line 12)"}},
		{"bad org", withRules(okRule + "    org_ids: [o-ABC123DEF4, o-abc]\n"), []string{
			`rules[0].org_ids[0]: "o-ABC123DEF4" is not an AWS Organizations ID`,
			`rules[0].org_ids[1]: "o-abc" is not an AWS Organizations ID`,
		}},
		{"unknown window field", withRules(okRule + "    time_windows:\n      - {start: \"08:00\", end: \"18:00\", timezone: UTC, tz: UTC}\n"), []string{"rules[0].time_windows[0].tz: unknown field; known fields are days, start, end, timezone (line 13)"}},
		{"empty windows", withRules(okRule + "    time_windows: []\n"), []string{"rules[0].time_windows: must not be an empty list (line 12)"}},
		{"bad day", withRules(okRule + "    time_windows:\n      - {days: [Monday], start: \"08:00\", end: \"18:00\", timezone: UTC}\n"), []string{`rules[0].time_windows[0].days[0]: unknown day "Monday"; want mon, tue, wed, thu, fri, sat or sun (line 13)`}},
		{"duplicate day", withRules(okRule + "    time_windows:\n      - {days: [mon, mon], start: \"08:00\", end: \"18:00\", timezone: UTC}\n"), []string{`rules[0].time_windows[0].days[1]: day "mon" listed twice`}},
		{"empty days", withRules(okRule + "    time_windows:\n      - {days: [], start: \"08:00\", end: \"18:00\", timezone: UTC}\n"), []string{"rules[0].time_windows[0].days: must not be an empty list"}},
		{"bad start", withRules(okRule + "    time_windows:\n      - {start: \"8:00\", end: \"18:00\", timezone: UTC}\n"), []string{`rules[0].time_windows[0].start: "8:00" is not a time of day; want HH:MM (24-hour), e.g. 08:00 (line 13)`}},
		{"bad end", withRules(okRule + "    time_windows:\n      - {start: \"08:00\", end: \"18:60\", timezone: UTC}\n"), []string{`rules[0].time_windows[0].end: "18:60" is not a time of day`}},
		{"24:00 start", withRules(okRule + "    time_windows:\n      - {start: \"24:00\", end: \"06:00\", timezone: UTC}\n"), []string{`rules[0].time_windows[0].start: "24:00" is not a time of day`}},
		{"missing start", withRules(okRule + "    time_windows:\n      - {end: \"18:00\", timezone: UTC}\n"), []string{"rules[0].time_windows[0].start: missing; want HH:MM (24-hour) (line 13)"}},
		{"start equals end", withRules(okRule + "    time_windows:\n      - {start: \"08:00\", end: \"08:00\", timezone: UTC}\n"), []string{"rules[0].time_windows[0]: start and end are both 08:00; a window must have a length"}},
		{"unknown time zone", withRules(okRule + "    time_windows:\n      - start: \"08:00\"\n        end: \"18:00\"\n        timezone: Europe/Berln\n"), []string{`rules[0].time_windows[0].timezone: unknown time zone "Europe/Berln" (line 15)`}},
		{"local time zone", withRules(okRule + "    time_windows:\n      - {start: \"08:00\", end: \"18:00\", timezone: Local}\n"), []string{`unknown time zone "Local"; want an IANA name`}},
		{"missing time zone", withRules(okRule + "    time_windows:\n      - {start: \"08:00\", end: \"18:00\"}\n"), []string{"rules[0].time_windows[0].timezone: missing; want an IANA time zone such as Europe/Berlin or UTC (line 13)"}},
		{"too many rules", manyRules(maxRules + 1), []string{"rules: more than 10000 rules (line 8)"}},
		{"too many profiles", manyProfiles(maxProfiles + 1), []string{"profiles: more than 10000 profiles (line 3)"}},
		{"non-string key", withRules(okRule + "    [a]: 1\n"), []string{"rules[0]: mapping keys must be strings (line 12)"}},
		{"bad merge", withRules(okRule + "    <<: 5\n"), []string{"rules[0]: a merge key (<<) needs a mapping or a list of mappings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded (%d rules); want an error", len(p.Rules()))
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q; got:\n%v", want, err)
				}
			}
		})
	}
}

func TestParseCollectsAllErrors(t *testing.T) {
	src := `version: 1
profiles:
  a: {role_arn: "arn:aws:iam::1:role/x", max_duration: 2h, extra: 1}
rules:
  - name: r1
    effect: maybe
    principals: [nope]
    profiles: [zz*]
    time_windows:
      - {days: [xyz], start: "8:00", end: "25:00", timezone: Europe/Berln}
  - name: r1
    effect: deny
    principals: ["*"]
    profiles: [a]
    extra: 1
`
	_, err := Parse([]byte(src))
	if err == nil {
		t.Fatal("Parse succeeded; want errors")
	}
	// One line per problem, ordered by line, after the "invalid policy: " prefix.
	want := []string{
		`invalid policy: profiles.a.extra: unknown field; known fields are role_arn, max_duration, description, session_policy, session_policy_arns (line 3)`,
		`profiles.a.role_arn: "arn:aws:iam::1:role/x" is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME) (line 3)`,
		`profiles.a.max_duration: 2h is outside 15m..1h (STS role chaining allows at most an hour) (line 3)`,
		`rules[0].effect: unknown effect "maybe"; want allow or deny (line 6)`,
		`rules[0].principals[0]: principal pattern "nope" is not an ARN: want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE or "*" (line 7)`,
		`rules[0].profiles[0]: "zz*" matches no profile in this policy (line 8)`,
		`rules[0].time_windows[0].days[0]: unknown day "xyz"; want mon, tue, wed, thu, fri, sat or sun (line 10)`,
		`rules[0].time_windows[0].start: "8:00" is not a time of day; want HH:MM (24-hour), e.g. 08:00 (line 10)`,
		`rules[0].time_windows[0].end: "25:00" is not a time of day; want HH:MM (24-hour), e.g. 08:00 (line 10)`,
		`rules[0].time_windows[0].timezone: unknown time zone "Europe/Berln" (line 10)`,
		`rules[1].name: duplicate rule name "r1"; rules[0] on line 5 has it already (line 11)`,
		`rules[1].extra: unknown field; known fields are name, effect, principals, accounts, org_ids, profiles, time_windows, reason, break_glass, approval, require_scope (line 15)`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(baseProfiles)
	for i := range 150 {
		fmt.Fprintf(&b, "  - {name: r%d, effect: nope, principals: [\"*\"], profiles: [readonly]}\n", i)
	}
	_, err := Parse([]byte(b.String()))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxErrors+1 || lines[maxErrors] != "and 50 more problems" {
		t.Errorf("got %d lines ending %q; want %d lines ending with the count of the rest", len(lines), lines[len(lines)-1], maxErrors+1)
	}
}

func TestParseAliasBomb(t *testing.T) {
	// Each level references the previous one nine times: expanding it fully would visit
	// 9^8 (43 million) nodes. The loader must give up with an error, quickly.
	src := "version: 1\nprofiles:\n  a: {role_arn: \"arn:aws:iam::111111111111:role/x\"}\nrules:\n"
	src += "  - name: r\n    effect: allow\n    profiles: [a]\n    principals: &l0 [\"*\", \"*\", \"*\", \"*\", \"*\", \"*\", \"*\", \"*\", \"*\"]\n"
	for i := 1; i <= 8; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 9), ", ")
		src += fmt.Sprintf("  - name: r%d\n    effect: allow\n    profiles: [a]\n    principals: &l%d [%s]\n", i, i, refs)
	}
	_, err := Parse([]byte(src))
	if err == nil {
		t.Fatal("Parse succeeded; want an error")
	}
	// Nested lists are not strings, so the first level already fails; the point is that
	// the loader does not expand the aliases to find out.
	if !strings.Contains(err.Error(), "must be a string, not a list") {
		t.Errorf("unexpected error: %v", err)
	}

	// Merge keys do expand mappings, so a merge bomb must hit the visit budget or the
	// merge depth limit.
	// merge depth limit; 10^8 visits if it did not stop.
	src = "version: 1\nrules:\n  - &m0 {a0: 1, a1: 1, a2: 1, a3: 1, a4: 1, a5: 1, a6: 1, a7: 1, a8: 1, a9: 1}\n"
	for i := 1; i <= 8; i++ {
		src += fmt.Sprintf("  - &m%d {<<: [%s]}\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 10), ", "))
	}
	src += "profiles: {<<: *m8}\n"
	_, err = Parse([]byte(src))
	if err == nil || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Parse: %v; want an invalid-policy error", err)
	}
	if !strings.Contains(err.Error(), "policy is too complex: more than 2000000 YAML nodes after expanding aliases") {
		t.Errorf("unexpected error: %v", err)
	}
	// Deeper than the merge limit: refused before any budget is spent.
	src = "version: 1\nrules:\n  - &m0 {a: 1}\n"
	for i := 1; i <= 12; i++ {
		src += fmt.Sprintf("  - &m%d {<<: *m%d}\n", i, i-1)
	}
	src += "profiles: {<<: *m12}\n"
	if _, err = Parse([]byte(src)); err == nil || !strings.Contains(err.Error(), "merge keys (<<) nested more than 8 deep") {
		t.Errorf("deep merge: %v", err)
	}
}

func TestParseValid(t *testing.T) {
	src := `version: 1
profiles:
  zeta:
    role_arn: arn:aws-us-gov:iam::123456789012:role/a/b/zeta
  alpha:
    role_arn: arn:aws:iam::012345678901:role/alpha
    max_duration: 15m
    description: first
rules:
  - name: r.1
    effect: deny
    principals: ["arn:aws:sts::012345678901:assumed-role/x/*"]
    accounts: [012345678901]
    org_ids: [o-abcdefghij]
    profiles: ["*"]
    time_windows:
      - {days: [sun, mon], start: "22:00", end: "06:00", timezone: UTC}
      - {start: "00:00", end: "24:00", timezone: America/New_York}
    reason: because
  - name: R_2
    effect: allow
    principals: ["*"]
    profiles: [alpha]
`
	p := mustParse(t, src)
	sum := sha256.Sum256([]byte(src))
	if want := "sha256:" + hex.EncodeToString(sum[:]); p.Hash() != want {
		t.Errorf("Hash = %s; want %s", p.Hash(), want)
	}
	if p.Version() != 1 {
		t.Errorf("Version = %d", p.Version())
	}
	wantProfiles := []Profile{
		{Name: "alpha", RoleARN: "arn:aws:iam::012345678901:role/alpha", Description: "first", MaxDuration: 15 * time.Minute},
		{Name: "zeta", RoleARN: "arn:aws-us-gov:iam::123456789012:role/a/b/zeta", MaxDuration: time.Hour},
	}
	if got := p.Profiles(); fmt.Sprint(got) != fmt.Sprint(wantProfiles) {
		t.Errorf("Profiles = %+v; want %+v (sorted, default 1h)", got, wantProfiles)
	}
	if got, ok := p.Profile("zeta"); !ok || !reflect.DeepEqual(got, wantProfiles[1]) {
		t.Errorf("Profile(zeta) = %+v, %v", got, ok)
	}
	if _, ok := p.Profile("nope"); ok {
		t.Error("Profile(nope) found")
	}
	rules := p.Rules()
	if len(rules) != 2 {
		t.Fatalf("%d rules", len(rules))
	}
	r := rules[0]
	// Account IDs keep their leading zero although YAML would read 012345678901 as a number.
	if r.Name != "r.1" || r.Effect != Deny || r.Line != 10 || r.Reason != "because" ||
		fmt.Sprint(r.Accounts) != "[012345678901]" || fmt.Sprint(r.OrgIDs) != "[o-abcdefghij]" ||
		fmt.Sprint(r.Profiles) != "[*]" || len(r.TimeWindows) != 2 {
		t.Errorf("rule 0 = %+v", r)
	}
	if w := r.TimeWindows[0]; fmt.Sprint(w.Days) != "[Sunday Monday]" || w.Start != "22:00" || w.End != "06:00" || w.Timezone != "UTC" {
		t.Errorf("window 0 = %+v", w)
	}
	if w := r.TimeWindows[1]; w.Days != nil || w.End != "24:00" {
		t.Errorf("window 1 = %+v; want nil days (every day)", w)
	}
	if rules[1].Name != "R_2" || rules[1].Effect != Allow || rules[1].Line != 20 {
		t.Errorf("rule 1 = %+v", rules[1])
	}

	// Rules returns a copy: changing it does not change the policy.
	rules[0].Principals[0] = "changed"
	rules[0].TimeWindows[0].Days[0] = time.Saturday
	if again := p.Rules(); again[0].Principals[0] == "changed" || again[0].TimeWindows[0].Days[0] != time.Sunday {
		t.Error("Rules shares memory with the policy")
	}
}

func TestParseNoRules(t *testing.T) {
	// A policy without rules is valid: it refuses everything, which is a safe way to
	// lock the TVM down. It says so with rules: [] or by leaving rules out; a rules key
	// without a value is an error (TestParseNullAndEmpty).
	for _, src := range []string{strings.Replace(baseProfiles, "rules:\n", "rules: []\n", 1), strings.TrimSuffix(baseProfiles, "rules:\n")} {
		p := mustParse(t, src)
		d := p.Evaluate(Request{PrincipalARN: "arn:aws:iam::111111111111:user/a", AccountID: "111111111111", Profile: "readonly", Time: time.Now()})
		if d.Allowed || d.Rule != DefaultDenyRule {
			t.Errorf("decision %+v; want default deny", d)
		}
	}
}

func TestParseTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("testdata: %v, %d files", err, len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Profiles()) == 0 || len(p.Rules()) == 0 {
				t.Errorf("%d profiles, %d rules", len(p.Profiles()), len(p.Rules()))
			}
		})
	}
}

func TestParseAnchors(t *testing.T) {
	p, err := ParseFile("testdata/anchors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules := p.Rules()
	ro := rules[1]
	// The merged rule takes effect and principals from the anchor and overrides the rest.
	if ro.Name != "team-readonly" || ro.Effect != Allow || fmt.Sprint(ro.Profiles) != "[app-readonly]" ||
		fmt.Sprint(ro.Principals) != fmt.Sprint(rules[0].Principals) || len(ro.TimeWindows) != 2 {
		t.Fatalf("merged rule = %+v", ro)
	}
	if w := ro.TimeWindows[1]; fmt.Sprint(w.Days) != "[Saturday]" || w.Start != "10:00" || w.End != "14:00" || w.Timezone != "America/New_York" {
		t.Errorf("merged window = %+v", w)
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	t.Run("missing", func(t *testing.T) {
		_, err := ParseFile(filepath.Join(dir, "nope.yaml"))
		if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalid) {
			t.Errorf("err = %v; want not-exist, not invalid", err)
		}
	})
	t.Run("invalid names the file", func(t *testing.T) {
		path := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(path, []byte("version: 3\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ParseFile(path)
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), path+": invalid policy: version:") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		path := filepath.Join(dir, "big.yaml")
		if err := os.WriteFile(path, []byte(baseProfiles+"#"+strings.Repeat("x", 2*maxFileSize)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ParseFile(path)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("limits are inclusive", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(baseProfiles)
		for i := range maxRules {
			fmt.Fprintf(&b, "  - {name: r%d, effect: allow, principals: [\"*\"], profiles: [readonly]}\n", i)
		}
		p := mustParse(t, b.String())
		if len(p.Rules()) != maxRules {
			t.Errorf("%d rules", len(p.Rules()))
		}
	})
}
