package policy

import (
	"errors"
	"math/bits"
	"slices"
	"strconv"
	"time"
)

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("invalid policy")

// DefaultDenyRule names the implicit rule that denies when no rule allows.
const DefaultDenyRule = "default-deny"

const (
	reasonDefaultDeny    = "no rule allows this caller to request this profile"
	reasonUnknownProfile = "the policy defines no such profile"
	reasonNoPolicy       = "no policy is loaded"
)

// Effect is what a rule does when it matches.
type Effect string

// The two effects a rule can have.
const (
	Allow Effect = "allow"
	Deny  Effect = "deny"
)

// Profile is a named role that callers may request credentials for.
type Profile struct {
	Name        string
	RoleARN     string
	Description string
	MaxDuration time.Duration // 15m..1h; 1h when the file does not say
	// SessionPolicy (compact JSON, "" for none) and SessionPolicyARNs are session
	// policies every vend of the profile passes to sts:AssumeRole, so that one broad role
	// serves narrower profiles. They are checked by package sessionpolicy as they load.
	SessionPolicy     string
	SessionPolicyARNs []string
}

// Narrowed says the profile carries session policies of its own.
func (p Profile) Narrowed() bool { return p.SessionPolicy != "" || len(p.SessionPolicyARNs) > 0 }

// Rule is a rule as written in the policy file, for display. Nil Accounts, OrgIDs or
// TimeWindows mean "any": the field was left out. A field written without a value, or as
// an empty list, never loads.
type Rule struct {
	Name        string
	Effect      Effect
	Principals  []string
	Accounts    []string
	OrgIDs      []string
	Profiles    []string
	TimeWindows []TimeWindow
	Reason      string // as written; may be empty
	// BreakGlass says the rule vends only to a caller who gives a justification, and
	// that every such vend raises an alert.
	BreakGlass bool
	// Approval, when set, says the rule vends only within a grant that approvers gave
	// to a request (vend request).
	Approval *Approval
	// RequireScope says the rule vends only to a caller who narrows the session with a
	// scope of its own (vend --scope or --scope-arn).
	RequireScope bool
	Line         int // line of the rule in the policy file
}

// Approval is what a rule that needs approval asks for: Count approvals from callers
// matching Approvers (never the requester), after which the requester may vend the
// profile for Grant.
type Approval struct {
	Approvers []string
	Count     int
	Grant     time.Duration
}

// MayApprove reports whether approver may approve a request under a: approver matches one
// of the patterns and is not the requester.
func (a *Approval) MayApprove(requester, approver string) bool {
	if a == nil || approver == "" || approver == requester {
		return false
	}
	for _, p := range a.Approvers {
		if MatchPrincipal(p, approver) {
			return true
		}
	}
	return false
}

// TimeWindow is a recurring window of local wall-clock time. Nil Days means every day
// (the field was left out). End before Start means the window crosses midnight; it then
// belongs to the day it starts on.
//
// An instant is inside the window when the zone's clocks, at that instant, show a time in
// [Start, End) on one of the days. The engine only ever turns the request's instant into
// local time, never a local time into an instant (which, as with time.Date, would have to
// pick a meaning for a time that does not exist or exists twice). So daylight-saving
// changes need no special case: local times the clocks skip (spring forward) match
// nothing, local times the clocks show twice (fall back) match both times, and on those
// nights a window is that much shorter or longer in elapsed time. See the package
// documentation for an example.
type TimeWindow struct {
	Days     []time.Weekday
	Start    string // HH:MM
	End      string // HH:MM
	Timezone string // IANA name
}

// Warning is a finding in a policy that loads, but that probably does not mean what its
// author meant. Warnings never change a decision.
type Warning struct {
	Path    string // e.g. rules[3].principals[0]
	Line    int    // YAML line, 0 when unknown
	Message string
}

func (w Warning) String() string {
	s := w.Message
	if w.Path != "" {
		s = w.Path + ": " + s
	}
	if w.Line > 0 {
		s += " (line " + strconv.Itoa(w.Line) + ")"
	}
	return s
}

// Request is one question to the policy: may this verified caller have this profile now?
type Request struct {
	PrincipalARN string
	AccountID    string
	OrgID        string // empty when the caller's account is in no organisation
	Profile      string
	Time         time.Time // the zero time means now
}

// Decision is the policy's answer, with the rule that decided and why.
type Decision struct {
	Allowed        bool
	Effect         Effect // allow or deny
	Rule           string // deciding rule name, or DefaultDenyRule
	Reason         string
	Profile        Profile // zero when unknown
	UnknownProfile bool
	PolicyHash     string
	// BreakGlass says the deciding allow rule is break-glass: the TVM vends only with
	// the caller's justification, and alerts.
	BreakGlass bool
	// Approval is set when the deciding allow rule needs approval: the TVM vends only
	// within an approved grant. It is the policy's own value: do not change it.
	Approval *Approval
	// RequireScope says the deciding allow rule vends only to a caller who gives a scope.
	RequireScope bool
}

// Policy is a loaded, validated policy. It is immutable and safe for concurrent use.
type Policy struct {
	hash       string
	version    int
	profiles   []Profile      // sorted by name
	index      map[string]int // profile name → position in profiles
	rules      []compiledRule // evaluation order: denies first, then allows, each in file order
	display    []Rule         // file order
	order      []int          // file position → position in rules
	words      int            // uint64 words per candidate bitset
	cands      []uint64       // len(profiles) bitsets over rules, words each
	principals principalIndex // the shared parts of all principal patterns
	warnings   []Warning      // by line
	admins     []string       // administrators: may see every request and revoke
}

// IsAdministrator reports whether arn matches one of the policy's administrators, who
// may see every request and revoke grants and sessions.
func (p *Policy) IsAdministrator(arn string) bool {
	if p == nil {
		return false
	}
	for _, pat := range p.admins {
		if MatchPrincipal(pat, arn) {
			return true
		}
	}
	return false
}

// Administrators returns the policy's administrator patterns.
func (p *Policy) Administrators() []string {
	if p == nil {
		return nil
	}
	return slices.Clone(p.admins)
}

// Hash returns "sha256:" and the hex SHA-256 of the policy file's bytes.
func (p *Policy) Hash() string {
	if p == nil {
		return ""
	}
	return p.hash
}

// Version returns the policy file format version.
func (p *Policy) Version() int {
	if p == nil {
		return 0
	}
	return p.version
}

// Profile returns the named profile.
func (p *Policy) Profile(name string) (Profile, bool) {
	if p == nil {
		return Profile{}, false
	}
	i, ok := p.index[name]
	if !ok {
		return Profile{}, false
	}
	return p.profiles[i], true
}

// Profiles returns every profile, sorted by name.
func (p *Policy) Profiles() []Profile {
	if p == nil {
		return nil
	}
	return slices.Clone(p.profiles)
}

// Warnings returns what the loader found questionable in the policy, ordered by line.
// The result is a copy.
func (p *Policy) Warnings() []Warning {
	if p == nil {
		return nil
	}
	return slices.Clone(p.warnings)
}

// Rules returns the rules in file order. The result is a copy.
func (p *Policy) Rules() []Rule {
	if p == nil {
		return nil
	}
	out := make([]Rule, len(p.display))
	for i, r := range p.display {
		r.Principals = slices.Clone(r.Principals)
		r.Accounts = slices.Clone(r.Accounts)
		r.OrgIDs = slices.Clone(r.OrgIDs)
		r.Profiles = slices.Clone(r.Profiles)
		r.TimeWindows = slices.Clone(r.TimeWindows)
		if r.Approval != nil {
			a := *r.Approval
			a.Approvers = slices.Clone(a.Approvers)
			r.Approval = &a
		}
		for j := range r.TimeWindows {
			r.TimeWindows[j].Days = slices.Clone(r.TimeWindows[j].Days)
		}
		out[i] = r
	}
	return out
}

// compiledRule is a rule ready for evaluation.
type compiledRule struct {
	name       string
	effect     Effect
	reason     string // never empty: defaults to "allowed by rule NAME" / "denied by rule NAME"
	breakGlass bool
	approval   *Approval
	scope      bool // require_scope
	principals []arnPattern
	accounts   stringSet
	orgs       stringSet
	windows    []window
}

// stringSet is a small set of strings: a slice while short, since comparing a handful of
// 12-character IDs beats hashing, and a map beyond that.
type stringSet struct {
	list []string
	set  map[string]struct{}
}

const stringSetMapMin = 16

func newStringSet(items []string) stringSet {
	if len(items) < stringSetMapMin {
		return stringSet{list: items}
	}
	m := make(map[string]struct{}, len(items))
	for _, s := range items {
		m[s] = struct{}{}
	}
	return stringSet{set: m}
}

func (s *stringSet) empty() bool { return len(s.list) == 0 && s.set == nil }

func (s *stringSet) has(v string) bool {
	if s.set != nil {
		_, ok := s.set[v]
		return ok
	}
	for _, x := range s.list {
		if x == v {
			return true
		}
	}
	return false
}

// window is a compiled TimeWindow.
type window struct {
	days       uint8 // bit d set: the window starts on time.Weekday(d)
	start, end int   // minutes after local midnight
	loc        *time.Location
}

// contains reports whether the request time falls inside the window on the wall clock
// of the window's zone (see TimeWindow for what that means when the clocks change).
func (w *window) contains(c *caller) bool {
	now, day := c.wallClock(w.loc)
	if w.start < w.end {
		return w.days&(1<<day) != 0 && now >= w.start && now < w.end
	}
	if now >= w.start {
		return w.days&(1<<day) != 0
	}
	if now < w.end {
		return w.days&(1<<((day+6)%7)) != 0 // the window started yesterday
	}
	return false
}

// caller is a request prepared once for all rules: the ARN split into parts, which
// distinct part globs it matches, and the local wall clock of the time zones asked for.
type caller struct {
	arn     string
	parts   [arnParts]string
	arnOK   bool // a six-part ARN starting "arn:"
	index   *principalIndex
	mask    uint64 // bit j: parts 1..4 match index.combos[j]
	account string
	org     string
	time    time.Time
	clocks  [4]wallClock
	nclocks int
}

// wallClock is the request time in one zone. Policies use few zones, and converting a
// time to a zone costs more than the rest of a window check, so each is done once.
type wallClock struct {
	loc    *time.Location
	minute int // minutes after local midnight
	day    time.Weekday
}

func newCaller(x *principalIndex, r *Request) caller {
	c := caller{arn: r.PrincipalARN, index: x, account: r.AccountID, org: r.OrgID, time: r.Time}
	c.parts, c.arnOK = splitARN(r.PrincipalARN)
	c.arnOK = c.arnOK && c.parts[0] == "arn"
	if c.arnOK {
		c.mask = x.mask(&c.parts)
	}
	if c.time.IsZero() {
		c.time = time.Now()
	}
	return c
}

// wallClock returns the minute of the day (seconds do not matter: windows start and
// end on whole minutes, so 17:59:59 is before an 18:00 end) and the weekday of the
// request time in loc. The loader shares one *time.Location per zone name, so pointer
// equality finds a zone seen before.
func (c *caller) wallClock(loc *time.Location) (int, time.Weekday) {
	for i := range c.nclocks {
		if c.clocks[i].loc == loc {
			return c.clocks[i].minute, c.clocks[i].day
		}
	}
	lt := c.time.In(loc)
	h, m, _ := lt.Clock()
	wc := wallClock{loc: loc, minute: h*60 + m, day: lt.Weekday()}
	if c.nclocks < len(c.clocks) {
		c.clocks[c.nclocks] = wc
		c.nclocks++
	}
	return wc.minute, wc.day
}

// miss says which condition of a rule a request failed; missNone means it matched.
// Conditions are checked cheapest first; Explain reports the first that failed.
type miss uint8

const (
	missNone miss = iota
	missProfile
	missAccount
	missOrg
	missPrincipal
	missWindow
)

// check evaluates a rule whose profile patterns already match the request.
func (r *compiledRule) check(c *caller) miss {
	if !r.accounts.empty() && !r.accounts.has(c.account) {
		return missAccount
	}
	if !r.orgs.empty() && (c.org == "" || !r.orgs.has(c.org)) {
		return missOrg
	}
	matched := false
	for i := range r.principals {
		if r.principals[i].match(c) {
			matched = true
			break
		}
	}
	if !matched {
		return missPrincipal
	}
	if len(r.windows) == 0 {
		return missNone
	}
	for i := range r.windows {
		if r.windows[i].contains(c) {
			return missNone
		}
	}
	return missWindow
}

// candidates returns the bitset of rules (in evaluation order) whose profile patterns
// match profile i.
func (p *Policy) candidates(i int) []uint64 {
	return p.cands[i*p.words : (i+1)*p.words]
}

// Evaluate decides a request. It does not allocate: it walks the precomputed set of
// rules that can apply to the requested profile, denies first, and stops at the first
// match.
func (p *Policy) Evaluate(r Request) Decision {
	if p == nil {
		return Decision{Effect: Deny, Rule: DefaultDenyRule, Reason: reasonNoPolicy}
	}
	pi, ok := p.index[r.Profile]
	if !ok {
		return Decision{Effect: Deny, Rule: DefaultDenyRule, Reason: reasonUnknownProfile, UnknownProfile: true, PolicyHash: p.hash}
	}
	c := newCaller(&p.principals, &r)
	for w, word := range p.candidates(pi) {
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			if rule := &p.rules[i]; rule.check(&c) == missNone {
				return Decision{
					Allowed:      rule.effect == Allow,
					Effect:       rule.effect,
					Rule:         rule.name,
					Reason:       rule.reason,
					Profile:      p.profiles[pi],
					PolicyHash:   p.hash,
					BreakGlass:   rule.breakGlass,
					Approval:     rule.approval,
					RequireScope: rule.scope,
				}
			}
		}
	}
	return Decision{Effect: Deny, Rule: DefaultDenyRule, Reason: reasonDefaultDeny, Profile: p.profiles[pi], PolicyHash: p.hash}
}
