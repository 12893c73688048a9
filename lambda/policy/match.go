package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vend-tvm/vend/internal/arn"
)

// globKind picks the cheapest way to match a compiled pattern. Most patterns in real
// policies are literals, "*", or a literal with one trailing or leading star, so those
// avoid the general matcher.
type globKind uint8

const (
	globExact    globKind = iota // no wildcard: string equality
	globAny                      // "*": anything, including the empty string
	globPrefix                   // "lit*"
	globSuffix                   // "*lit"
	globContains                 // "*lit*"
	globStars                    // several stars, no '?': prefix, suffix, then leftmost search
	globGeneral                  // anything with '?': backtracking matcher
)

// glob is a compiled '*'/'?' pattern. It is kept small (32 bytes) because Evaluate
// walks thousands of them; the rarer multi-star form keeps its parts behind a pointer.
type glob struct {
	kind  globKind
	lit   string // the literal part, the prefix for globStars, the whole pattern for globGeneral
	stars *stars
}

type stars struct {
	suf string   // the literal after the last star
	mid []string // the non-empty literals between stars, in order
}

func compileGlob(pattern string) glob {
	if !strings.ContainsAny(pattern, "*?") {
		return glob{kind: globExact, lit: pattern}
	}
	if strings.Trim(pattern, "*") == "" {
		return glob{kind: globAny}
	}
	if !strings.Contains(pattern, "?") {
		inner := pattern
		lead := strings.HasPrefix(inner, "*")
		trail := strings.HasSuffix(inner, "*")
		inner = strings.Trim(inner, "*")
		if !strings.Contains(inner, "*") {
			switch {
			case lead && trail:
				return glob{kind: globContains, lit: inner}
			case trail:
				return glob{kind: globPrefix, lit: inner}
			case lead:
				return glob{kind: globSuffix, lit: inner}
			}
		}
		segs := strings.Split(pattern, "*")
		g := glob{kind: globStars, lit: segs[0], stars: &stars{suf: segs[len(segs)-1]}}
		for _, s := range segs[1 : len(segs)-1] {
			if s != "" {
				g.stars.mid = append(g.stars.mid, s)
			}
		}
		return g
	}
	return glob{kind: globGeneral, lit: pattern}
}

func (g *glob) match(s string) bool {
	switch g.kind {
	case globExact:
		return s == g.lit
	case globAny:
		return true
	case globPrefix:
		return strings.HasPrefix(s, g.lit)
	case globSuffix:
		return strings.HasSuffix(s, g.lit)
	case globContains:
		return strings.Contains(s, g.lit)
	case globStars:
		// Without '?', taking the leftmost occurrence of each middle literal is never
		// wrong, so this is linear and uses the runtime's fast substring search.
		suf := g.stars.suf
		if len(s) < len(g.lit)+len(suf) || !strings.HasPrefix(s, g.lit) || !strings.HasSuffix(s, suf) {
			return false
		}
		rest := s[len(g.lit) : len(s)-len(suf)]
		for _, m := range g.stars.mid {
			i := strings.Index(rest, m)
			if i < 0 {
				return false
			}
			rest = rest[i+len(m):]
		}
		return true
	default:
		return matchGlob(g.lit, s)
	}
}

// matchGlob reports whether s matches pattern, where '*' matches any run of characters
// and '?' exactly one character. It backtracks only to the most recent star, which is
// enough for this pattern language and keeps the worst case at O(len(pattern)*len(s))
// without allocating. '?' and star extension step over whole UTF-8 sequences so that a
// character is a character, as in IAM; an invalid byte counts as one character.
func matchGlob(pattern, s string) bool {
	px, sx := 0, 0
	starPx, starSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					_, w := utf8.DecodeRuneInString(s[sx:])
					px++
					sx += w
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if starPx >= 0 && starSx < len(s) {
			_, w := utf8.DecodeRuneInString(s[starSx:])
			starSx += w
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

// MatchPrincipal reports whether arn matches pattern as a rule's principals do (IAM
// ArnLike: each part separately, "*" and "?" within a part, "*" alone for any ARN).
// It is for the few checks outside Evaluate, such as approvers and administrators.
func MatchPrincipal(pattern, arn string) bool {
	if arn == "" {
		return false
	}
	if pattern == "*" {
		return true
	}
	pp, ok := splitARN(pattern)
	ap, ok2 := splitARN(arn)
	if !ok || !ok2 {
		return false
	}
	for i := range pp {
		if !matchGlob(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// arnParts is the number of colon-separated parts of an ARN:
// arn:partition:service:region:account:resource.
const arnParts = 6

// splitARN splits an ARN into its six parts without allocating. The resource part keeps
// any further colons, as IAM does. ok is false when s has fewer than six parts.
func splitARN(s string) (parts [arnParts]string, ok bool) {
	for i := 0; i < arnParts-1; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return parts, false
		}
		parts[i], s = s[:j], s[j+1:]
	}
	parts[arnParts-1] = s
	return parts, true
}

// principalIndex compiles the principal patterns of a policy. Across a policy the
// partition, service, region and account parts take few distinct values, and fewer
// distinct combinations of them, so newCaller matches each distinct combination once
// per request, into a bit mask, and a pattern tests one bit. Only the resource part,
// which differs from pattern to pattern, is matched per pattern.
type principalIndex struct {
	globs  [4][]glob   // distinct globs of ARN parts 1..4
	combos [][4]uint32 // distinct combinations of parts 1..4, as positions in globs

	// Only while compiling: text → position in globs, part ids → position in combos.
	globIDs  [4]map[string]uint32
	comboIDs map[[4]uint32]uint32
}

// maskedCombos is how many distinct combinations get a bit in the request's mask;
// patterns beyond it (rare: a policy naming more than 64 accounts) check their parts one
// by one.
const maskedCombos = 64

// arnPattern is a compiled principal pattern. Part 0 is always the literal "arn", which
// newCaller checks once per request instead of once per pattern.
type arnPattern struct {
	any      bool   // the pattern "*": every caller
	combo    uint32 // parts 1..4, as a position in principalIndex.combos
	resource glob
}

// compile adds a pattern that checkARNPattern accepted.
func (x *principalIndex) compile(pattern string) arnPattern {
	if pattern == "*" {
		return arnPattern{any: true}
	}
	parts, _ := splitARN(pattern)
	var ids [4]uint32
	for k := range ids {
		if x.globIDs[k] == nil {
			x.globIDs[k] = map[string]uint32{}
		}
		id, ok := x.globIDs[k][parts[k+1]]
		if !ok {
			id = uint32(len(x.globs[k]))
			x.globIDs[k][parts[k+1]] = id
			x.globs[k] = append(x.globs[k], compileGlob(parts[k+1]))
		}
		ids[k] = id
	}
	if x.comboIDs == nil {
		x.comboIDs = map[[4]uint32]uint32{}
	}
	combo, ok := x.comboIDs[ids]
	if !ok {
		combo = uint32(len(x.combos))
		x.comboIDs[ids] = combo
		x.combos = append(x.combos, ids)
	}
	return arnPattern{combo: combo, resource: compileGlob(parts[5])}
}

// done drops what only compiling needs.
func (x *principalIndex) done() { x.globIDs, x.comboIDs = [4]map[string]uint32{}, nil }

// comboMatches matches the caller's parts 1..4 against one combination.
func (x *principalIndex) comboMatches(combo uint32, parts *[arnParts]string) bool {
	for k, id := range x.combos[combo] {
		if !x.globs[k][id].match(parts[k+1]) {
			return false
		}
	}
	return true
}

// mask matches the caller against the first maskedCombos combinations.
func (x *principalIndex) mask(parts *[arnParts]string) (m uint64) {
	for j := range x.combos[:min(len(x.combos), maskedCombos)] {
		if x.comboMatches(uint32(j), parts) {
			m |= 1 << j
		}
	}
	return m
}

// match reports whether the caller, prepared by newCaller with the same index, matches.
// A caller whose ARN is not an ARN matches only "*", and an empty caller ARN matches
// nothing.
func (a *arnPattern) match(c *caller) bool {
	if a.any {
		return c.arn != ""
	}
	if !c.arnOK {
		return false
	}
	if a.combo < maskedCombos {
		if c.mask&(1<<a.combo) == 0 {
			return false
		}
	} else if !c.index.comboMatches(a.combo, &c.parts) {
		return false
	}
	return a.resource.match(c.parts[5])
}

const maxPatternLen = 2048 // IAM ARNs are at most 2048 characters

// checkARNPattern checks a principal pattern. The checks catch the mistakes that would
// otherwise make a rule silently match nobody.
func checkARNPattern(pattern string) error {
	if pattern == "" {
		return errors.New("empty principal pattern")
	}
	if pattern == "*" {
		return nil
	}
	if len(pattern) > maxPatternLen {
		return fmt.Errorf("principal pattern longer than %d characters", maxPatternLen)
	}
	for i := 0; i < len(pattern); i++ {
		if c := pattern[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("principal pattern %q contains a space, control or non-ASCII character", pattern)
		}
	}
	parts, ok := splitARN(pattern)
	if !ok {
		return fmt.Errorf("principal pattern %q is not an ARN: want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE or \"*\"", pattern)
	}
	if parts[0] != "arn" {
		return fmt.Errorf("principal pattern %q does not start with \"arn:\"", pattern)
	}
	partition, service, account, resource := parts[1], parts[2], parts[4], parts[5]
	switch {
	case partition == "":
		return fmt.Errorf("principal pattern %q has an empty partition (want aws, aws-cn, aws-us-gov, ...)", pattern)
	case !hasWildcard(partition) && !validPartition(partition):
		return fmt.Errorf("principal pattern %q has an invalid partition %q", pattern, partition)
	case service == "":
		return fmt.Errorf("principal pattern %q has an empty service (want sts or iam)", pattern)
	case !hasWildcard(service) && !validService(service):
		return fmt.Errorf("principal pattern %q has an invalid service %q", pattern, service)
	case !validAccountPattern(account):
		return fmt.Errorf("principal pattern %q has an invalid account %q (want 12 digits)", pattern, account)
	case resource == "":
		return fmt.Errorf("principal pattern %q has an empty resource", pattern)
	case service == "iam" && strings.HasPrefix(resource, "role/"):
		// A role never calls vend: its sessions do, as arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
		// (without the role path). Accepting this pattern would silently match nobody.
		return fmt.Errorf("principal pattern %q names an IAM role, which never calls vend itself; match its sessions with arn:%s:sts::%s:assumed-role/%s/*",
			pattern, partition, account, roleNameOf(resource))
	}
	return nil
}

// identityCenterRolePrefix starts the resource of every IAM Identity Center session:
// assumed-role/AWSReservedSSO_PERMISSIONSET_HASH/USER.
const identityCenterRolePrefix = "assumed-role/AWSReservedSSO_"

// identityCenterAnyAccount reports whether a principal pattern can match an IAM Identity
// Center session (arn:PARTITION:sts::ACCOUNT:assumed-role/AWSReservedSSO_*/*) in an
// account it does not name. Such a session is only as trustworthy as its account: the
// role name is not reserved, so anyone who can create roles in some account can create
// AWSReservedSSO_Engineer_x there, assume it with the session name alice@example.com, and
// match. "*" is not reported: it claims no identity.
func identityCenterAnyAccount(pattern string) bool {
	if pattern == "*" {
		return false
	}
	parts, ok := splitARN(pattern)
	if !ok {
		return false
	}
	service, region, account, resource := parts[2], parts[3], parts[4], parts[5]
	return hasWildcard(account) && matchGlob(service, "sts") && matchGlob(region, "") &&
		globMatchesPrefix(resource, identityCenterRolePrefix)
}

// globMatchesPrefix reports whether pattern matches some string that starts with prefix,
// an ASCII literal. It runs the pattern as an automaton over prefix: a state is a
// position in the pattern, and any state left at the end can be completed, because every
// rest of a pattern matches some string.
func globMatchesPrefix(pattern, prefix string) bool {
	cur := make([]bool, len(pattern)+1)
	next := make([]bool, len(pattern)+1)
	closeStars := func(states []bool) {
		for i := 0; i < len(pattern); i++ {
			if states[i] && pattern[i] == '*' {
				states[i+1] = true
			}
		}
	}
	cur[0] = true
	closeStars(cur)
	for k := 0; k < len(prefix); k++ {
		clear(next)
		live := false
		for i := 0; i < len(pattern); i++ {
			if !cur[i] {
				continue
			}
			switch pattern[i] {
			case '*':
				next[i] = true
			case '?':
				next[i+1] = true
			default:
				if pattern[i] != prefix[k] {
					continue
				}
				next[i+1] = true
			}
			live = true
		}
		if !live {
			return false
		}
		closeStars(next)
		cur, next = next, cur
	}
	return slices.Contains(cur, true)
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

func validPartition(s string) bool {
	if !strings.HasPrefix(s, "aws") {
		return false
	}
	for _, c := range s[3:] {
		if (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}

func validService(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// validAccountPattern accepts an empty account (S3-style ARNs), exactly 12 digits, or a
// wildcard pattern over digits.
func validAccountPattern(s string) bool {
	if s == "" {
		return true
	}
	if !hasWildcard(s) {
		return arn.ValidAccountID(s)
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '*' && c != '?' {
			return false
		}
	}
	return true
}

// roleNameOf returns the last path element of an IAM role resource ("role/a/b/NAME").
func roleNameOf(resource string) string {
	return resource[strings.LastIndexByte(resource, '/')+1:]
}

// validOrgID reports whether s looks like an AWS Organizations ID: ^o-[a-z0-9]{10,32}$.
func validOrgID(s string) bool {
	if len(s) < 12 || len(s) > 34 || !strings.HasPrefix(s, "o-") {
		return false
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// ValidProfileName reports whether s is a valid profile name:
// ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$. Rule names follow the same rule, since they travel
// as session tag values.
func ValidProfileName(s string) bool {
	if len(s) == 0 || len(s) > 64 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

const maxProfilePatternLen = 256

// checkProfilePattern accepts the characters of profile names plus the wildcards.
func checkProfilePattern(pattern string) error {
	if pattern == "" {
		return errors.New("empty profile pattern")
	}
	if len(pattern) > maxProfilePatternLen {
		return fmt.Errorf("profile pattern longer than %d characters", maxProfilePatternLen)
	}
	for i := 0; i < len(pattern); i++ {
		if c := pattern[i]; !isAlnum(c) && !strings.ContainsRune("_.-*?", rune(c)) {
			return fmt.Errorf("profile pattern %q contains %q; profile names use letters, digits, '_', '.' and '-', patterns add '*' and '?'", pattern, c)
		}
	}
	return nil
}
