package iostreams

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text\twith tab\n", "plain text\twith tab\n"},
		{"red \x1b[31mALERT\x1b[0m", `red \u001b[31mALERT\u001b[0m`},
		{"ok\rFAKE", `ok\u000dFAKE`},
		{"bell\a del\x7f", `bell\u0007 del\u007f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"user \u202eexe.txt", `user \u202eexe.txt`},
		{"isolate \u2066x\u2069 mark \u200f", `isolate \u2066x\u2069 mark \u200f`},
		{"bad \xff byte", `bad \xff byte`},
		{"josé ✓ 日本", "josé ✓ 日本"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		n, err := Escaping(&b).Write([]byte(tt.in))
		if err != nil || n != len(tt.in) {
			t.Errorf("Write(%q) = %d, %v", tt.in, n, err)
		}
		if b.String() != tt.want {
			t.Errorf("Write(%q) wrote %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

// JSON that passes through keeps its value: the escapes are JSON's own.
func TestEscapingKeepsJSON(t *testing.T) {
	in := map[string]string{"reason": "x\u202ey\u0085z\u009b", "rule": "r"}
	raw, _ := json.Marshal(in)
	var b bytes.Buffer
	fmt.Fprintf(Escaping(&b), "%s\n", raw)
	var out map[string]string
	if err := json.Unmarshal(b.Bytes(), &out); err != nil || out["reason"] != in["reason"] {
		t.Errorf("round trip: %v, %q", err, out["reason"])
	}
}

func TestSystemAndTestStreamsEscape(t *testing.T) {
	ios, _, out, _ := Test()
	fmt.Fprint(ios.Out, "\x1b]0;title\a")
	fmt.Fprint(ios.RawOut, "\x1b")
	if got := out.String(); got != `\u001b]0;title\u0007`+"\x1b" {
		t.Errorf("got %q", got)
	}
}

func FuzzEscaping(f *testing.F) {
	f.Add("\x1b[2J\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		if _, err := Escaping(&b).Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
		got := b.String()
		if !utf8.ValidString(got) {
			t.Fatalf("output is not UTF-8: %q", got)
		}
		for _, r := range got {
			if needsEscape(r) {
				t.Fatalf("output %q keeps %U", got, r)
			}
		}
		if !strings.ContainsAny(s, "\\") && !strings.ContainsFunc(s, func(r rune) bool { return needsEscape(r) || r == utf8.RuneError }) && got != s {
			t.Fatalf("clean input changed: %q -> %q", s, got)
		}
	})
}
