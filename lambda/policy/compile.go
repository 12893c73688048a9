package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

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
	p := &Policy{version: d.version, profiles: d.profiles, index: make(map[string]int, len(d.profiles)), admins: d.administrators}
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
				p.rules = append(p.rules, compileRule(rd))
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
			if rd.shown.RequireScope && p.profiles[pi].Narrowed() {
				l.errorf(rd.path+".require_scope", rd.scopeNode, "profile %s has session policies of its own, and vend refuses a caller's scope on such a profile (AWS would allow what either allows), so no caller could meet this rule; drop require_scope or the profile's session policies", p.profiles[pi].Name)
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

// compileRule turns one loaded rule into its evaluated form, without its principal
// patterns: compilePrincipals compiles those for all rules at once.
func compileRule(rd ruleDraft) compiledRule {
	r := &rd.shown
	c := compiledRule{name: r.Name, effect: r.Effect, reason: r.Reason, breakGlass: r.BreakGlass, approval: r.Approval, scope: r.RequireScope, windows: rd.windows}
	if c.reason == "" {
		verb := "allowed"
		if r.Effect == Deny {
			verb = "denied"
		}
		c.reason = verb + " by rule " + r.Name
	}
	c.accounts = newStringSet(r.Accounts)
	c.orgs = newStringSet(r.OrgIDs)
	return c
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
