package wire

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// codeConstants returns the value of every exported string constant named Code... in
// wire.go: what clients can switch on, whether or not the table lists it.
func codeConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "wire.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Code") || !name.IsExported() || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s is not a string literal", name.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out[name.Name] = v
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no Code constants found in wire.go")
	}
	return out
}

func TestEveryCodeHasOneEntry(t *testing.T) {
	consts := codeConstants(t)
	entries := map[string]int{}
	for _, c := range Codes() {
		entries[c.Code]++
		if c.Status < 400 || c.Status > 599 || http.StatusText(c.Status) == "" {
			t.Errorf("%s: status %d is not an HTTP error status", c.Code, c.Status)
		}
		if strings.ContainsAny(c.Meaning, "\n|") {
			t.Errorf("%s: the meaning must be one line without |, for the reference's table: %q", c.Code, c.Meaning)
		}
	}
	values := map[string]bool{}
	for name, v := range consts {
		values[v] = true
		if n := entries[v]; n != 1 {
			t.Errorf("%s (%q) has %d entries in codes, want 1", name, v, n)
		}
	}
	for code := range entries {
		if !values[code] {
			t.Errorf("codes lists %q, which no Code constant defines", code)
		}
	}
}

func TestStatus(t *testing.T) {
	for _, c := range Codes() {
		if got := Status(c.Code); got != c.Status {
			t.Errorf("Status(%q) = %d, want %d", c.Code, got, c.Status)
		}
	}
	if got := Status("no_such_code"); got != 500 {
		t.Errorf("Status of an unlisted code = %d, want 500", got)
	}
}

func TestCodesIsACopy(t *testing.T) {
	Codes()[0].Status = 200
	if codes[0].Status == 200 {
		t.Fatal("Codes returned the table itself; a caller could change every status")
	}
}
