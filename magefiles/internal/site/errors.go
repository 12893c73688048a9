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
	Meaning string // the table's meaning; may be empty
}

// CodeTable is the variable of lambda/wire that lists every error code with its HTTP
// status. The handler answers from the same table, so the reference cannot give a code
// another status than the TVM does.
const CodeTable = "codes"

// ParseErrorCodes reads the error codes from the source of lambda/wire, in the order
// of its table (CodeTable): entries such as {Code: CodeAccessDenied, Status: 403,
// Meaning: "..."}, where Code names a string constant. The source is parsed, not
// imported, because the magefiles import no product package. Every exported constant
// named Code... must have exactly one entry with a valid status, so the error reference
// can never silently lose a code or a status.
func ParseErrorCodes(src []byte) ([]ErrorCode, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "wire.go", src, 0)
	if err != nil {
		return nil, fmt.Errorf("parse wire source: %w", err)
	}
	line := func(n ast.Node) int { return fset.Position(n.Pos()).Line }
	var errs []error
	consts := map[string]string{} // constant → value
	var order []string            // constants in source order
	var table *ast.CompositeLit
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gd.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				switch {
				case gd.Tok == token.VAR && name.Name == CodeTable:
					table, _ = vs.Values[i].(*ast.CompositeLit)
				case gd.Tok == token.CONST && strings.HasPrefix(name.Name, "Code") && name.IsExported():
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					value, err := strconv.Unquote(lit.Value)
					if err != nil {
						errs = append(errs, fmt.Errorf("%s: %w", name.Name, err))
						continue
					}
					consts[name.Name] = value
					order = append(order, name.Name)
				}
			}
		}
	}
	if len(order) == 0 {
		return nil, errors.New("no error codes (constants named Code...) found in the wire source")
	}
	if table == nil {
		return nil, fmt.Errorf("no table of error codes (var %s = []CodeInfo{...}) found in the wire source", CodeTable)
	}

	var codes []ErrorCode
	listed := map[string]int{} // constant → line of its entry
	for _, elt := range table.Elts {
		ec, err := parseCodeEntry(elt, consts, line)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if first, dup := listed[ec.Const]; dup {
			errs = append(errs, fmt.Errorf("%s (line %d): listed twice in %s; first on line %d", ec.Const, line(elt), CodeTable, first))
			continue
		}
		listed[ec.Const] = line(elt)
		codes = append(codes, ec)
	}
	for _, name := range order {
		if _, ok := listed[name]; !ok {
			errs = append(errs, fmt.Errorf("%s has no entry in %s; add {Code: %s, Status: ...}", name, CodeTable, name))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return codes, nil
}

// parseCodeEntry reads one keyed entry of the code table.
func parseCodeEntry(elt ast.Expr, consts map[string]string, line func(ast.Node) int) (ErrorCode, error) {
	lit, ok := elt.(*ast.CompositeLit)
	if !ok {
		return ErrorCode{}, fmt.Errorf("%s entry (line %d): want {Code: CodeX, Status: 400, Meaning: \"...\"}", CodeTable, line(elt))
	}
	var ec ErrorCode
	for _, e := range lit.Elts {
		kv, _ := e.(*ast.KeyValueExpr)
		key := keyName(kv)
		if key == "" {
			return ErrorCode{}, fmt.Errorf("%s entry (line %d): write the fields keyed, as Code: CodeX", CodeTable, line(e))
		}
		switch key {
		case "Code":
			id, ok := kv.Value.(*ast.Ident)
			if !ok {
				return ErrorCode{}, fmt.Errorf("%s entry (line %d): Code must name a Code... constant", CodeTable, line(e))
			}
			value, known := consts[id.Name]
			if !known {
				return ErrorCode{}, fmt.Errorf("%s entry (line %d): %s is not an exported Code... string constant", CodeTable, line(e), id.Name)
			}
			ec.Const, ec.Code = id.Name, value
		case "Status":
			n, ok := kv.Value.(*ast.BasicLit)
			status := 0
			if ok && n.Kind == token.INT {
				status, _ = strconv.Atoi(n.Value)
			}
			if status < 100 || status > 599 {
				return ErrorCode{}, fmt.Errorf("%s entry (line %d): Status must be an HTTP status written as a number, like Status: 403", CodeTable, line(e))
			}
			ec.Status = status
		case "Meaning":
			s, ok := kv.Value.(*ast.BasicLit)
			var err error
			if ok && s.Kind == token.STRING {
				ec.Meaning, err = strconv.Unquote(s.Value)
			}
			if !ok || s.Kind != token.STRING || err != nil {
				return ErrorCode{}, fmt.Errorf("%s entry (line %d): Meaning must be a string literal", CodeTable, line(e))
			}
			ec.Meaning = strings.TrimSpace(ec.Meaning)
		default:
			return ErrorCode{}, fmt.Errorf("%s entry (line %d): unknown field %s", CodeTable, line(e), key)
		}
	}
	switch {
	case ec.Const == "":
		return ErrorCode{}, fmt.Errorf("%s entry (line %d): no Code", CodeTable, line(elt))
	case ec.Status == 0:
		return ErrorCode{}, fmt.Errorf("%s (line %d): no Status; the reference must give every code its HTTP status", ec.Const, line(elt))
	}
	return ec, nil
}

// keyName is the field name of a keyed element, or "" when it is not one.
func keyName(kv *ast.KeyValueExpr) string {
	if kv == nil {
		return ""
	}
	if id, ok := kv.Key.(*ast.Ident); ok {
		return id.Name
	}
	return ""
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
