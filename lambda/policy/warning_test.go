package policy

import (
	"fmt"
	"strings"
	"testing"
)

// TestIdentityCenterWarnings pins the warning for allow rules whose principal patterns
// match IAM Identity Center sessions in any account: whoever can create a role named
// AWSReservedSSO_x in some account can pick its session name, so only the account makes
// such a pattern mean a person.
func TestIdentityCenterWarnings(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		extra   string // more rule fields
		effect  string
		warn    bool
	}{
		{"permission set in any account", "arn:aws:sts::*:assumed-role/AWSReservedSSO_Engineer_*/*", "", "allow", true},
		{"any Identity Center role", "arn:aws:sts::*:assumed-role/AWSReservedSSO_*/*", "", "allow", true},
		{"any role, one session name", "arn:aws:sts::*:assumed-role/*/alice@example.com", "", "allow", true},
		{"role prefix that covers the reserved one", "arn:aws:sts::*:assumed-role/AWS*/*", "", "allow", true},
		{"question marks in the role", "arn:aws:sts::*:assumed-role/AWSReserved???_x/*", "", "allow", true},
		{"any sts resource", "arn:aws:sts::*:*", "", "allow", true},
		{"service wildcard", "arn:aws:*::*:assumed-role/AWSReservedSSO_x/*", "", "allow", true},
		{"partition wildcard", "arn:*:sts::*:assumed-role/AWSReservedSSO_x/*", "", "allow", true},
		{"GovCloud", "arn:aws-us-gov:sts::*:assumed-role/AWSReservedSSO_x/*", "", "allow", true},
		{"account with a question mark", "arn:aws:sts::11111111111?:assumed-role/AWSReservedSSO_x/*", "", "allow", true},
		{"account prefix", "arn:aws:sts::1111*:assumed-role/AWSReservedSSO_x/*", "", "allow", true},
		{"organisation does not pin the account", "arn:aws:sts::*:assumed-role/AWSReservedSSO_x/*", "    org_ids: [o-abc123def4]\n", "allow", true},

		{"account pinned in the pattern", "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Engineer_*/*", "", "allow", false},
		{"account pinned by the rule", "arn:aws:sts::*:assumed-role/AWSReservedSSO_Engineer_*/*", "    accounts: [\"111111111111\", \"222222222222\"]\n", "allow", false},
		{"deny rules refuse more, which is safe", "arn:aws:sts::*:assumed-role/AWSReservedSSO_Contractor_*/*", "", "deny", false},
		{"any caller claims no identity", "*", "", "allow", false},
		{"another role", "arn:aws:sts::*:assumed-role/github-actions/*", "", "allow", false},
		{"role prefix that excludes the reserved one", "arn:aws:sts::*:assumed-role/AWSReservedSS/*", "", "allow", false},
		{"IAM users", "arn:aws:iam::*:user/alice", "", "allow", false},
		{"iam is not sts", "arn:aws:iam::*:assumed-role/AWSReservedSSO_x/*", "", "allow", false},
		{"a region never matches an sts ARN", "arn:aws:sts:us-east-1:*:assumed-role/AWSReservedSSO_x/*", "", "allow", false},
		{"federated users", "arn:aws:sts::*:federated-user/*", "", "allow", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := withRules(fmt.Sprintf("  - name: r\n    effect: %s\n    principals:\n      - %q\n      - arn:aws:sts::111111111111:assumed-role/Admin/*\n    profiles: [readonly]\n%s",
				tt.effect, tt.pattern, tt.extra))
			ws := mustParse(t, src).Warnings()
			if !tt.warn {
				if len(ws) != 0 {
					t.Errorf("warnings %v; want none", ws)
				}
				return
			}
			if len(ws) != 1 {
				t.Fatalf("warnings %v; want one", ws)
			}
			w := ws[0]
			if w.Path != "rules[0].principals[0]" || w.Line != 11 || !strings.Contains(w.Message, fmt.Sprintf("%q", tt.pattern)) ||
				!strings.Contains(w.Message, "pin the account") {
				t.Errorf("warning %+v", w)
			}
			if want := "rules[0].principals[0]: " + w.Message + " (line 11)"; w.String() != want {
				t.Errorf("String() = %q; want %q", w.String(), want)
			}
		})
	}
}

func TestWarningsOrderAndCopy(t *testing.T) {
	src := withRules(`  - &r
    name: a
    effect: allow
    principals: ["arn:aws:sts::*:assumed-role/AWSReservedSSO_A_*/*", "arn:aws:sts::*:assumed-role/AWSReservedSSO_B_*/*"]
    profiles: [readonly]
  - <<: *r
    name: b
`)
	p := mustParse(t, src)
	ws := p.Warnings()
	var got []string
	for _, w := range ws {
		got = append(got, fmt.Sprintf("%d %s", w.Line, w.Path))
	}
	// The merged rule warns on the anchor's line, under its own path.
	want := []string{"11 rules[0].principals[0]", "11 rules[0].principals[1]", "11 rules[1].principals[0]", "11 rules[1].principals[1]"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("warnings %q; want %q", got, want)
	}
	ws[0].Message = "changed"
	if p.Warnings()[0].Message == "changed" {
		t.Error("Warnings shares memory with the policy")
	}
	if (*Policy)(nil).Warnings() != nil {
		t.Error("nil policy has warnings")
	}
	if ws := mustParse(t, withRules(okRule)).Warnings(); ws != nil {
		t.Errorf("warnings %v", ws)
	}
}

// TestExampleWarnsNothing keeps the documented example free of the patterns the
// warnings are about.
func TestExampleWarnsNothing(t *testing.T) {
	for _, f := range []string{"testdata/example.yaml", "testdata/anchors.yaml", "testdata/minimal.yaml"} {
		p, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if ws := p.Warnings(); len(ws) != 0 {
			t.Errorf("%s: %v", f, ws)
		}
	}
}

// TestGlobMatchesPrefix checks globMatchesPrefix against brute force: every pattern of
// up to five characters over a, b, * and ?, and every prefix of up to two letters.
// Completing a prefix never needs more characters than the pattern has.
func TestGlobMatchesPrefix(t *testing.T) {
	// all returns every string over alphabet of at most n characters.
	all := func(alphabet string, n int) []string {
		out := []string{""}
		for i := 0; i < len(out); i++ {
			if len(out[i]) < n {
				for _, c := range alphabet {
					out = append(out, out[i]+string(c))
				}
			}
		}
		return out
	}
	patterns, prefixes, suffixes := all("ab*?", 5), all("ab", 2), all("ab", 5)
	for _, pat := range patterns {
		for _, pre := range prefixes {
			want := false
			for _, suf := range suffixes {
				if matchGlob(pat, pre+suf) {
					want = true
					break
				}
			}
			if got := globMatchesPrefix(pat, pre); got != want {
				t.Errorf("globMatchesPrefix(%q, %q) = %v; want %v", pat, pre, got, want)
			}
		}
	}
}
