package policy

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// terminalUnsafe reports the first character of s that must not reach a terminal, by the
// standard library's character properties rather than the loader's own list: a control
// character (C0, DEL, C1), a bidirectional control, a line or paragraph separator, or
// invalid UTF-8. A line break is allowed when newline is true.
func terminalUnsafe(s string, newline bool) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	for _, r := range s {
		if r == '\n' && newline {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
			return r, true
		}
	}
	return 0, false
}

// refused are the characters the loader refuses, each as a YAML double-quoted escape.
var refused = []struct {
	escape string
	code   string
}{
	{`\0`, "U+0000"}, {`\a`, "U+0007"}, {`\b`, "U+0008"}, {`\t`, "U+0009"}, {`\r`, "U+000D"},
	{`\e`, "U+001B"}, {`\x1f`, "U+001F"}, {`\x7f`, "U+007F"}, {`\x80`, "U+0080"}, {`\N`, "U+0085"},
	{`\x9b`, "U+009B"}, {`\x9f`, "U+009F"}, {`\u061c`, "U+061C"}, {`\u200e`, "U+200E"}, {`\u200f`, "U+200F"},
	{`\L`, "U+2028"}, {`\P`, "U+2029"}, {`\u202a`, "U+202A"}, {`\u202b`, "U+202B"}, {`\u202c`, "U+202C"},
	{`\u202d`, "U+202D"}, {`\u202e`, "U+202E"}, {`\u2066`, "U+2066"}, {`\u2067`, "U+2067"},
	{`\u2068`, "U+2068"}, {`\u2069`, "U+2069"},
}

// TestParseRefusesTerminalControls pins that no string the loader keeps can rewrite a
// terminal or reorder text: every string field refuses C0 and C1 controls, DEL, line
// separators and bidirectional controls, naming the field and line, and no error
// message repeats the character.
func TestParseRefusesTerminalControls(t *testing.T) {
	var byPath = map[string]schemaField{}
	for _, f := range schemaFields {
		byPath[f.path] = f
	}
	// Each string field, the schema field it is written in and a value for it that holds
	// X where the character goes.
	fields := []struct {
		path, in string
		value    string
	}{
		{"profiles.readonly.description", "profiles.readonly.description", `"Read X only"`},
		{"rules[0].reason", "rules[0].reason", `"because X"`},
		{"rules[0].name", "rules[0].name", `"rX"`},
		{"rules[0].effect", "rules[0].effect", `"allowX"`},
		{"rules[0].principals[0]", "rules[0].principals", `["arn:aws:sts::111111111111:assumed-role/Admin/X"]`},
		{"rules[0].accounts[0]", "rules[0].accounts", `["111111111111X"]`},
		{"rules[0].org_ids[0]", "rules[0].org_ids", `["o-abc123def4X"]`},
		{"rules[0].profiles[0]", "rules[0].profiles", `["readonlyX"]`},
		{"rules[0].time_windows[0].days[0]", "rules[0].time_windows[0].days", `["monX"]`},
		{"rules[0].time_windows[0].start", "rules[0].time_windows[0].start", `"08:00X"`},
		{"rules[0].time_windows[0].timezone", "rules[0].time_windows[0].timezone", `"Europe/BerlinX"`},
		{"profiles.readonly.role_arn", "profiles.readonly.role_arn", `"arn:aws:iam::111111111111:role/vend/readonlyX"`},
		{"profiles.readonly.max_duration", "profiles.readonly.max_duration", `"30mX"`},
	}
	for _, f := range fields {
		for _, c := range refused {
			t.Run(f.path+"/"+c.code, func(t *testing.T) {
				in := byPath[f.in]
				src := withField(in, " "+strings.Replace(f.value, "X", c.escape, 1))
				wantParseError(t, src, f.path+": ", c.code, fmt.Sprintf("(line %d)", in.line))
				_, err := Parse([]byte(src))
				if r, bad := terminalUnsafe(err.Error(), true); bad {
					t.Errorf("error message contains %U:\n%q", r, err)
				}
			})
		}
	}
	// A line break is refused everywhere but in a description.
	wantParseError(t, withField(byPath["rules[0].reason"], ` "one\ntwo"`), "rules[0].reason: contains a line break (character 4)", "(line 19)")
	wantParseError(t, withField(byPath["rules[0].reason"], " >\n      folded, which ends in a line break"), "rules[0].reason: contains a line break", "needs >-")
	wantParseError(t, withField(byPath["rules[0].name"], ` "r\n"`), "rules[0].name: contains a line break")
	// Raw bidirectional controls are valid YAML: they are refused all the same.
	wantParseError(t, withField(byPath["rules[0].reason"], " because \u202eevil"), "rules[0].reason: contains the bidirectional control character U+202E (character 9)", "(line 19)")
}

// TestParseQuotesUnsafeKeys pins that keys, which the loader does not keep but does name
// in errors, are quoted there.
func TestParseQuotesUnsafeKeys(t *testing.T) {
	for _, c := range refused {
		t.Run(c.code, func(t *testing.T) {
			for _, src := range []string{
				withRules(okRule + `    "eff` + c.escape + `ect": allow` + "\n"),
				strings.Replace(withRules(okRule), "  readonly:\n", `  "read`+c.escape+`only":`+"\n", 1),
				withRules(okRule + "    time_windows:\n      - {start: \"08:00\", end: \"18:00\", timezone: UTC, \"t" + c.escape + "z\": x}\n"),
			} {
				_, err := Parse([]byte(src))
				if err == nil {
					t.Fatalf("Parse succeeded:\n%s", src)
				}
				if r, bad := terminalUnsafe(err.Error(), true); bad {
					t.Errorf("error message contains %U:\n%q", r, err)
				}
			}
		})
	}
}

func TestParseAllowsPrintableText(t *testing.T) {
	src := withField(schemaFields[4], " |\n      Read-only access\n      to production, für alle — 日本 ✓ \uFFFD")
	src = strings.Replace(src, "reason: because", "reason: \"Zugriff verweigert: außerhalb der Bürozeiten ✓\"", 1)
	p := mustParse(t, src)
	prof, _ := p.Profile("readonly")
	if want := "Read-only access\nto production, für alle — 日本 ✓ \uFFFD\n"; prof.Description != want {
		t.Errorf("description %q; want %q", prof.Description, want)
	}
	if got := p.Rules()[0].Reason; got != "Zugriff verweigert: außerhalb der Bürozeiten ✓" {
		t.Errorf("reason %q", got)
	}
}

func TestRefusedRuneAgreesWithUnicode(t *testing.T) {
	for r := rune(0); r <= 0x10ffff; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		s := string(r)
		_, _, got := refusedRune(s, false)
		_, want := terminalUnsafe(s, false)
		if got != want {
			t.Errorf("%U: refusedRune says %v, the Unicode properties %v", r, got, want)
		}
	}
	if _, _, bad := refusedRune("\xff", false); !bad {
		t.Error("invalid UTF-8 accepted")
	}
	if _, _, bad := refusedRune("a\nb", true); bad {
		t.Error("line break refused where allowed")
	}
}
