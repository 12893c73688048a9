package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fullPolicy uses every field of the schema, one per line, so that a case can replace
// one field's value and know its line.
var fullPolicy = []string{
	"version: 1",  // 1
	"profiles:",   // 2
	"  readonly:", // 3
	"    role_arn: arn:aws:iam::111111111111:role/vend/readonly", // 4
	"    max_duration: 30m",      // 5
	"    description: Read-only", // 6
	"rules:",                     // 7
	"  - name: r",                // 8
	"    effect: allow",          // 9
	`    principals: ["arn:aws:sts::111111111111:assumed-role/Admin/*"]`, // 10
	`    accounts: ["111111111111"]`,                                     // 11
	"    org_ids: [o-abc123def4]",                                        // 12
	"    profiles: [readonly]",                                           // 13
	"    time_windows:",                                                  // 14
	"      - days: [mon]",                                                // 15
	`        start: "08:00"`,                                             // 16
	`        end: "18:00"`,                                               // 17
	"        timezone: UTC",                                              // 18
	"    reason: because",                                                // 19
}

// schemaField is one field of fullPolicy: its path in error messages, its line, how
// many lines its value spans there, and whether it holds a list.
type schemaField struct {
	path  string
	line  int
	lines int
	list  bool
}

var schemaFields = []schemaField{
	{"version", 1, 1, false},
	{"profiles", 2, 5, false},
	{"profiles.readonly.role_arn", 4, 1, false},
	{"profiles.readonly.max_duration", 5, 1, false},
	{"profiles.readonly.description", 6, 1, false},
	{"rules", 7, 13, true},
	{"rules[0].name", 8, 1, false},
	{"rules[0].effect", 9, 1, false},
	{"rules[0].principals", 10, 1, true},
	{"rules[0].accounts", 11, 1, true},
	{"rules[0].org_ids", 12, 1, true},
	{"rules[0].profiles", 13, 1, true},
	{"rules[0].time_windows", 14, 5, true},
	{"rules[0].time_windows[0].days", 15, 1, true},
	{"rules[0].time_windows[0].start", 16, 1, false},
	{"rules[0].time_windows[0].end", 17, 1, false},
	{"rules[0].time_windows[0].timezone", 18, 1, false},
	{"rules[0].reason", 19, 1, false},
}

// withField returns fullPolicy with the field's value replaced by value (the text after
// "key:"), keeping the field on its line.
func withField(f schemaField, value string) string {
	lines := append([]string(nil), fullPolicy...)
	old := lines[f.line-1]
	key := old[:strings.Index(old, ":")+1]
	lines = append(lines[:f.line-1], append([]string{key + value}, lines[f.line-1+f.lines:]...)...)
	return strings.Join(lines, "\n") + "\n"
}

func TestFullPolicyParses(t *testing.T) {
	p := mustParse(t, strings.Join(fullPolicy, "\n")+"\n")
	if len(p.Rules()) != 1 || len(p.Rules()[0].TimeWindows) != 1 {
		t.Fatalf("rules %+v", p.Rules())
	}
}

// TestParseNullAndEmpty pins that nothing empty means "any": a field written without a
// value, in any YAML spelling of null, or as an empty list, is a load error naming the
// field and its line. Before, `accounts:` and `accounts: ~` loaded as if the field were
// left out, so a rule meant for one account matched every account.
func TestParseNullAndEmpty(t *testing.T) {
	nulls := []string{"", " ~", " null", " Null", " NULL", " !!null ''"}
	for _, f := range schemaFields {
		for _, form := range nulls {
			t.Run(fmt.Sprintf("%s:%s", f.path, form), func(t *testing.T) {
				wantParseError(t, withField(f, form), fmt.Sprintf("%s: has no value", f.path), fmt.Sprintf("(line %d)", f.line))
			})
		}
		if f.list && f.path != "rules" { // rules: [] is the explicit way to refuse everything
			t.Run(f.path+": []", func(t *testing.T) {
				wantParseError(t, withField(f, " []"), f.path+": must not be an empty list", fmt.Sprintf("(line %d)", f.line))
			})
			t.Run(f.path+": [~]", func(t *testing.T) {
				wantParseError(t, withField(f, " [~]"), f.path+"[0]: must not be empty", fmt.Sprintf("(line %d)", f.line))
			})
		}
	}
	for _, f := range []schemaField{schemaFields[2], schemaFields[3], schemaFields[4], schemaFields[6], schemaFields[7], schemaFields[14], schemaFields[15], schemaFields[16], schemaFields[17]} {
		t.Run(f.path+`: ""`, func(t *testing.T) {
			p, err := Parse([]byte(withField(f, ` ""`)))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v); want an error", p.Rules())
			}
			if !strings.Contains(err.Error(), f.path+": ") || !strings.Contains(err.Error(), fmt.Sprintf("(line %d)", f.line)) {
				t.Errorf("error does not name %s on line %d:\n%v", f.path, f.line, err)
			}
		})
	}

	more := []struct {
		name, src string
		want      []string
	}{
		{"profiles: {}", withField(schemaFields[1], " {}"), []string{"profiles: must define at least one profile (line 2)"}},
		{"rules: null", withRules("") + "\n", []string{"rules: has no value; write rules: [] to refuse every request (line 7)"}},
		{"block list with a null item", withRules(okRule + "    accounts:\n      -\n"), []string{"rules[0].accounts[0]: must not be empty (line 13)"}},
		{"null window", withRules(okRule + "    time_windows:\n      -\n"), []string{"rules[0].time_windows[0]: must not be empty (line 13)"}},
		{"null through an alias", withRules(okRule + "    org_ids: &none\n    reason: *none\n"), []string{
			"rules[0].org_ids: has no value; list organisation IDs, or leave the field out to match any organisation (line 12)",
			"rules[0].reason: has no value; write one, or leave the field out for the default reason (line 13)",
		}},
		{"null from a merge key", withRules(okRule + "    <<: {accounts: ~}\n"), []string{"rules[0].accounts: has no value; list account IDs, or leave the field out to match any account (line 12)"}},
	}
	for _, tt := range more {
		t.Run(tt.name, func(t *testing.T) { wantParseError(t, tt.src, tt.want...) })
	}
}

func wantParseError(t *testing.T, src string, want ...string) {
	t.Helper()
	p, err := Parse([]byte(src))
	if err == nil {
		t.Fatalf("Parse succeeded (rules %+v); want an error\n%s", p.Rules(), src)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v does not wrap ErrInvalid", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not contain %q; got:\n%v\nsource:\n%s", w, err, src)
		}
	}
}
