package sessionpolicy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vend-tvm/vend/internal/arn"
)

// AWS's limits on the session policies of one AssumeRole call.
const (
	// MaxChars bounds the plaintext of the inline policy (whitespace removed) and the
	// managed policy ARNs together.
	MaxChars = 2048
	// MaxARNs bounds the managed session policies.
	MaxARNs = 10
)

// ErrInvalid marks every reason a session policy or scope is refused.
var ErrInvalid = errors.New("invalid session policy")

// Scope is a set of session policies: an inline document and managed policy ARNs.
type Scope struct {
	// Policy is the inline document as ParseDocument writes it (compact, the keys in
	// the order written); nil when there is none.
	Policy []byte
	// ARNs are managed policies, each checked by CheckARN, in the order given.
	ARNs []string
}

// Empty says the scope has no session policy at all.
func (s Scope) Empty() bool { return len(s.Policy) == 0 && len(s.ARNs) == 0 }

// SHA256 is the hex SHA-256 of the inline document, "" when there is none: what the
// decision log and the session tag record instead of the document.
func (s Scope) SHA256() string {
	if len(s.Policy) == 0 {
		return ""
	}
	sum := sha256.Sum256(s.Policy)
	return hex.EncodeToString(sum[:])
}

// Key is a stable text naming the scope (the document's hash and the ARNs), for cache
// keys: two scopes with the same Key are the same session policies.
func (s Scope) Key() string {
	if s.Empty() {
		return ""
	}
	return "sha256=" + s.SHA256() + ";arns=" + strings.Join(s.ARNs, ",")
}

// Chars is the plaintext AWS counts against MaxChars.
func (s Scope) Chars() int {
	n := utf8.RuneCount(s.Policy)
	for _, a := range s.ARNs {
		n += utf8.RuneCountInString(a)
	}
	return n
}

// Validate checks the scope as a whole: the ARNs (CheckARN, no repeats, at most
// MaxARNs), the combined size, and that something in it can allow: a scope of Deny
// statements only, with no managed policy, would leave the session no permission.
func (s Scope) Validate() error {
	if len(s.ARNs) > MaxARNs {
		return fmt.Errorf("%w: %d managed policy ARNs; AWS takes at most %d", ErrInvalid, len(s.ARNs), MaxARNs)
	}
	for i, a := range s.ARNs {
		if err := CheckARN(a); err != nil {
			return err
		}
		if slices.Contains(s.ARNs[:i], a) {
			return fmt.Errorf("%w: managed policy %s is given twice", ErrInvalid, a)
		}
	}
	if n := s.Chars(); n > MaxChars {
		return fmt.Errorf("%w: the session policies are %d characters (the document without whitespace and the ARNs together); AWS takes at most %d", ErrInvalid, n, MaxChars)
	}
	if len(s.Policy) > 0 && len(s.ARNs) == 0 && !allows(s.Policy) {
		return fmt.Errorf("%w: the document has no Allow statement, so the session could do nothing; a session policy allows what the session may do (within the role) and denies exceptions", ErrInvalid)
	}
	return nil
}

// CheckARN checks a managed policy ARN: arn:PARTITION:iam::ACCOUNT:policy/[PATH/]NAME,
// with ACCOUNT a 12-digit account ID or "aws" for an AWS managed policy.
func CheckARN(s string) error {
	a, err := arn.Split(s)
	if err != nil || a.Service != "iam" || a.Region != "" || !strings.HasPrefix(a.Resource, "policy/") ||
		(a.AccountID != "aws" && !arn.ValidAccountID(a.AccountID)) || !policyNameRE.MatchString(strings.TrimPrefix(a.Resource, "policy/")) {
		return fmt.Errorf("%w: %q is not a managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME, or arn:aws:iam::aws:policy/NAME for an AWS managed policy)", ErrInvalid, clip(s))
	}
	return nil
}

// AccountOf is the account a managed policy ARN names: a 12-digit ID, or "aws".
func AccountOf(policyARN string) string {
	a, err := arn.Split(policyARN)
	if err != nil {
		return ""
	}
	return a.AccountID
}

var (
	policyNameRE = regexp.MustCompile(`^(?:[\x21-\x7e]+/)?[\w+=,.@-]{1,128}$`)
	actionRE     = regexp.MustCompile(`^(?:\*|[a-zA-Z0-9-]+:[A-Za-z0-9*?]+)$`)
	versions     = []string{"2012-10-17", "2008-10-17"}
	topKeys      = []string{"Version", "Id", "Statement"}
	statementKey = []string{"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)

// ParseDocument checks an inline session policy and returns it compact (whitespace
// removed, keys in the order written). Errors wrap ErrInvalid and say what to change.
func ParseDocument(data []byte) ([]byte, error) {
	if len(data) > 16*MaxChars {
		return nil, fmt.Errorf("%w: %d bytes; AWS takes at most %d characters without whitespace", ErrInvalid, len(data), MaxChars)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8 text", ErrInvalid)
	}
	v, err := decodeStrict(data)
	if err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrInvalid, err)
	}
	top, ok := v.(object)
	if !ok {
		return nil, fmt.Errorf("%w: want a JSON object with Version and Statement", ErrInvalid)
	}
	if err := top.only("the document", topKeys); err != nil {
		return nil, err
	}
	ver, ok := top.get("Version").(string)
	if !ok || !slices.Contains(versions, ver) {
		return nil, fmt.Errorf("%w: Version must be \"2012-10-17\"", ErrInvalid)
	}
	if id, ok := top.get("Id").(string); top.has("Id") && !ok || ok && id == "" {
		return nil, fmt.Errorf("%w: Id must be a non-empty string", ErrInvalid)
	}
	statements := top.statements()
	if len(statements) == 0 {
		return nil, fmt.Errorf("%w: Statement must be a statement or a non-empty list of statements", ErrInvalid)
	}
	for i, s := range statements {
		if err := checkStatement(i, s); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if n := utf8.RuneCount(buf.Bytes()); n > MaxChars {
		return nil, fmt.Errorf("%w: the document is %d characters without whitespace; AWS takes at most %d", ErrInvalid, n, MaxChars)
	}
	return buf.Bytes(), nil
}

func checkStatement(i int, v any) error {
	where := fmt.Sprintf("statement %d", i)
	st, ok := v.(object)
	if !ok {
		return fmt.Errorf("%w: %s is not an object", ErrInvalid, where)
	}
	if sid, ok := st.get("Sid").(string); ok {
		where = fmt.Sprintf("statement %d (%s)", i, clip(sid))
	}
	if st.has("Principal") || st.has("NotPrincipal") {
		return fmt.Errorf("%w: %s has a Principal or NotPrincipal; a session policy applies to the session itself and names no principal", ErrInvalid, where)
	}
	if err := st.only(where, statementKey); err != nil {
		return err
	}
	if st.has("Sid") {
		if _, ok := st.get("Sid").(string); !ok {
			return fmt.Errorf("%w: %s: Sid must be a string", ErrInvalid, where)
		}
	}
	if e, _ := st.get("Effect").(string); e != "Allow" && e != "Deny" {
		return fmt.Errorf("%w: %s: Effect must be Allow or Deny", ErrInvalid, where)
	}
	if err := oneOf(st, where, "Action", "NotAction", func(s string) bool { return actionRE.MatchString(s) },
		"an action such as s3:GetObject, s3:Get*, or *"); err != nil {
		return err
	}
	if err := oneOf(st, where, "Resource", "NotResource", func(s string) bool { return s == "*" || strings.HasPrefix(s, "arn:") },
		"an ARN (wildcards allowed) or *"); err != nil {
		return err
	}
	if st.has("Condition") {
		cond, ok := st.get("Condition").(object)
		if !ok || len(cond.keys) == 0 {
			return fmt.Errorf("%w: %s: Condition must be an object of operators", ErrInvalid, where)
		}
		for j, op := range cond.keys {
			block, ok := cond.vals[j].(object)
			if !ok || len(block.keys) == 0 {
				return fmt.Errorf("%w: %s: Condition %s must be an object of condition keys", ErrInvalid, where, clip(op))
			}
			for k, key := range block.keys {
				if !conditionValue(block.vals[k]) {
					return fmt.Errorf("%w: %s: Condition %s %s must be a value or a list of values", ErrInvalid, where, clip(op), clip(key))
				}
			}
		}
	}
	return nil
}

// oneOf checks that exactly one of two elements is present and is a string or a
// non-empty list of strings that each pass valid.
func oneOf(st object, where, a, notA string, valid func(string) bool, want string) error {
	if st.has(a) == st.has(notA) {
		return fmt.Errorf("%w: %s must have exactly one of %s and %s", ErrInvalid, where, a, notA)
	}
	name := a
	if st.has(notA) {
		name = notA
	}
	var items []any
	switch v := st.get(name).(type) {
	case string:
		items = []any{v}
	case []any:
		items = v
	}
	if len(items) == 0 {
		return fmt.Errorf("%w: %s: %s must be a string or a non-empty list of strings", ErrInvalid, where, name)
	}
	for _, it := range items {
		s, ok := it.(string)
		if !ok || !valid(s) {
			return fmt.Errorf("%w: %s: %s entries must each be %s", ErrInvalid, where, name, want)
		}
	}
	return nil
}

func conditionValue(v any) bool {
	switch v := v.(type) {
	case string, bool, json.Number:
		return true
	case []any:
		if len(v) == 0 {
			return false
		}
		for _, it := range v {
			switch it.(type) {
			case string, bool, json.Number:
			default:
				return false
			}
		}
		return true
	}
	return false
}

// allows says a valid compact document has an Allow statement.
func allows(doc []byte) bool {
	v, err := decodeStrict(doc)
	if err != nil {
		return false
	}
	top, _ := v.(object)
	for _, s := range top.statements() {
		if o, ok := s.(object); ok && o.get("Effect") == "Allow" {
			return true
		}
	}
	return false
}

// clip keeps quoted input short in error messages.
func clip(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}

// object is a JSON object with its keys in document order.
type object struct {
	keys []string
	vals []any
}

func (o object) has(k string) bool { return slices.Contains(o.keys, k) }

func (o object) get(k string) any {
	if i := slices.Index(o.keys, k); i >= 0 {
		return o.vals[i]
	}
	return nil
}

// statements is the Statement element as a list: one statement or a list of them.
func (o object) statements() []any {
	switch st := o.get("Statement").(type) {
	case object:
		return []any{st}
	case []any:
		return st
	}
	return nil
}

// only refuses keys outside known, naming the first unknown one.
func (o object) only(where string, known []string) error {
	for _, k := range o.keys {
		if !slices.Contains(known, k) {
			return fmt.Errorf("%w: %s has an unknown element %q; want %s", ErrInvalid, where, clip(k), strings.Join(known, ", "))
		}
	}
	return nil
}

// decodeStrict decodes one JSON value, objects as object, refusing duplicate keys and
// trailing data.
func decodeStrict(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > 32 {
		return nil, errors.New("nested too deeply")
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		var o object
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			if o.has(k) {
				return nil, fmt.Errorf("duplicate key %q", clip(k))
			}
			v, err := decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			o.keys, o.vals = append(o.keys, k), append(o.vals, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return o, nil
	case json.Delim('['):
		list := []any{}
		for dec.More() {
			v, err := decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return list, nil
	}
	return t, nil
}
