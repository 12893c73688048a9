package policy

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern string
		kind    globKind
		match   []string
		noMatch []string
	}{
		{"prod-admin", globExact, []string{"prod-admin"}, []string{"prod-admin2", "Prod-admin", "", "prod-"}},
		{"*", globAny, []string{"", "x", "a/b:c"}, nil},
		{"**", globAny, []string{"", "abc"}, nil},
		{"prod-*", globPrefix, []string{"prod-", "prod-admin"}, []string{"prod", "staging-prod-x", "Prod-x"}},
		{"*-deploy", globSuffix, []string{"-deploy", "prod-deploy"}, []string{"prod-deploy2", "deploy"}},
		{"*read*", globContains, []string{"read", "prod-readonly", "xreadx"}, []string{"rea", "READ"}},
		{"a*b*c", globStars, []string{"abc", "aXbYc", "abbbc", "acbc"}, []string{"ab", "acb", "abcx"}},
		{"?", globGeneral, []string{"a", "é", "\xff"}, []string{"", "ab"}},
		{"??", globGeneral, []string{"ab", "éé"}, []string{"é", "abc"}},
		{"*??", globGeneral, []string{"ab", "日本", "abc"}, []string{"日", ""}},
		{"a?c*", globGeneral, []string{"abc", "abcdef", "a/c"}, []string{"ac", "abd"}},
		{"a*b*b", globStars, []string{"abb", "axbyb", "abbb"}, []string{"ab", "abba", "bab"}},
		{"*x*y*", globStars, []string{"xy", "axbyc"}, []string{"yx", "x"}},
		{"*a", globSuffix, []string{"a", "aaa", "ba"}, []string{"ab", ""}},
		{"*a*a", globStars, []string{"aa", "xaxa", "aaa"}, []string{"a", "aax"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			g := compileGlob(tt.pattern)
			if g.kind != tt.kind {
				t.Errorf("kind %d; want %d", g.kind, tt.kind)
			}
			for _, s := range tt.match {
				if !g.match(s) || !matchGlob(tt.pattern, s) {
					t.Errorf("%q does not match %q", tt.pattern, s)
				}
			}
			for _, s := range tt.noMatch {
				if g.match(s) || matchGlob(tt.pattern, s) {
					t.Errorf("%q matches %q", tt.pattern, s)
				}
			}
		})
	}
}

func TestSplitARN(t *testing.T) {
	tests := []struct {
		arn   string
		ok    bool
		parts [6]string
	}{
		{"arn:aws:sts::111111111111:assumed-role/A/b", true, [6]string{"arn", "aws", "sts", "", "111111111111", "assumed-role/A/b"}},
		{"arn:aws:logs:eu-west-1:111111111111:log-group:x:*", true, [6]string{"arn", "aws", "logs", "eu-west-1", "111111111111", "log-group:x:*"}},
		{":::::", true, [6]string{}},
		{"arn:aws:sts::111111111111", false, [6]string{}},
		{"", false, [6]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			parts, ok := splitARN(tt.arn)
			if ok != tt.ok || (ok && parts != tt.parts) {
				t.Errorf("splitARN = %q, %v; want %q, %v", parts, ok, tt.parts, tt.ok)
			}
		})
	}
}

func TestARNPattern(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		noMatch []string
	}{
		{"*", []string{"arn:aws:sts::111111111111:assumed-role/a/b", "not-an-arn"}, []string{""}},
		{
			"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_OnCall_*/*",
			[]string{"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_OnCall_0123abcd/alice@example.com"},
			[]string{
				"arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_OnCall_0123abcd/alice",
				"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Oncall_0123abcd/alice", // case
				"arn:aws:sts:us-east-1:111111111111:assumed-role/AWSReservedSSO_OnCall_x/alice",
				"arn:aws-cn:sts::111111111111:assumed-role/AWSReservedSSO_OnCall_x/alice",
				"arn:aws:iam::111111111111:assumed-role/AWSReservedSSO_OnCall_x/alice",
				"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_OnCall_x",
			},
		},
		{
			// '*' in the account part stays inside that part: it cannot swallow the
			// region or resource separators.
			"arn:aws:sts::*:assumed-role/Admin/*",
			[]string{"arn:aws:sts::111111111111:assumed-role/Admin/x", "arn:aws:sts:::assumed-role/Admin/x"},
			[]string{"arn:aws:sts::111111111111:extra:assumed-role/Admin/x", "arn:aws:sts:r:111111111111:assumed-role/Admin/x"},
		},
		{
			"arn:*:iam::111111111111:user/*",
			[]string{"arn:aws:iam::111111111111:user/bob", "arn:aws-us-gov:iam::111111111111:user/path/bob"},
			[]string{"arn:aws:sts:x:iam::111111111111:user/bob", "arn:aws:iam::111111111111:role/bob"},
		},
		{
			"arn:aws:sts::111111111111:assumed-role/ci-???/*",
			[]string{"arn:aws:sts::111111111111:assumed-role/ci-abc/run"},
			[]string{"arn:aws:sts::111111111111:assumed-role/ci-ab/run", "arn:aws:sts::111111111111:assumed-role/ci-abcd/run"},
		},
		{
			// The resource part keeps its colons, as in IAM.
			"arn:aws:sts::111111111111:a:*",
			[]string{"arn:aws:sts::111111111111:a:b:c"},
			[]string{"arn:aws:sts::111111111111:a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			for _, s := range tt.match {
				if !matchOne(t, tt.pattern, s) {
					t.Errorf("does not match %q", s)
				}
			}
			for _, s := range tt.noMatch {
				if matchOne(t, tt.pattern, s) {
					t.Errorf("matches %q", s)
				}
			}
		})
	}
}

// matchOne compiles one pattern into a fresh index and matches one ARN, the way
// Evaluate does.
func matchOne(t *testing.T, pattern, arn string) bool {
	t.Helper()
	if err := checkARNPattern(pattern); err != nil {
		t.Fatal(err)
	}
	var x principalIndex
	a := x.compile(pattern)
	c := newCaller(&x, &Request{PrincipalARN: arn})
	return a.match(&c)
}

// TestARNPatternManyAccounts covers more distinct part combinations than the request's
// bit mask holds: the patterns beyond the first 64 match their parts directly.
func TestARNPatternManyAccounts(t *testing.T) {
	var x principalIndex
	var patterns []arnPattern
	for i := range 100 {
		patterns = append(patterns, x.compile(fmt.Sprintf("arn:aws:sts::%012d:assumed-role/r/*", i)))
	}
	if len(x.globs[3]) != 100 || len(x.combos) != 100 {
		t.Fatalf("%d distinct accounts, %d combinations", len(x.globs[3]), len(x.combos))
	}
	for _, i := range []int{0, 63, 64, 99} {
		c := newCaller(&x, &Request{PrincipalARN: fmt.Sprintf("arn:aws:sts::%012d:assumed-role/r/s", i)})
		for j, a := range patterns {
			if got := a.match(&c); got != (i == j) {
				t.Errorf("caller in account %d, pattern %d: match = %v", i, j, got)
			}
		}
	}
}

func TestValidProfileName(t *testing.T) {
	valid := []string{"a", "prod-admin", "Prod_Admin.v2", "0", strings.Repeat("a", 64)}
	invalid := []string{"", "-a", "_a", ".a", "a b", "a/b", "a*", "é", strings.Repeat("a", 65), "a\n"}
	for _, s := range valid {
		if !ValidProfileName(s) {
			t.Errorf("ValidProfileName(%q) = false", s)
		}
	}
	for _, s := range invalid {
		if ValidProfileName(s) {
			t.Errorf("ValidProfileName(%q) = true", s)
		}
	}
}

func TestValidOrgID(t *testing.T) {
	for s, want := range map[string]bool{
		"o-abc123def4": true, "o-" + strings.Repeat("a", 32): true, "o-abc123def": false,
		"o-" + strings.Repeat("a", 33): false, "o-ABC123DEF4": false, "r-abc123def4": false, "": false,
	} {
		if validOrgID(s) != want {
			t.Errorf("validOrgID(%q) = %v", s, !want)
		}
	}
}

// refGlob is the reference for the matcher: the pattern translated to a regular
// expression, character by character.
func refGlob(t *testing.T, pattern, s string) bool {
	t.Helper()
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, c := range pattern {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()).MatchString(s)
}

// refMatchARN is the reference for principal patterns: split both on the first five
// colons and match each part on its own, as IAM's ArnLike does.
func refMatchARN(t *testing.T, pattern, arn string) bool {
	t.Helper()
	if pattern == "*" {
		return arn != ""
	}
	pp, ap := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !refGlob(t, pp[i], ap[i]) {
			return false
		}
	}
	return true
}

func FuzzMatchARN(f *testing.F) {
	seeds := [][2]string{
		{"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_OnCall_*/*", "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_OnCall_0123/alice"},
		{"arn:*:iam::111111111111:user/bob", "arn:aws:sts:evil:iam::111111111111:user/bob"},
		{"arn:aws:sts::*:assumed-role/*a*a?/*", "arn:aws:sts::1:assumed-role/xaya日/s"},
		{"*", ""},
		{"arn:aw?:s*s:*:??????????1*:*:*", "arn:aws:sts:::111111111111:a:b"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, arn string) {
		if checkARNPattern(pattern) != nil {
			// Most random strings are not ARN patterns; use them as the resource part of
			// one so that the matcher, not only the checker, sees them.
			pattern = "arn:aws*:s?s::*:" + strings.Map(func(r rune) rune {
				if r <= ' ' || r > '~' {
					return -1
				}
				return r
			}, pattern)
			if checkARNPattern(pattern) != nil {
				return
			}
		}
		if got, want := matchOne(t, pattern, arn), refMatchARN(t, pattern, arn); got != want {
			t.Fatalf("pattern %q, arn %q: match = %v; reference says %v", pattern, arn, got, want)
		}
		// The specialised fast paths must agree with the general matcher on every part.
		pp, ok := splitARN(pattern)
		ap, _ := splitARN(arn)
		for i := range pp {
			if g := compileGlob(pp[i]); ok && g.match(ap[i]) != matchGlob(pp[i], ap[i]) {
				t.Fatalf("part %q of %q: fast path and general matcher disagree", pp[i], ap[i])
			}
		}
	})
}

func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{{"prod-*", "prod-admin"}, {"*a*b?", "xaybz"}, {"?*?", "日"}, {"*", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		// Loaded patterns are ASCII; U+FFFD in a pattern would let the regexp reference
		// match invalid input bytes, which the byte-wise matcher rightly does not.
		if !utf8.ValidString(pattern) || strings.ContainsRune(pattern, utf8.RuneError) || len(pattern) > 64 || len(s) > 256 {
			return
		}
		g := compileGlob(pattern)
		if got, want := g.match(s), refGlob(t, pattern, s); got != want {
			t.Fatalf("pattern %q, s %q: match = %v; reference says %v", pattern, s, got, want)
		}
	})
}
