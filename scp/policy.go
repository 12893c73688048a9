package scp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Kind is the AWS Organizations policy type of a document.
type Kind string

// The two organisation policy types vend ships.
const (
	KindSCP Kind = "SCP"
	KindRCP Kind = "RCP"
)

// MaxDocumentChars is the AWS Organizations limit for one SCP or RCP document. vend
// submits the minified form, so that is the form measured.
const MaxDocumentChars = 5120

// Document is one parsed organisation policy: its name, its type, the canonical minified
// JSON that gets submitted to AWS (keys sorted, as Terraform writes it) and the parsed
// statements the linter and the evaluator read.
type Document struct {
	Name   string
	Kind   Kind
	JSON   []byte
	Policy Policy
}

// Size is the length of the minified document in characters, the unit AWS limits.
func (d Document) Size() int { return utf8.RuneCount(d.JSON) }

// Policy is an IAM policy document as far as SCPs and RCPs use the language.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one policy statement. A nil slice means the element is absent, which the
// evaluator and the linter distinguish from an empty list.
type Statement struct {
	Sid          string
	Effect       string
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Condition keeps the clauses in document order so findings and decisions are
	// reported in the order a reader sees them.
	Condition []Clause
}

// Principals is a Principal or NotPrincipal element: either the bare "*" or a map from
// principal type ("AWS", "Service", "Federated", ...) to values.
type Principals struct {
	Wildcard bool
	Values   map[string][]string
}

// Clause is one key test inside a condition operator block, for example operator
// "ArnNotLike", key "aws:PrincipalArn" and the ARN patterns as values.
type Clause struct {
	Operator string
	Key      string
	Values   []string
}

// ErrInvalidDocument marks every reason ParseDocument rejects its input.
var ErrInvalidDocument = errors.New("invalid policy document")

// ParseDocument parses one policy document and writes it in canonical minified form. It is strict where AWS is
// lenient in surprising ways: duplicate object keys are rejected, because a duplicated
// condition operator silently drops one of its clauses, and element names must be spelt
// exactly.
func ParseDocument(name string, kind Kind, data []byte) (Document, error) {
	if !json.Valid(data) {
		return Document{}, fmt.Errorf("%w %s: %s", ErrInvalidDocument, name, jsonError(data))
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return Document{}, fmt.Errorf("%w %s: %v", ErrInvalidDocument, name, err)
	}
	pol, err := parsePolicy(buf.Bytes())
	if err != nil {
		return Document{}, fmt.Errorf("%w %s: %v", ErrInvalidDocument, name, err)
	}
	canon, err := canonicalJSON(buf.Bytes())
	if err != nil {
		return Document{}, fmt.Errorf("%w %s: %v", ErrInvalidDocument, name, err)
	}
	return Document{Name: name, Kind: kind, JSON: canon, Policy: pol}, nil
}

// canonicalJSON writes a document the way Terraform's jsonencode(jsondecode(doc)) does,
// so that what vend renders and what the org-guardrails module attaches are the same
// bytes: minified, object keys sorted, <, >, &, U+2028 and U+2029 escaped (cty encodes
// strings with encoding/json), numbers as written. The parsed Policy keeps document order.
func canonicalJSON(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// jsonError explains why data is not JSON, with the byte offset when the decoder knows it.
func jsonError(data []byte) string {
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		return "trailing data after the JSON value"
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	return err.Error()
}

type member struct {
	key   string
	value json.RawMessage
}

// members returns the members of a JSON object in order and rejects duplicate keys.
func members(data []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("want a JSON object")
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("want an object key")
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		out = append(out, member{key: key, value: raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the object")
	}
	return out, nil
}

func parsePolicy(data []byte) (Policy, error) {
	ms, err := members(data)
	if err != nil {
		return Policy{}, err
	}
	var p Policy
	haveStatement := false
	for _, m := range ms {
		switch m.key {
		case "Version":
			if p.Version, err = str(m.value); err != nil {
				return Policy{}, fmt.Errorf("element Version: %v", err)
			}
		case "Id":
			if p.ID, err = str(m.value); err != nil {
				return Policy{}, fmt.Errorf("element Id: %v", err)
			}
		case "Statement":
			haveStatement = true
			raws, err := oneOrMany(m.value)
			if err != nil {
				return Policy{}, fmt.Errorf("element Statement: %v", err)
			}
			for i, raw := range raws {
				st, err := parseStatement(raw)
				if err != nil {
					return Policy{}, fmt.Errorf("statement %d: %v", i, err)
				}
				p.Statements = append(p.Statements, st)
			}
		default:
			return Policy{}, fmt.Errorf("unknown top-level element %q", m.key)
		}
	}
	if !haveStatement {
		return Policy{}, errors.New("missing element Statement")
	}
	return p, nil
}

// oneOrMany accepts a single object or an array of objects, as IAM does for Statement.
func oneOrMany(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		return []json.RawMessage{raw}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("want an object or an array of objects")
	}
	for _, r := range list {
		r = bytes.TrimSpace(r)
		if len(r) == 0 || r[0] != '{' {
			return nil, errors.New("want an object or an array of objects")
		}
	}
	return list, nil
}

func parseStatement(data []byte) (Statement, error) {
	ms, err := members(data)
	if err != nil {
		return Statement{}, err
	}
	var st Statement
	for _, m := range ms {
		var err error
		switch m.key {
		case "Sid":
			st.Sid, err = str(m.value)
		case "Effect":
			st.Effect, err = str(m.value)
		case "Principal":
			st.Principal, err = parsePrincipals(m.value)
		case "NotPrincipal":
			st.NotPrincipal, err = parsePrincipals(m.value)
		case "Action":
			st.Action, err = stringList(m.value, false)
		case "NotAction":
			st.NotAction, err = stringList(m.value, false)
		case "Resource":
			st.Resource, err = stringList(m.value, false)
		case "NotResource":
			st.NotResource, err = stringList(m.value, false)
		case "Condition":
			st.Condition, err = parseCondition(m.value)
		default:
			err = errors.New("unknown statement element")
		}
		if err != nil {
			return Statement{}, fmt.Errorf("%s: %v", m.key, err)
		}
	}
	return st, nil
}

func parsePrincipals(raw json.RawMessage) (*Principals, error) {
	if s, err := str(raw); err == nil {
		if s != "*" {
			return nil, errors.New(`a string principal must be "*"`)
		}
		return &Principals{Wildcard: true}, nil
	}
	ms, err := members(raw)
	if err != nil {
		return nil, errors.New(`want "*" or an object of principal types`)
	}
	p := &Principals{Values: map[string][]string{}}
	for _, m := range ms {
		vals, err := stringList(m.value, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", m.key, err)
		}
		p.Values[m.key] = vals
	}
	return p, nil
}

func parseCondition(raw json.RawMessage) ([]Clause, error) {
	ops, err := members(raw)
	if err != nil {
		return nil, err
	}
	clauses := []Clause{}
	for _, op := range ops {
		keys, err := members(op.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", op.key, err)
		}
		for _, k := range keys {
			vals, err := stringList(k.value, true)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %v", op.key, k.key, err)
			}
			clauses = append(clauses, Clause{Operator: op.key, Key: k.key, Values: vals})
		}
	}
	return clauses, nil
}

// stringList reads a string or an array of strings. Condition values may also be JSON
// booleans and numbers, which IAM compares by their text.
func stringList(raw json.RawMessage, scalars bool) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, err := scalar(it, scalars)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(raw, scalars)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// str reads a JSON string. encoding/json quietly turns null into "", which would let
// "Effect": null pass as an empty effect, so null is refused here.
func str(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", errors.New("want a string")
	}
	return s, nil
}

func scalar(raw json.RawMessage, scalars bool) (string, error) {
	raw = bytes.TrimSpace(raw)
	if s, err := str(raw); err == nil {
		return s, nil
	}
	if scalars {
		switch t := string(raw); {
		case t == "true" || t == "false":
			return t, nil
		case len(t) > 0 && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')):
			// json.Valid already vouched for the syntax; IAM compares the text.
			return t, nil
		}
		return "", errors.New("want a string, boolean, number or an array of them")
	}
	return "", errors.New("want a string or an array of strings")
}
