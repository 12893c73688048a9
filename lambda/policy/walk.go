package policy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits of the walk against hostile or runaway input.
const (
	maxNodeVisits = 2_000_000 // YAML nodes visited, counting alias expansion
	maxMergeDepth = 8
	maxErrors     = 100 // errors reported; the rest are counted
)

// fieldError is one problem in a policy file.
type fieldError struct {
	path string // e.g. rules[2].time_windows[0].timezone; empty for the whole file
	line int    // YAML line, 0 when unknown
	msg  string
}

func (e *fieldError) Error() string {
	s := e.msg
	if e.path != "" {
		s = e.path + ": " + s
	}
	if e.line > 0 {
		s += " (line " + strconv.Itoa(e.line) + ")"
	}
	return s
}

// invalid orders the problems by line, drops repeats (an anchored mapping merged twice
// reports its problems twice) and joins them under ErrInvalid.
func invalid(ferrs []*fieldError) error {
	seen := make(map[fieldError]bool, len(ferrs))
	ferrs = slices.DeleteFunc(ferrs, func(fe *fieldError) bool {
		dup := seen[*fe]
		seen[*fe] = true
		return dup
	})
	slices.SortStableFunc(ferrs, func(a, b *fieldError) int { return cmp.Compare(a.line, b.line) })
	errs := make([]error, 0, min(len(ferrs), maxErrors)+1)
	for i, fe := range ferrs {
		if i == maxErrors {
			errs = append(errs, fmt.Errorf("and %d more problems", len(ferrs)-maxErrors))
			break
		}
		errs = append(errs, fe)
	}
	return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
}

// parseYAML parses exactly one YAML document into a node tree. Decoding into nodes (not
// Go structs) keeps line numbers for every value and lets the loader report every
// problem with its path, instead of the decoder's Go type names or silently dropping a
// mapping that has a duplicate key.
func parseYAML(data []byte) (root *yaml.Node, ferr *fieldError) {
	defer func() {
		// The YAML library is third-party code fed untrusted bytes; a bug there must
		// surface as a load error, not take the TVM down.
		if r := recover(); r != nil {
			root, ferr = nil, &fieldError{msg: fmt.Sprintf("invalid YAML: parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return nil, &fieldError{msg: "policy file is empty"}
	case err != nil:
		return nil, yamlError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(err)
	default:
		return nil, &fieldError{line: extra.Line, msg: "policy file holds more than one YAML document; put the whole policy in one"}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, &fieldError{msg: "policy file is empty"}
	}
	return doc.Content[0], nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(err error) *fieldError {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &fieldError{line: line, msg: "invalid YAML: " + m[2]}
	}
	return &fieldError{msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// loader walks the node tree, collecting every problem rather than stopping at the first.
type loader struct {
	errs   []*fieldError
	warns  []*fieldError
	visits int
	budget bool // set once visits exceed maxNodeVisits; the walk then winds down
	tz     map[string]*time.Location
}

func (l *loader) errorf(path string, n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	l.errs = append(l.errs, &fieldError{path: path, line: line, msg: fmt.Sprintf(format, args...)})
}

// refusedRune returns the first character of s that a policy string must not contain,
// and its position in characters from 1. vend prints policy strings (rule names,
// reasons, descriptions, keys and values quoted in error messages) on terminals, in
// tables and in one-line denials, so refused are:
//
//   - the C0 controls U+0000-U+001F, DEL U+007F and the C1 controls U+0080-U+009F, which
//     can move the cursor, recolour or rewrite what a terminal shows. TAB is refused too:
//     it breaks the column layout of vend's tables and no name or reason needs it;
//   - the line break, except where newline is true (a profile's description, the only
//     free text shown on its own). A reason is printed on one line, after "reason:" or
//     in a table row, where a line break could fake a line of vend's output;
//   - the line and paragraph separators U+2028 and U+2029, for the same reason;
//   - the bidirectional controls (see isBidiControl), which make text display in an
//     order other than the order it is stored and matched in;
//   - invalid UTF-8, reported as utf8.RuneError.
//
// YAML refuses most of these characters written raw, but double-quoted strings can hold
// any of them as escapes ("\e", "\x9b", "\u202e").
func refusedRune(s string, newline bool) (r rune, at int, bad bool) {
	for i, c := range s {
		at++
		switch {
		case c == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 { // not U+FFFD itself
				return c, at, true
			}
		case c == '\n':
			if !newline {
				return c, at, true
			}
		case c < 0x20, c >= 0x7f && c <= 0x9f, isBidiControl(c), c == '\u2028', c == '\u2029':
			return c, at, true
		}
	}
	return 0, 0, false
}

// isBidiControl reports the characters that change the display order of text: the
// embeddings, overrides and isolates of CVE-2021-42574 ("Trojan Source") and the
// implicit marks.
func isBidiControl(c rune) bool {
	return c == '\u061c' || c == '\u200e' || c == '\u200f' ||
		(c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
}

// refusedMessage says which refused character a string holds, without repeating the
// string itself.
func refusedMessage(r rune, at int) string {
	switch {
	case r == utf8.RuneError:
		return fmt.Sprintf("is not valid UTF-8 (character %d)", at)
	case r == '\n':
		return fmt.Sprintf("contains a line break (character %d); write it on one line (a folded block scalar needs >- to drop its final line break)", at)
	case r == '\u2028' || r == '\u2029':
		return fmt.Sprintf("contains the line separator U+%04X (character %d); write it on one line", r, at)
	case isBidiControl(r):
		return fmt.Sprintf("contains the bidirectional control character U+%04X (character %d), which can make text display in a different order than it is read", r, at)
	}
	return fmt.Sprintf("contains the control character U+%04X (character %d); policy strings are printed on terminals and must not contain control characters", r, at)
}

// resolve follows aliases and counts the visit, so that alias expansion cannot make the
// walk unbounded.
func (l *loader) resolve(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if hops > 100 {
			return nil
		}
		n = n.Alias
	}
	l.visits++
	if l.visits > maxNodeVisits && !l.budget {
		l.budget = true
		l.errorf("", nil, "policy is too complex: more than %d YAML nodes after expanding aliases", maxNodeVisits)
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "an unsupported node"
}

// str returns a scalar's text as written. Using the text, not a decoded value, keeps
// account IDs with leading zeros and times such as 08:00 exactly as the author wrote them.
// The text must be one line of printable characters (see refusedRune).
func (l *loader) str(path string, n *yaml.Node) (string, bool) { return l.scalar(path, n, false) }

// text is str for free text that may span lines: a profile's description.
func (l *loader) text(path string, n *yaml.Node) (string, bool) { return l.scalar(path, n, true) }

func (l *loader) scalar(path string, n *yaml.Node, newline bool) (string, bool) {
	n = l.resolve(n)
	switch {
	case n == nil:
		l.errorf(path, nil, "unresolvable alias")
		return "", false
	case isNull(n):
		l.errorf(path, n, "must not be empty")
		return "", false
	case n.Kind != yaml.ScalarNode:
		l.errorf(path, n, "must be a string, not %s", kindName(n))
		return "", false
	}
	if r, at, bad := refusedRune(n.Value, newline); bad {
		l.errorf(path, n, "%s", refusedMessage(r, at))
		return "", false
	}
	return n.Value, true
}

// list returns the items of a sequence. An explicit empty list is an error: for
// accounts, org_ids and time_windows it would mean "any", which is the opposite of what
// a template that rendered no items probably meant.
func (l *loader) list(path string, n *yaml.Node) ([]*yaml.Node, bool) {
	n, ok := l.collection(path, n, yaml.SequenceNode, "a list")
	switch {
	case !ok:
		return nil, false
	case len(n.Content) == 0:
		l.errorf(path, n, "must not be an empty list")
		return nil, false
	}
	return n.Content, true
}

// stringList returns a list of strings with each item's path and node for later errors.
func (l *loader) stringList(path string, n *yaml.Node, check func(string) error) ([]string, []*yaml.Node) {
	items, ok := l.list(path, n)
	if !ok {
		return nil, nil
	}
	out := make([]string, 0, len(items))
	nodes := make([]*yaml.Node, 0, len(items))
	for i, item := range items {
		if l.budget {
			return nil, nil
		}
		ipath := fmt.Sprintf("%s[%d]", path, i)
		s, ok := l.str(ipath, item)
		if !ok {
			continue
		}
		if err := check(s); err != nil {
			l.errorf(ipath, l.resolve(item), "%v", err)
			continue
		}
		out = append(out, s)
		nodes = append(nodes, l.resolve(item))
	}
	return out, nodes
}

type keyValue struct{ key, val *yaml.Node }

// pairs returns a mapping's entries in file order with YAML merge keys (<<) applied:
// explicit keys win over merged ones, earlier merge sources over later ones. Duplicate
// explicit keys are errors.
func (l *loader) pairs(path string, n *yaml.Node, depth int) []keyValue {
	if depth > maxMergeDepth {
		l.errorf(path, n, "merge keys (<<) nested more than %d deep", maxMergeDepth)
		return nil
	}
	var out []keyValue
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content) && !l.budget; i += 2 {
		k := l.resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			l.errorf(path, n.Content[i], "mapping keys must be strings")
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, n.Content[i+1])
			continue
		}
		if first, dup := seen[k.Value]; dup {
			l.errorf(joinPath(path, k.Value), k, "duplicate key; first defined on line %d", first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, keyValue{k, n.Content[i+1]})
	}
	for _, m := range merges {
		m = l.resolve(m)
		var sources []*yaml.Node
		switch {
		case m != nil && m.Kind == yaml.MappingNode:
			sources = []*yaml.Node{m}
		case m != nil && m.Kind == yaml.SequenceNode:
			for _, s := range m.Content {
				sources = append(sources, l.resolve(s))
			}
		default:
			sources = []*yaml.Node{m}
		}
		for _, s := range sources {
			if l.budget {
				return out
			}
			if s == nil || s.Kind != yaml.MappingNode {
				l.errorf(path, m, "a merge key (<<) needs a mapping or a list of mappings")
				continue
			}
			for _, kv := range l.pairs(path, s, depth+1) {
				if _, dup := seen[kv.key.Value]; !dup {
					seen[kv.key.Value] = kv.key
					out = append(out, kv)
				}
			}
		}
	}
	return out
}

// collection resolves n and checks that it is a node of kind (what names it in the
// error): an alias it cannot resolve, a null and any other kind are errors.
func (l *loader) collection(path string, n *yaml.Node, kind yaml.Kind, what string) (*yaml.Node, bool) {
	n = l.resolve(n)
	switch {
	case n == nil:
		l.errorf(path, nil, "unresolvable alias")
		return nil, false
	case isNull(n):
		l.errorf(path, n, "must not be empty")
		return nil, false
	case n.Kind != kind:
		l.errorf(path, n, "must be %s, not %s", what, kindName(n))
		return nil, false
	}
	return n, true
}

// fields returns a mapping's entries by key and reports keys outside known: a strict
// loader, like yaml's Decoder.KnownFields(true), but naming the path of the typo.
func (l *loader) fields(path string, n *yaml.Node, known []string) (map[string]keyValue, bool) {
	n, ok := l.collection(path, n, yaml.MappingNode, "a mapping")
	if !ok {
		return nil, false
	}
	out := map[string]keyValue{}
	for _, kv := range l.pairs(path, n, 0) {
		if !slices.Contains(known, kv.key.Value) {
			l.errorf(joinPath(path, kv.key.Value), kv.key, "unknown field; known fields are %s", strings.Join(known, ", "))
			continue
		}
		out[kv.key.Value] = kv
	}
	return out, true
}

// required returns a required field's value node. A field that is missing, or present
// without a value (`name:`, `name: ~`, `name: null`), is reported with hint (e.g. "; want
// allow or deny") and yields nil.
func (l *loader) required(path string, parent *yaml.Node, f map[string]keyValue, key, hint string) *yaml.Node {
	kv, ok := f[key]
	switch {
	case !ok:
		l.errorf(joinPath(path, key), parent, "missing%s", hint)
		return nil
	case l.null(kv.val):
		l.errorf(joinPath(path, key), kv.key, "has no value%s", hint)
		return nil
	}
	return kv.val
}

// requiredStr is required followed by str.
func (l *loader) requiredStr(path string, parent *yaml.Node, f map[string]keyValue, key, hint string) (string, *yaml.Node, bool) {
	v := l.required(path, parent, f, key, hint)
	if v == nil {
		return "", nil, false
	}
	s, ok := l.str(joinPath(path, key), v)
	return s, v, ok
}

// optional returns an optional field's value node, or nil when the field is left out. A
// field that is present without a value is an error, reported with hint, and not the
// same as leaving it out: for accounts, org_ids, time_windows and days, leaving it out
// means "any", and a key with nothing after it is far more often a template that
// rendered no items than a wish to allow everyone.
func (l *loader) optional(path string, f map[string]keyValue, key, hint string) *yaml.Node {
	kv, ok := f[key]
	if !ok {
		return nil
	}
	if l.null(kv.val) {
		l.errorf(joinPath(path, key), kv.key, "has no value%s", hint)
		return nil
	}
	return kv.val
}

// null reports whether a field's value is null after following aliases. An unresolvable
// alias is not null: the caller's next step reports it.
func (l *loader) null(v *yaml.Node) bool {
	r := l.resolve(v)
	return r != nil && isNull(r)
}

// joinPath appends a mapping key to a path. A key that is not a plain name is quoted, so
// that an unknown or duplicate key cannot put control characters into an error message.
func joinPath(path, key string) string {
	if !plainKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}
