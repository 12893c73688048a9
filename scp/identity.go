package scp

import "fmt"

// KindIdentity marks an identity-based policy (attached to a role or user) given to
// EvaluateIdentity; Evaluate never attaches one.
const KindIdentity Kind = "identity"

// EvaluateIdentity decides a request against the caller's identity-based policies
// alone, as IAM does inside one account: an explicit Deny in any of them denies;
// otherwise an Allow in one of them is needed; otherwise the request is implicitly
// denied. Organisation policies (Evaluate), permissions boundaries, session policies
// and resource policies are not part of it. Req.Principal is the role or user the
// policies are attached to; session context, such as aws:SourceIdentity and
// aws:TokenIssueTime of a role session, goes in req.Context.
//
// vend uses it to prove what a protected role's revocation policy denies.
func EvaluateIdentity(req Request, policies []Document) Result {
	rc, err := newRequestContext(req, OrgContext{})
	if err != nil {
		return failClosed(err)
	}
	var res Result
	var allowBy StatementRef
	for _, d := range policies {
		for i, st := range d.Policy.Statements {
			if st.Principal != nil || st.NotPrincipal != nil {
				return failClosed(fmt.Errorf("identity policy %s statement %d has a principal", d.Name, i))
			}
			m, err := matchStatement(st, rc)
			if err != nil {
				return failClosed(fmt.Errorf("identity policy %s statement %d: %w", d.Name, i, err))
			}
			ref := StatementRef{Policy: d.Name, Kind: KindIdentity, Index: i, Sid: st.Sid}
			switch {
			case st.Effect == "Deny" && m == fullMatch:
				res.Denies = append(res.Denies, ref)
			case st.Effect == "Deny" && m == exempt:
				res.Exempted = append(res.Exempted, ref)
			case st.Effect == "Allow" && m == fullMatch && allowBy.Policy == "":
				allowBy = ref
			}
		}
	}
	switch {
	case len(res.Denies) > 0:
		res.Decision, res.DecidedBy = Deny, res.Denies[0]
		res.Reason = "explicit deny by identity policy " + res.DecidedBy.String()
	case allowBy.Policy == "":
		res.Decision = Deny
		res.Reason = "no identity policy allows " + rc.action
	default:
		res.Decision, res.DecidedBy = Allow, allowBy
		res.Reason = "allowed by identity policy " + allowBy.String()
	}
	return res
}
