package policy

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits against hostile or runaway input.
const (
	maxFileSize   = 1 << 20
	maxRules      = 10_000
	maxProfiles   = 10_000
	maxNodeVisits = 2_000_000 // YAML nodes visited, counting alias expansion
	maxMergeDepth = 8
	maxErrors     = 100 // errors reported; the rest are counted

	minProfileDuration     = 15 * time.Minute
	maxProfileDuration     = time.Hour
	defaultProfileDuration = time.Hour
)

const supportedVersion = 1

// roleARNPattern is an IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME.
var roleARNPattern = regexp.MustCompile(`^arn:aws[-a-z]*:iam::[0-9]{12}:role/(?:[\x21-\x7e]+/)?[\w+=,.@-]{1,64}$`)

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Known fields of each mapping, in the order the error message lists them.
var (
	topFields     = []string{"version", "profiles", "rules"}
	profileFields = []string{"role_arn", "max_duration", "description"}
	ruleFields    = []string{"name", "effect", "principals", "accounts", "org_ids", "profiles", "time_windows", "reason"}
	windowFields  = []string{"days", "start", "end", "timezone"}
)

// ParseFile reads and parses a policy file.
func ParseFile(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	defer f.Close()
	// Read one byte past the limit so that Parse reports an oversized file instead of
	// this function reading an arbitrarily large one.
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read policy %s: %w", path, err)
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Parse loads a policy strictly. On failure the error wraps ErrInvalid and joins every
// problem found (up to a limit), each naming its location and YAML line.
func Parse(data []byte) (*Policy, error) {
	if len(data) > maxFileSize {
		return nil, invalid([]*fieldError{{msg: fmt.Sprintf("policy file is larger than %d bytes", maxFileSize)}})
	}
	root, ferr := parseYAML(data)
	if ferr != nil {
		return nil, invalid([]*fieldError{ferr})
	}
	l := &loader{tz: map[string]*time.Location{}}
	d := l.load(root)
	// Compile even after errors: it finds profile patterns that match no profile.
	p := l.compile(d)
	if len(l.errs) > 0 {
		return nil, invalid(l.errs)
	}
	sum := sha256.Sum256(data)
	p.hash = "sha256:" + hex.EncodeToString(sum[:])
	p.warnings = l.warnings()
	return p, nil
}

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

func (l *loader) warnf(path string, n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	l.warns = append(l.warns, &fieldError{path: path, line: line, msg: fmt.Sprintf(format, args...)})
}

// warnings orders the warnings by line and drops repeats, as invalid does for errors.
func (l *loader) warnings() []Warning {
	seen := make(map[fieldError]bool, len(l.warns))
	var out []Warning
	for _, w := range l.warns {
		if !seen[*w] {
			seen[*w] = true
			out = append(out, Warning{Path: w.path, Line: w.line, Message: w.msg})
		}
	}
	slices.SortStableFunc(out, func(a, b Warning) int { return cmp.Compare(a.Line, b.Line) })
	return out
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
	n = l.resolve(n)
	switch {
	case n == nil:
		l.errorf(path, nil, "unresolvable alias")
		return nil, false
	case isNull(n):
		l.errorf(path, n, "must not be empty")
		return nil, false
	case n.Kind != yaml.SequenceNode:
		l.errorf(path, n, "must be a list, not %s", kindName(n))
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

// fields returns a mapping's entries by key and reports keys outside known: a strict
// loader, like yaml's Decoder.KnownFields(true), but naming the path of the typo.
func (l *loader) fields(path string, n *yaml.Node, known []string) (map[string]keyValue, bool) {
	n = l.resolve(n)
	switch {
	case n == nil:
		l.errorf(path, nil, "unresolvable alias")
		return nil, false
	case isNull(n):
		l.errorf(path, n, "must not be empty")
		return nil, false
	case n.Kind != yaml.MappingNode:
		l.errorf(path, n, "must be a mapping, not %s", kindName(n))
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

// draft is a loaded policy before compilation.
type draft struct {
	version  int
	profiles []Profile
	rules    []ruleDraft
}

type ruleDraft struct {
	path     string
	shown    Rule
	compiled compiledRule
	patNodes []*yaml.Node // one per shown.Profiles entry, for "matches no profile" errors
	nameNode *yaml.Node
}

func (l *loader) load(root *yaml.Node) draft {
	var d draft
	top, ok := l.fields("", root, topFields)
	if !ok {
		return d
	}
	if s, v, ok := l.requiredStr("", root, top, "version", fmt.Sprintf("; this vend reads version %d", supportedVersion)); ok {
		if l.resolve(v).ShortTag() != "!!int" {
			l.errorf("version", v, "must be the number %d, not %q", supportedVersion, s)
		} else if n, err := strconv.Atoi(s); err != nil || n != supportedVersion {
			// A future version may change the meaning of everything below; checking it
			// against this version's schema would only add noise.
			l.errorf("version", v, "unsupported version %s; this vend reads version %d", s, supportedVersion)
			return d
		} else {
			d.version = supportedVersion
		}
	}
	d.profiles = l.loadProfiles(l.required("", root, top, "profiles", "; define at least one profile"))
	// Without rules every request is denied, which is safe; but a rules key with nothing
	// after it is more likely a template that rendered nothing, so only [] says "none".
	if rn := l.optional("", top, "rules", "; write rules: [] to refuse every request"); rn != nil {
		d.rules = l.loadRules(rn)
	}
	return d
}

func (l *loader) loadProfiles(n *yaml.Node) []Profile {
	if n == nil {
		return nil // reported by required
	}
	n = l.resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		l.errorf("profiles", n, "must be a mapping of profile names to profiles")
		return nil
	}
	entries := l.pairs("profiles", n, 0)
	if len(entries) == 0 {
		l.errorf("profiles", n, "must define at least one profile")
		return nil
	}
	if len(entries) > maxProfiles {
		l.errorf("profiles", n, "more than %d profiles", maxProfiles)
		return nil
	}
	profiles := make([]Profile, 0, len(entries))
	for _, kv := range entries {
		if l.budget {
			return nil
		}
		name := kv.key.Value
		path := "profiles." + name
		if !ValidProfileName(name) {
			path = fmt.Sprintf("profiles[%q]", name)
			l.errorf(path, kv.key, "invalid profile name: want 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
		}
		p := Profile{Name: name, MaxDuration: defaultProfileDuration}
		f, ok := l.fields(path, kv.val, profileFields)
		if !ok {
			// Keep the name: rules that refer to it should not also report "matches no profile".
			profiles = append(profiles, p)
			continue
		}
		if s, v, ok := l.requiredStr(path, kv.key, f, "role_arn", ""); ok {
			if roleARNPattern.MatchString(s) {
				p.RoleARN = s
			} else {
				l.errorf(path+".role_arn", v, "%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", s)
			}
		}
		if v := l.optional(path, f, "max_duration", "; write a duration such as 30m, or leave the field out for 1h"); v != nil {
			if s, ok := l.str(path+".max_duration", v); ok {
				dur, err := time.ParseDuration(s)
				switch {
				case err != nil:
					l.errorf(path+".max_duration", v, "%q is not a duration such as 30m or 1h", s)
				case dur < minProfileDuration || dur > maxProfileDuration:
					l.errorf(path+".max_duration", v, "%s is outside 15m..1h (STS role chaining allows at most an hour)", s)
				case dur%time.Second != 0:
					l.errorf(path+".max_duration", v, "%s is not a whole number of seconds", s)
				default:
					p.MaxDuration = dur
				}
			}
		}
		if v := l.optional(path, f, "description", "; write one, or leave the field out"); v != nil {
			if s, ok := l.text(path+".description", v); ok {
				if s == "" {
					l.errorf(path+".description", v, "is empty; write one, or leave the field out")
				}
				p.Description = s
			}
		}
		profiles = append(profiles, p)
	}
	return profiles
}

func (l *loader) loadRules(n *yaml.Node) []ruleDraft {
	n = l.resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		l.errorf("rules", n, "must be a list of rules")
		return nil
	}
	if len(n.Content) > maxRules {
		l.errorf("rules", n, "more than %d rules", maxRules)
		return nil
	}
	rules := make([]ruleDraft, 0, len(n.Content))
	names := map[string]int{}
	for i, item := range n.Content {
		if l.budget {
			return nil
		}
		path := fmt.Sprintf("rules[%d]", i)
		rd, ok := l.loadRule(path, item)
		if !ok {
			continue
		}
		if rd.shown.Name != "" {
			if first, dup := names[rd.shown.Name]; dup {
				l.errorf(path+".name", rd.nameNode, "duplicate rule name %q; %s on line %d has it already",
					rd.shown.Name, rules[first].path, rules[first].shown.Line)
			} else {
				names[rd.shown.Name] = len(rules)
			}
		}
		rules = append(rules, rd)
	}
	return rules
}

func (l *loader) loadRule(path string, item *yaml.Node) (ruleDraft, bool) {
	f, ok := l.fields(path, item, ruleFields)
	if !ok {
		return ruleDraft{}, false
	}
	rd := ruleDraft{path: path}
	r := &rd.shown
	r.Line = l.resolve(item).Line

	if s, v, ok := l.requiredStr(path, item, f, "name", ""); ok {
		rd.nameNode = l.resolve(v)
		switch {
		case !ValidProfileName(s):
			l.errorf(path+".name", v, "invalid rule name %q: want 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit", s)
		case s == DefaultDenyRule:
			l.errorf(path+".name", v, "%q is reserved for the implicit rule", s)
		default:
			r.Name = s
		}
	}

	if s, v, ok := l.requiredStr(path, item, f, "effect", "; want allow or deny"); ok {
		switch Effect(s) {
		case Allow, Deny:
			r.Effect = Effect(s)
		default:
			l.errorf(path+".effect", v, "unknown effect %q; want allow or deny", s)
		}
	}

	var principalNodes []*yaml.Node
	if v := l.required(path, item, f, "principals", "; list ARN patterns of callers, or \"*\" for any caller"); v != nil {
		r.Principals, principalNodes = l.stringList(path+".principals", v, checkARNPattern)
	}

	if v := l.optional(path, f, "accounts", "; list account IDs, or leave the field out to match any account"); v != nil {
		r.Accounts, _ = l.stringList(path+".accounts", v, func(s string) error {
			if !validAccountID(s) {
				return fmt.Errorf("%q is not an AWS account ID (12 digits)", s)
			}
			return nil
		})
	}

	if v := l.optional(path, f, "org_ids", "; list organisation IDs, or leave the field out to match any organisation"); v != nil {
		r.OrgIDs, _ = l.stringList(path+".org_ids", v, func(s string) error {
			if !validOrgID(s) {
				return fmt.Errorf("%q is not an AWS Organizations ID (o- and 10-32 lowercase letters or digits)", s)
			}
			return nil
		})
	}

	if v := l.required(path, item, f, "profiles", "; list the profile names or patterns this rule covers"); v != nil {
		r.Profiles, rd.patNodes = l.stringList(path+".profiles", v, checkProfilePattern)
	}

	if v := l.optional(path, f, "time_windows", "; list windows, or leave the field out to match at any time"); v != nil {
		if items, ok := l.list(path+".time_windows", v); ok {
			for i, w := range items {
				tw, cw, ok := l.loadWindow(fmt.Sprintf("%s.time_windows[%d]", path, i), w)
				if ok {
					r.TimeWindows = append(r.TimeWindows, tw)
					rd.compiled.windows = append(rd.compiled.windows, cw)
				}
			}
		}
	}

	if v := l.optional(path, f, "reason", "; write one, or leave the field out for the default reason"); v != nil {
		if s, ok := l.str(path+".reason", v); ok {
			if s == "" {
				l.errorf(path+".reason", v, "is empty; write one, or leave the field out for the default reason")
			}
			r.Reason = s
		}
	}

	// A deny that matches more than meant refuses more, which is safe; only allows are
	// checked. The accounts condition pins the account as well as the pattern can.
	if r.Effect == Allow && len(r.Accounts) == 0 {
		for i, pat := range r.Principals {
			if identityCenterAnyAccount(pat) {
				l.warnf(fmt.Sprintf("%s.principals[%d]", path, i), principalNodes[i],
					"principal pattern %q matches IAM Identity Center (AWSReservedSSO_*) sessions in any account; "+
						"anyone who can create a role with that name in any AWS account can choose its session name, "+
						"such as alice@example.com: pin the account in the pattern, or list accounts in the rule", pat)
			}
		}
	}

	c := &rd.compiled
	c.name, c.effect, c.reason = r.Name, r.Effect, r.Reason
	if c.reason == "" {
		verb := "allowed"
		if r.Effect == Deny {
			verb = "denied"
		}
		c.reason = verb + " by rule " + r.Name
	}
	c.accounts = newStringSet(r.Accounts)
	c.orgs = newStringSet(r.OrgIDs)
	return rd, true
}

func (l *loader) loadWindow(path string, n *yaml.Node) (TimeWindow, window, bool) {
	f, ok := l.fields(path, n, windowFields)
	if !ok {
		return TimeWindow{}, window{}, false
	}
	nerrs := len(l.errs)
	var tw TimeWindow
	var w window
	if _, listed := f["days"]; !listed {
		w.days = 0x7f
	} else if v := l.optional(path, f, "days", "; list days, or leave the field out for every day"); v == nil {
		// reported by optional
	} else if items, ok := l.list(path+".days", v); ok {
		for i, item := range items {
			ipath := fmt.Sprintf("%s.days[%d]", path, i)
			s, ok := l.str(ipath, item)
			if !ok {
				continue
			}
			day, known := weekdays[s]
			switch {
			case !known:
				l.errorf(ipath, l.resolve(item), "unknown day %q; want mon, tue, wed, thu, fri, sat or sun", s)
			case w.days&(1<<day) != 0:
				l.errorf(ipath, l.resolve(item), "day %q listed twice", s)
			default:
				w.days |= 1 << day
				tw.Days = append(tw.Days, day)
			}
		}
	}
	clock := func(key string, allow24 bool) (string, int) {
		s, v, ok := l.requiredStr(path, l.resolve(n), f, key, "; want HH:MM (24-hour)")
		if !ok {
			return "", 0
		}
		m, ok := parseClock(s, allow24)
		if !ok {
			l.errorf(path+"."+key, v, "%q is not a time of day; want HH:MM (24-hour), e.g. 08:00", s)
			return "", 0
		}
		return s, m
	}
	tw.Start, w.start = clock("start", false)
	tw.End, w.end = clock("end", true)
	if tw.Start != "" && tw.End != "" && w.start == w.end {
		l.errorf(path, l.resolve(n), "start and end are both %s; a window must have a length (end before start crosses midnight)", tw.Start)
	}
	if s, v, ok := l.requiredStr(path, l.resolve(n), f, "timezone", "; want an IANA time zone such as Europe/Berlin or UTC"); ok {
		loc, err := l.location(s)
		if err != nil {
			l.errorf(path+".timezone", v, "%v", err)
		}
		tw.Timezone, w.loc = s, loc
	}
	return tw, w, len(l.errs) == nerrs
}

func (l *loader) location(name string) (*time.Location, error) {
	if loc, ok := l.tz[name]; ok {
		return loc, nil
	}
	// "Local" would make the policy's meaning depend on the machine it runs on.
	if name == "" || name == "Local" || strings.HasPrefix(name, "/") {
		return nil, fmt.Errorf("unknown time zone %q; want an IANA name such as Europe/Berlin or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	l.tz[name] = loc
	return loc, nil
}

// parseClock parses HH:MM into minutes after midnight. 24:00 is accepted as an end, so
// that a window can run to the end of the day.
func parseClock(s string, allow24 bool) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if allow24 && h == 24 && m == 0 {
		return 24 * 60, true
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// compile sorts the profiles, orders the rules for evaluation and precomputes, for each
// profile, the set of rules whose profile patterns match it. Evaluate then never matches
// profile patterns, and a pattern that matches no profile is caught here.
func (l *loader) compile(d draft) *Policy {
	p := &Policy{version: d.version, profiles: d.profiles, index: make(map[string]int, len(d.profiles))}
	slices.SortFunc(p.profiles, func(a, b Profile) int { return strings.Compare(a.Name, b.Name) })
	for i, prof := range p.profiles {
		p.index[prof.Name] = i
	}

	// Denies first, so that one pass in evaluation order finds the first matching deny
	// before any allow, and stops at the first match either way.
	p.order = make([]int, len(d.rules))
	for fi := range p.order {
		p.order[fi] = -1 // a rule without a valid effect; only reachable on the error path
	}
	p.rules = make([]compiledRule, 0, len(d.rules))
	p.display = make([]Rule, len(d.rules))
	for _, effect := range []Effect{Deny, Allow} {
		for fi, rd := range d.rules {
			if rd.shown.Effect == effect {
				p.order[fi] = len(p.rules)
				p.rules = append(p.rules, rd.compiled)
			}
		}
	}

	l.compilePrincipals(p, d)

	p.words = (len(p.rules) + 63) / 64
	p.cands = make([]uint64, len(p.profiles)*p.words)
	for fi, rd := range d.rules {
		p.display[fi] = rd.shown
		ei := p.order[fi]
		set := func(pi int) {
			if ei >= 0 {
				p.cands[pi*p.words+ei/64] |= 1 << (ei % 64)
			}
		}
		for j, pattern := range rd.shown.Profiles {
			matched := false
			switch g := compileGlob(pattern); g.kind {
			case globExact:
				if pi, ok := p.index[pattern]; ok {
					set(pi)
					matched = true
				}
			default:
				for pi := range p.profiles {
					if g.match(p.profiles[pi].Name) {
						set(pi)
						matched = true
					}
				}
			}
			if !matched && len(p.profiles) > 0 {
				// A typo here would silently grant (or refuse) nothing.
				l.errorf(fmt.Sprintf("%s.profiles[%d]", rd.path, j), rd.patNodes[j], "%q matches no profile in this policy", pattern)
			}
		}
	}
	return p
}

// compilePrincipals compiles every rule's principal patterns into one slice, in
// evaluation order, with their literals copied into one string, and moves the time
// windows into one slice too: Evaluate then reads memory front to back instead of
// chasing pointers across the heap.
func (l *loader) compilePrincipals(p *Policy, d draft) {
	byEval := make([][]string, len(p.rules))
	total, size := 0, 0
	for fi, rd := range d.rules {
		if ei := p.order[fi]; ei >= 0 {
			byEval[ei] = rd.shown.Principals
			total += len(rd.shown.Principals)
			for _, s := range rd.shown.Principals {
				size += len(s)
			}
		}
	}
	var arena strings.Builder
	arena.Grow(size)
	for _, patterns := range byEval {
		for _, s := range patterns {
			arena.WriteString(s)
		}
	}
	text := arena.String()
	all := make([]arnPattern, 0, total)
	off := 0
	for ei, patterns := range byEval {
		start := len(all)
		for _, s := range patterns {
			all = append(all, p.principals.compile(text[off:off+len(s)]))
			off += len(s)
		}
		p.rules[ei].principals = all[start:len(all):len(all)]
	}

	nwin := 0
	for i := range p.rules {
		nwin += len(p.rules[i].windows)
	}
	windows := make([]window, 0, nwin)
	for i := range p.rules {
		start := len(windows)
		windows = append(windows, p.rules[i].windows...)
		p.rules[i].windows = windows[start:len(windows):len(windows)]
	}
	p.principals.done()
}
