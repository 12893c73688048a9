package scp

import "fmt"

// KindIdentity marks an identity-based policy (attached to a role or user) given to
// EvaluateIdentity; Evaluate never attaches one.
const KindIdentity Kind = "identity"

// KindSession marks a session policy given to EvaluateSession: an inline or managed
// policy passed to sts:AssumeRole.
const KindSession Kind = "session"

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
	s, err := evaluateSet(rc, policies, KindIdentity)
	if err != nil {
		return failClosed(err)
	}
	var res Result
	res.Denies, res.Exempted = s.denies, s.exempted
	switch {
	case len(res.Denies) > 0:
		res.Decision, res.DecidedBy = Deny, res.Denies[0]
		res.Reason = "explicit deny by identity policy " + res.DecidedBy.String()
	case s.allowBy.Policy == "":
		res.Decision = Deny
		res.Reason = "no identity policy allows " + rc.action
	default:
		res.Decision, res.DecidedBy = Allow, s.allowBy
		res.Reason = "allowed by identity policy " + s.allowBy.String()
	}
	return res
}

// EvaluateSession decides a request of a role session that has session policies, as
// IAM does: the session may do what the role's identity-based policies and its session
// policies both allow, and nothing either explicitly denies. The session policies are
// one set, as AWS evaluates the inline and managed session policies of one
// AssumeRole call: an Allow in any of them allows. Without session policies the
// session is the role, as EvaluateIdentity decides.
//
// vend uses it to answer, offline, what a scoped session could do (vend policy
// scope-check).
func EvaluateSession(req Request, identity, session []Document) Result {
	if len(session) == 0 {
		return EvaluateIdentity(req, identity)
	}
	rc, err := newRequestContext(req, OrgContext{})
	if err != nil {
		return failClosed(err)
	}
	id, err := evaluateSet(rc, identity, KindIdentity)
	if err != nil {
		return failClosed(err)
	}
	ss, err := evaluateSet(rc, session, KindSession)
	if err != nil {
		return failClosed(err)
	}
	var res Result
	res.Denies = append(id.denies, ss.denies...)
	res.Exempted = append(id.exempted, ss.exempted...)
	switch {
	case len(res.Denies) > 0:
		res.Decision, res.DecidedBy = Deny, res.Denies[0]
		res.Reason = "explicit deny by " + string(res.DecidedBy.Kind) + " policy " + res.DecidedBy.String()
	case id.allowBy.Policy == "":
		res.Decision = Deny
		res.Reason = "no identity policy of the role allows " + rc.action
	case ss.allowBy.Policy == "":
		res.Decision = Deny
		res.Reason = "no session policy allows " + rc.action + " (the scope leaves it out)"
	default:
		res.Decision, res.DecidedBy = Allow, ss.allowBy
		res.Reason = "allowed by identity policy " + id.allowBy.String() + " and session policy " + ss.allowBy.String()
	}
	return res
}

// setResult is what one set of policies says about a request.
type setResult struct {
	denies, exempted []StatementRef
	allowBy          StatementRef // the first Allow that matched; zero when none
}

// evaluateSet matches every statement of policies, which must name no principal.
func evaluateSet(rc *requestContext, policies []Document, kind Kind) (setResult, error) {
	var s setResult
	for _, d := range policies {
		for i, st := range d.Policy.Statements {
			if st.Principal != nil || st.NotPrincipal != nil {
				return s, fmt.Errorf("%s policy %s statement %d has a principal", kind, d.Name, i)
			}
			m, err := matchStatement(st, rc)
			if err != nil {
				return s, fmt.Errorf("%s policy %s statement %d: %w", kind, d.Name, i, err)
			}
			ref := StatementRef{Policy: d.Name, Kind: kind, Index: i, Sid: st.Sid}
			switch {
			case st.Effect == "Deny" && m == fullMatch:
				s.denies = append(s.denies, ref)
			case st.Effect == "Deny" && m == exempt:
				s.exempted = append(s.exempted, ref)
			case st.Effect == "Allow" && m == fullMatch && s.allowBy.Policy == "":
				s.allowBy = ref
			}
		}
	}
	return s, nil
}
