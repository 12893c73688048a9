package site

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
)

// ErrorCode is one stable error code of the wire contract.
type ErrorCode struct {
	Const   string // Go constant, such as CodeAccessDenied
	Code    string // the value clients see, such as access_denied
	Status  int    // HTTP status
	Meaning string // the constant's comment after the status; may be empty
}

// ParseErrorCodes reads the error codes from the source of lambda/wire: every string
// constant whose name starts with "Code", in source order. The line comment of each
// must start with its HTTP status ("// 403 a policy rule denied"), which is the
// convention wire.go keeps; a code without one is an error, so the error reference can
// never silently lose a status.
func ParseErrorCodes(src []byte) ([]ErrorCode, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "wire.go", src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse wire source: %w", err)
	}
	var codes []ErrorCode
	var errs []error
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
					continue
				}
				value, err := strconv.Unquote(lit.Value)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", name.Name, err))
					continue
				}
				ec := ErrorCode{Const: name.Name, Code: value}
				comment := ""
				if vs.Comment != nil {
					comment = strings.TrimSpace(vs.Comment.Text())
				}
				status, meaning, _ := strings.Cut(comment, " ")
				ec.Status, err = strconv.Atoi(status)
				if err != nil || ec.Status < 100 || ec.Status > 599 {
					errs = append(errs, fmt.Errorf("%s (line %d): the comment must start with the HTTP status, like // 403 ...; got %q",
						name.Name, fset.Position(name.Pos()).Line, comment))
					continue
				}
				ec.Meaning = strings.TrimSpace(meaning)
				codes = append(codes, ec)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(codes) == 0 {
		return nil, errors.New("no error codes (constants named Code...) found in the wire source")
	}
	return codes, nil
}

// ErrorFix is the hand-written part of one code's entry: what it means when the wire
// comment says too little, who sends it, and how to fix it.
type ErrorFix struct {
	Meaning string `json:"meaning,omitempty"`
	From    string `json:"from"` // who answers with it: "TVM", "CLI endpoint" or both
	Fix     string `json:"fix"`  // Markdown
}

// ParseErrorFixes reads the fixes file: a JSON object of code → ErrorFix.
func ParseErrorFixes(data []byte) (map[string]ErrorFix, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var fixes map[string]ErrorFix
	if err := dec.Decode(&fixes); err != nil {
		return nil, fmt.Errorf("parse error fixes: %w", err)
	}
	return fixes, nil
}

// ErrorPage renders the error-code reference. Every code needs a fix and every fix a
// code: a new code without documentation, or a stale entry for a removed one, fails
// generation instead of shipping a page that is silently incomplete.
func ErrorPage(codes []ErrorCode, fixes map[string]ErrorFix) ([]byte, error) {
	var errs []error
	known := map[string]bool{}
	for _, c := range codes {
		known[c.Code] = true
		f, ok := fixes[c.Code]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("error code %s (%s) has no entry in %s", c.Code, c.Const, ErrorFixesFile))
		case strings.TrimSpace(f.Fix) == "" || strings.TrimSpace(f.From) == "":
			errs = append(errs, fmt.Errorf("error code %s: the entry in %s needs from and fix", c.Code, ErrorFixesFile))
		case c.Meaning == "" && f.Meaning == "":
			errs = append(errs, fmt.Errorf("error code %s: wire.go gives no meaning, so the entry in %s needs one", c.Code, ErrorFixesFile))
		}
	}
	var stale []string
	for code := range fixes {
		if !known[code] {
			stale = append(stale, code)
		}
	}
	slices.Sort(stale)
	for _, code := range stale {
		errs = append(errs, fmt.Errorf("%s documents %s, which lambda/wire no longer defines", ErrorFixesFile, code))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	var b strings.Builder
	b.WriteString(`Every error answer from the TVM, and from the loopback endpoint that ` + "`vend exec`" + ` and
` + "`vend serve`" + ` run, is a JSON body with a stable code:

` + "```json" + `
{"code": "access_denied", "message": "...", "request_id": "...", "rule": "...", "reason": "..."}
` + "```" + `

` + "`rule` and `reason`" + ` are present when a policy rule decided. The TVM also sets the
` + "`X-Vend-Request-Id`" + ` header; quote the request ID when you ask the TVM's operators, who find
the matching line in the [decision log](/operations/#the-decision-log). Codes never change
name, so scripts may switch on them.

| Code | HTTP status | Meaning | Sent by |
|---|---|---|---|
`)
	for _, c := range codes {
		f := fixes[c.Code]
		fmt.Fprintf(&b, "| [`%s`](#%s) | %d | %s | %s |\n", c.Code, c.Code, c.Status, escapeCell(meaning(c, f)), escapeCell(f.From))
	}
	b.WriteString("\n## What to do for each code\n")
	for _, c := range codes {
		f := fixes[c.Code]
		fmt.Fprintf(&b, "\n### `%s` {#%s}\n\n", c.Code, c.Code)
		fmt.Fprintf(&b, "HTTP %d. %s\n\n", c.Status, sentence(meaning(c, f)))
		b.WriteString(strings.TrimSpace(f.Fix))
		b.WriteString("\n")
	}
	page := Page{
		Title:       "Error codes",
		Description: "Every error code the TVM and the vend loopback endpoint send, with its HTTP status and the fix.",
		Weight:      30,
		Source:      WireFile + ", " + ErrorFixesFile,
	}
	return page.render(b.String()), nil
}

func meaning(c ErrorCode, f ErrorFix) string {
	if f.Meaning != "" {
		return f.Meaning
	}
	return c.Meaning
}

// sentence capitalises the first letter and ends with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
