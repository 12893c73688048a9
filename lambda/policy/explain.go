package policy

import (
	"fmt"
	"strings"
)

// RuleResult is one rule's part in a decision, as `vend policy test` shows it.
type RuleResult struct {
	Rule    string
	Effect  Effect
	Line    int
	Matched bool   // every condition of the rule holds for the request
	Decided bool   // this rule named the decision
	Detail  string // "matches", or the first condition that failed and why
}

// Explain evaluates every rule against the request, in file order, and says for each
// whether it matched and, if not, which condition failed first. It decides exactly as
// Evaluate does (the rule with Decided set is Evaluate's Rule) but allocates freely, so
// the TVM's hot path uses Evaluate.
func (p *Policy) Explain(r Request) []RuleResult {
	if p == nil {
		return nil
	}
	d := p.Evaluate(r)
	pi, known := p.index[r.Profile]
	c := newCaller(&p.principals, &r)
	out := make([]RuleResult, len(p.display))
	for fi, shown := range p.display {
		ei := p.order[fi]
		rule := &p.rules[ei]
		res := RuleResult{Rule: shown.Name, Effect: shown.Effect, Line: shown.Line}
		m := missProfile
		if known && p.candidates(pi)[ei/64]&(1<<(ei%64)) != 0 {
			m = rule.check(&c)
		}
		res.Matched = m == missNone
		res.Decided = res.Matched && !d.UnknownProfile && d.Rule == shown.Name
		res.Detail = explainMiss(m, shown, rule, &r, &c, known)
		if res.Matched && shown.BreakGlass {
			res.Detail += "; break-glass: vends only with the caller's reason, and alerts"
		}
		if a := shown.Approval; res.Matched && a != nil {
			res.Detail += fmt.Sprintf("; needs approval: %d from %s, then a grant of %s", a.Count, strings.Join(a.Approvers, ", "), a.Grant)
		}
		out[fi] = res
	}
	return out
}

func explainMiss(m miss, shown Rule, rule *compiledRule, r *Request, c *caller, known bool) string {
	switch m {
	case missNone:
		return "matches"
	case missProfile:
		if !known {
			return fmt.Sprintf("profile %q is not defined in the policy", r.Profile)
		}
		return fmt.Sprintf("profile %q matches none of %s", r.Profile, strings.Join(shown.Profiles, ", "))
	case missAccount:
		return fmt.Sprintf("account %q is not one of %s", r.AccountID, strings.Join(shown.Accounts, ", "))
	case missOrg:
		if r.OrgID == "" {
			return "the caller's account is in no organisation; the rule requires one of " + strings.Join(shown.OrgIDs, ", ")
		}
		return fmt.Sprintf("organisation %q is not one of %s", r.OrgID, strings.Join(shown.OrgIDs, ", "))
	case missPrincipal:
		if r.PrincipalARN == "" {
			return "the request has no caller ARN"
		}
		return fmt.Sprintf("caller %q matches none of %s", r.PrincipalARN, strings.Join(shown.Principals, ", "))
	case missWindow:
		seen := map[string]bool{}
		var local []string
		for i, w := range rule.windows {
			tz := shown.TimeWindows[i].Timezone
			if seen[tz] {
				continue
			}
			seen[tz] = true
			// The zone abbreviation tells the two passes of a repeated hour apart
			// (Sun 01:30 BST, Sun 01:30 GMT).
			local = append(local, c.time.In(w.loc).Format("Mon 15:04 MST")+" in "+tz)
		}
		return "outside its time windows: it is " + strings.Join(local, ", ")
	}
	return "does not match"
}
