package site

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrorCodes(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "wire.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseErrorCodes(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []ErrorCode{
		{Const: "CodeBadRequest", Code: "bad_request", Status: 400, Meaning: "malformed request"},
		{Const: "CodeAccessDenied", Code: "access_denied", Status: 403, Meaning: "a policy rule (or no rule) denied"},
		{Const: "CodeMethod", Code: "method_not_allowed", Status: 405},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d codes %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("code %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseErrorCodesErrors(t *testing.T) {
	const head = "package wire\nconst CodeX = \"x\"\n"
	tests := []struct {
		name, src, want string
	}{
		{"no entry", head + "var codes = []CodeInfo{}\n", "CodeX has no entry in codes"},
		{"no table", head, "no table of error codes"},
		{"no status", head + "var codes = []CodeInfo{{Code: CodeX}}\n", "no Status"},
		{"status out of range", head + "var codes = []CodeInfo{{Code: CodeX, Status: 999}}\n", "Status must be an HTTP status"},
		{"status by name", head + "var codes = []CodeInfo{{Code: CodeX, Status: http.StatusBadRequest}}\n", "Status must be an HTTP status"},
		{"listed twice", head + "var codes = []CodeInfo{{Code: CodeX, Status: 400}, {Code: CodeX, Status: 400}}\n", "listed twice"},
		{"unknown constant", head + "var codes = []CodeInfo{{Code: CodeX, Status: 400}, {Code: CodeY, Status: 400}}\n", "CodeY is not an exported"},
		{"unkeyed", head + "var codes = []CodeInfo{{CodeX, 400, \"m\"}}\n", "write the fields keyed"},
		{"unknown field", head + "var codes = []CodeInfo{{Code: CodeX, Status: 400, Summary: \"m\"}}\n", "unknown field Summary"},
		{"meaning not a literal", head + "var codes = []CodeInfo{{Code: CodeX, Status: 400, Meaning: m}}\n", "Meaning must be a string literal"},
		{"no codes", "package wire\nconst A = 1\n", "no error codes"},
		{"not Go", "package wire\nconst (", "parse wire source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseErrorCodes([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// The real wire contract must parse, and the site's fixes file must document every code:
// this is what keeps the troubleshooting reference complete.
func TestRealWireCodesAreDocumented(t *testing.T) {
	root := repoRoot(t)
	codes := realCodes(t, root)
	fixesData, err := os.ReadFile(filepath.Join(root, ErrorFixesFile))
	if err != nil {
		t.Fatal(err)
	}
	fixes, err := ParseErrorFixes(fixesData)
	if err != nil {
		t.Fatal(err)
	}
	page, err := ErrorPage(codes, fixes)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		if !strings.Contains(string(page), "{#"+c.Code+"}") {
			t.Errorf("the page has no section for %s", c.Code)
		}
	}
}

// The committed reference page must list every code of the real table with the
// table's status, and have a section for it.
func TestCommittedErrorPageListsEveryCode(t *testing.T) {
	root := repoRoot(t)
	codes := realCodes(t, root)
	page, err := os.ReadFile(filepath.Join(root, ReferenceDir, "errors.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		row := fmt.Sprintf("| [`%s`](#%s) | %d |", c.Code, c.Code, c.Status)
		section := fmt.Sprintf("### `%s` {#%s}\n\nHTTP %d.", c.Code, c.Code, c.Status)
		if !strings.Contains(string(page), row) || !strings.Contains(string(page), section) {
			t.Errorf("%s/errors.md lacks %s with status %d; run go tool mage site:generate", ReferenceDir, c.Code, c.Status)
		}
	}
}

func TestErrorPage(t *testing.T) {
	codes := []ErrorCode{
		{Const: "CodeBadRequest", Code: "bad_request", Status: 400, Meaning: "malformed request"},
		{Const: "CodeMethod", Code: "method_not_allowed", Status: 405},
	}
	fixes := map[string]ErrorFix{
		"bad_request":        {From: "TVM", Fix: "Send a GET | without a body."},
		"method_not_allowed": {Meaning: "only GET is allowed", From: "TVM, CLI endpoint", Fix: "Send GET."},
	}
	page, err := ErrorPage(codes, fixes)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{
		"generated: true\n",
		`generated_from: "lambda/wire/wire.go, site/data/errorfixes.json"`,
		"| [`bad_request`](#bad_request) | 400 | malformed request | TVM |",
		"| [`method_not_allowed`](#method_not_allowed) | 405 | only GET is allowed | TVM, CLI endpoint |",
		"### `bad_request` {#bad_request}\n\nHTTP 400. Malformed request.\n\nSend a GET | without a body.",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q:\n%s", want, s)
		}
	}
	if !IsGenerated(page) {
		t.Error("the page is not marked generated")
	}
}

func TestErrorPageRefusesGaps(t *testing.T) {
	codes := []ErrorCode{{Code: "a", Status: 400, Meaning: "m"}, {Code: "b", Status: 500}}
	tests := []struct {
		name  string
		fixes map[string]ErrorFix
		want  []string
	}{
		{"missing fix", map[string]ErrorFix{"b": {Meaning: "x", From: "TVM", Fix: "f"}}, []string{"error code a"}},
		{"empty fix", map[string]ErrorFix{"a": {From: "TVM"}, "b": {Meaning: "x", From: "TVM", Fix: "f"}}, []string{"needs from and fix"}},
		{"no meaning anywhere", map[string]ErrorFix{"a": {From: "TVM", Fix: "f"}, "b": {From: "TVM", Fix: "f"}}, []string{"needs one"}},
		{"stale fix", map[string]ErrorFix{"a": {From: "TVM", Fix: "f"}, "b": {Meaning: "x", From: "TVM", Fix: "f"}, "gone": {From: "TVM", Fix: "f"}}, []string{"no longer defines"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ErrorPage(codes, tt.fixes)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want %q", err, w)
				}
			}
		})
	}
}

func TestParseErrorFixesIsStrict(t *testing.T) {
	if _, err := ParseErrorFixes([]byte(`{"a": {"from": "TVM", "fix": "x", "fixx": "typo"}}`)); err == nil {
		t.Fatal("want an error for an unknown field")
	}
}

func FuzzParseErrorCodes(f *testing.F) {
	src, err := os.ReadFile(filepath.Join("testdata", "wire.go.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(src)
	f.Add([]byte("package wire\nconst CodeX = \"x\"\nvar codes = []CodeInfo{{Code: CodeX, Status: 400}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		codes, err := ParseErrorCodes(data)
		if err != nil {
			return
		}
		for _, c := range codes {
			if c.Status < 100 || c.Status > 599 || !strings.HasPrefix(c.Const, "Code") {
				t.Fatalf("accepted %+v", c)
			}
		}
	})
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test")
		}
		dir = parent
	}
}

// realCodes parses the error codes of the real wire contract.
func realCodes(t *testing.T, root string) []ErrorCode {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, WireFile))
	if err != nil {
		t.Fatal(err)
	}
	codes, err := ParseErrorCodes(src)
	if err != nil {
		t.Fatal(err)
	}
	return codes
}
