package policy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// render writes a loaded policy back as YAML from its accessors alone. If Parse accepts
// the render and yields the same profiles and rules, the accessors expose everything the
// engine decides on, and loading is a function of the content, not of its layout.
func render(t *testing.T, p *Policy) []byte {
	t.Helper()
	type window struct {
		Days     []string `yaml:"days,omitempty"`
		Start    string   `yaml:"start"`
		End      string   `yaml:"end"`
		Timezone string   `yaml:"timezone"`
	}
	type rule struct {
		Name        string   `yaml:"name"`
		Effect      string   `yaml:"effect"`
		Principals  []string `yaml:"principals"`
		Accounts    []string `yaml:"accounts,omitempty"`
		OrgIDs      []string `yaml:"org_ids,omitempty"`
		Profiles    []string `yaml:"profiles"`
		TimeWindows []window `yaml:"time_windows,omitempty"`
		Reason      string   `yaml:"reason,omitempty"`
	}
	type profile struct {
		RoleARN     string `yaml:"role_arn"`
		MaxDuration string `yaml:"max_duration"`
		Description string `yaml:"description,omitempty"`
	}
	doc := struct {
		Version  int                `yaml:"version"`
		Profiles map[string]profile `yaml:"profiles"`
		Rules    []rule             `yaml:"rules"`
	}{Version: p.Version(), Profiles: map[string]profile{}}
	for _, pr := range p.Profiles() {
		doc.Profiles[pr.Name] = profile{pr.RoleARN, pr.MaxDuration.String(), pr.Description}
	}
	for _, r := range p.Rules() {
		out := rule{r.Name, string(r.Effect), r.Principals, r.Accounts, r.OrgIDs, r.Profiles, nil, r.Reason}
		for _, w := range r.TimeWindows {
			var days []string
			for _, d := range w.Days {
				days = append(days, [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[d])
			}
			out.TimeWindows = append(out.TimeWindows, window{days, w.Start, w.End, w.Timezone})
		}
		doc.Rules = append(doc.Rules, out)
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return data
}

// assertTerminalSafe checks every string a loaded policy holds: none may contain a
// character that could rewrite a terminal or reorder text, and only a description may
// span lines.
func assertTerminalSafe(t *testing.T, p *Policy) {
	t.Helper()
	check := func(what, s string, newline bool) {
		if r, bad := terminalUnsafe(s, newline); bad {
			t.Fatalf("%s %q contains %U", what, s, r)
		}
	}
	for _, pr := range p.Profiles() {
		check("profile name", pr.Name, false)
		check("role ARN", pr.RoleARN, false)
		check("description", pr.Description, true)
	}
	for _, r := range p.Rules() {
		check("rule name", r.Name, false)
		check("reason", r.Reason, false)
		for _, list := range [][]string{r.Principals, r.Accounts, r.OrgIDs, r.Profiles} {
			for _, s := range list {
				check("rule "+r.Name+" item", s, false)
			}
		}
		for _, w := range r.TimeWindows {
			check("window", w.Start+w.End+w.Timezone, false)
		}
	}
	for _, w := range p.Warnings() {
		check("warning", w.String(), false)
	}
}

func withoutLines(rules []Rule) []Rule {
	for i := range rules {
		rules[i].Line = 0
	}
	return rules
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "---\n", "version: 1\n", "version: 1\n---\nversion: 1\n", "[1, 2]", "a: &a [*a]\n",
		withRules(okRule), withRules(okRule + okRule),
		withRules(okRule + "    time_windows:\n      - {days: [fri], start: \"22:00\", end: \"06:00\", timezone: Europe/Berlin}\n"),
		"version: 1\nprofiles: {a: {role_arn: \"arn:aws:iam::111111111111:role/a\"}}\nrules: [{<<: {name: x, effect: deny}, principals: [\"*\"], profiles: [\"?\"]}]\n",
		withRules(okRule + "    reason: \"a\\e[2Jb\"\n"), withRules(okRule + "    reason: \"\\u202eevil\"\n"),
		withRules(okRule + "    \"x\\x9by\": 1\n"), withRules(okRule + "    accounts:\n"), withRules(okRule + "    accounts: ~\n"),
		withRules(okRule + "    time_windows:\n      - {days: ~, start: \"01:30\", end: \"02:30\", timezone: Europe/London}\n"),
		withRules(okRule + "    reason: |\n      two\n      lines\n"),
		strings.Replace(withRules(okRule), "role/vend/readonly", "role/vend/readonly\n    description: |\n      two\n      lines", 1),
	} {
		f.Add([]byte(s))
	}
	callers := []Request{
		{PrincipalARN: "arn:aws:sts::111111111111:assumed-role/Admin/alice", AccountID: "111111111111", OrgID: "o-abc123def4"},
		{PrincipalARN: "arn:aws:iam::222222222222:user/bob", AccountID: "222222222222"},
		{PrincipalARN: ""},
	}
	times := []time.Time{time.Date(2026, 3, 6, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)}

	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			// Errors are printed on terminals; problems are one a line.
			if r, bad := terminalUnsafe(err.Error(), true); bad {
				t.Fatalf("error message contains %U: %q", r, err)
			}
			return
		}
		assertTerminalSafe(t, p)
		again, err := Parse(data)
		if err != nil {
			t.Fatalf("second Parse of the same data failed: %v", err)
		}
		if again.Hash() != p.Hash() || !reflect.DeepEqual(again.Profiles(), p.Profiles()) || !reflect.DeepEqual(again.Rules(), p.Rules()) {
			t.Fatal("Parse is not deterministic")
		}

		rendered := render(t, p)
		q, err := Parse(rendered)
		if err != nil {
			t.Fatalf("the policy's own render does not parse: %v\n%s", err, rendered)
		}
		if !reflect.DeepEqual(q.Profiles(), p.Profiles()) {
			t.Fatalf("profiles differ after render:\n%+v\n%+v", q.Profiles(), p.Profiles())
		}
		if !reflect.DeepEqual(withoutLines(q.Rules()), withoutLines(p.Rules())) {
			t.Fatalf("rules differ after render:\n%+v\n%+v", q.Rules(), p.Rules())
		}
		for _, prof := range p.Profiles() {
			for _, c := range callers {
				for _, tm := range times {
					c.Profile, c.Time = prof.Name, tm
					if a, b := p.Evaluate(c), q.Evaluate(c); a.Allowed != b.Allowed || a.Rule != b.Rule || a.Reason != b.Reason {
						t.Fatalf("decisions differ after render for %+v: %+v vs %+v", c, a, b)
					}
				}
			}
		}
	})
}
