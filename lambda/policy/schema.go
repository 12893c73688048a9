package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vend-tvm/vend/internal/arn"
)

// Limits of the document against hostile or runaway input, and the bounds of a
// profile's max_duration.
const (
	maxRules    = 10_000
	maxProfiles = 10_000

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
	topFields      = []string{"version", "profiles", "rules", "administrators"}
	profileFields  = []string{"role_arn", "max_duration", "description", "session_policy", "session_policy_arns"}
	ruleFields     = []string{"name", "effect", "principals", "accounts", "org_ids", "profiles", "time_windows", "reason", "break_glass", "approval", "require_scope"}
	windowFields   = []string{"days", "start", "end", "timezone"}
	approvalFields = []string{"approvers", "approvals", "grant"}
)

// Bounds of a rule's approval: how many approvals it may want, and how long a grant may
// last (each vend within a grant is still a session of at most an hour).
const (
	maxApprovals     = 10
	minGrant         = 15 * time.Minute
	maxGrant         = 7 * 24 * time.Hour
	defaultGrant     = time.Hour
	defaultApprovals = 1
)

// draft is a loaded policy before compilation.
type draft struct {
	version        int
	profiles       []Profile
	rules          []ruleDraft
	administrators []string
}

type ruleDraft struct {
	path      string
	shown     Rule
	windows   []window     // shown.TimeWindows, compiled as they load
	patNodes  []*yaml.Node // one per shown.Profiles entry, for "matches no profile" errors
	nameNode  *yaml.Node
	scopeNode *yaml.Node // require_scope, for errors that compile finds
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
	if an := l.optional("", top, "administrators", "; list ARN patterns of who may see every request and revoke, or leave the field out"); an != nil {
		d.administrators, _ = l.stringList("administrators", an, checkARNPattern)
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
		l.loadSessionPolicies(path, f, &p)
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
			if !arn.ValidAccountID(s) {
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
					rd.windows = append(rd.windows, cw)
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

	r.BreakGlass, _ = l.allowFlag(path, f, "break_glass", r.Effect, "only an allow rule can be break-glass: a deny rule never vends")
	r.RequireScope, rd.scopeNode = l.allowFlag(path, f, "require_scope", r.Effect, "only an allow rule can require a scope: a deny rule never vends")

	if v := l.optional(path, f, "approval", "; say who approves, or leave the field out"); v != nil {
		switch {
		case r.Effect == Deny:
			l.errorf(path+".approval", v, "only an allow rule can require approval: a deny rule never vends")
		case r.BreakGlass:
			l.errorf(path+".approval", v, "a rule is either break-glass (vends at once, with a reason) or needs approval, not both")
		default:
			r.Approval = l.loadApproval(path+".approval", v)
		}
	}

	l.warnRule(path, r, principalNodes)
	return rd, true
}

// allowFlag reads an optional true/false field of a rule that only an allow rule may
// set to true (denyMsg says why), and returns its node for later errors.
func (l *loader) allowFlag(path string, f map[string]keyValue, key string, effect Effect, denyMsg string) (bool, *yaml.Node) {
	v := l.optional(path, f, key, "; write true, or leave the field out")
	if v == nil {
		return false, nil
	}
	s, ok := l.str(path+"."+key, v)
	switch {
	case !ok:
	case l.resolve(v).ShortTag() != "!!bool" || s != "true" && s != "false":
		l.errorf(path+"."+key, v, "must be true or false, not %q", s)
	case effect == Deny && s == "true":
		l.errorf(path+"."+key, v, "%s", denyMsg)
	default:
		return s == "true", l.resolve(v)
	}
	return false, l.resolve(v)
}

func (l *loader) loadApproval(path string, n *yaml.Node) *Approval {
	f, ok := l.fields(path, n, approvalFields)
	if !ok {
		return nil
	}
	a := &Approval{Count: defaultApprovals, Grant: defaultGrant}
	if v := l.required(path, l.resolve(n), f, "approvers", "; list ARN patterns of who may approve"); v != nil {
		a.Approvers, _ = l.stringList(path+".approvers", v, checkARNPattern)
	}
	if v := l.optional(path, f, "approvals", "; write how many approvals are needed, or leave the field out for 1"); v != nil {
		if s, ok := l.str(path+".approvals", v); ok {
			n, err := strconv.Atoi(s)
			switch {
			case l.resolve(v).ShortTag() != "!!int" || err != nil:
				l.errorf(path+".approvals", v, "must be a whole number, not %q", s)
			case n < 1 || n > maxApprovals:
				l.errorf(path+".approvals", v, "%d is outside 1..%d", n, maxApprovals)
			default:
				a.Count = n
			}
		}
	}
	if v := l.optional(path, f, "grant", "; write how long an approved grant lasts, such as 4h, or leave the field out for 1h"); v != nil {
		if s, ok := l.str(path+".grant", v); ok {
			d, err := time.ParseDuration(s)
			switch {
			case err != nil:
				l.errorf(path+".grant", v, "%q is not a duration such as 30m or 4h", s)
			case d < minGrant || d > maxGrant:
				l.errorf(path+".grant", v, "%s is outside 15m..168h (7 days)", s)
			case d%time.Second != 0:
				l.errorf(path+".grant", v, "%s is not a whole number of seconds", s)
			default:
				a.Grant = d
			}
		}
	}
	return a
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
