package docs

import (
	"strings"
	"testing"
)

func TestHelpMarkdown(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "Print vend's version.", want: "Print vend's version."},
		{name: "flags become code", in: "Give --params FILE (or --tvm-role-arn).", want: "Give `--params` FILE (or `--tvm-role-arn`)."},
		{name: "a lone double dash is escaped", in: "vend exec PROFILE -- cmd", want: `vend exec PROFILE \-\- cmd`},
		{name: "dashes inside a word stay prose", in: "a--b", want: `a\-\-b`},
		{
			name: "terminal text reads literally",
			in:   `AWS_PROFILE, ~/.aws/config, *.json, <command>, [x], Ctrl-\, a|b, #1`,
			want: `AWS\_PROFILE, \~/.aws/config, \*.json, \<command\>, \[x\], Ctrl-\\, a\|b, \#1`,
		},
		{
			name: "indented lines become a code block",
			in:   "Add a profile:\n  [profile deploy]\n    credential_process = vend --x\nThen run it.",
			want: "Add a profile:\n\n```\n[profile deploy]\n  credential_process = vend --x\n```\n\nThen run it.",
		},
		{
			name: "block at the end, blank line before",
			in:   "Rules:\n\n  json  strict JSON",
			want: "Rules:\n\n```\njson  strict JSON\n```",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := helpMarkdown(tt.in); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func FuzzHelpMarkdown(f *testing.F) {
	for _, s := range []string{"--a b", "  x\n\ty\nz", "\\*_`", "", "\n\n  ", "a --b-c --", "  \t mixed\n \tindent"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := helpMarkdown(s)
		if strings.Count(out, "```")%2 != 0 {
			t.Errorf("unbalanced fences in %q", out)
		}
		// Prose never keeps a bare "--" the typographer could turn into a dash.
		fenced := false
		for _, l := range strings.Split(out, "\n") {
			if l == "```" {
				fenced = !fenced
				continue
			}
			if !fenced {
				stripped := flagRE.ReplaceAllString(strings.ReplaceAll(l, "`", ""), "")
				if strings.Contains(strings.ReplaceAll(stripped, `\-`, ""), "--") {
					t.Errorf("bare -- left in %q (from %q)", l, s)
				}
			}
		}
	})
}
