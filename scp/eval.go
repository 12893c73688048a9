package scp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	arnpkg "github.com/vend-tvm/vend/internal/arn"
)

// Decision is the outcome of evaluating a request against the guardrails.
type Decision string

// The two outcomes. Evaluate answers whether the organisation policies let the request
// through, assuming identity and resource policies grant it.
const (
	Allow Decision = "ALLOW"
	Deny  Decision = "DENY"
)

// Request is one API call as the organisation policies see it.
type Request struct {
	// Principal is the caller: an IAM role ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME, the
	// role and never its assumed-role session, because that is what aws:PrincipalArn
	// holds), an IAM user ARN, an account root (arn:aws:iam::ACCOUNT:root), a service
	// principal such as lambda.amazonaws.com, or empty for an unauthenticated caller of
	// AssumeRoleWithSAML or AssumeRoleWithWebIdentity.
	Principal string
	// Action is SERVICE:Name, e.g. sts:AssumeRole.
	Action string
	// Resource is the ARN the action is on.
	Resource string
	// ResourceTags become aws:ResourceTag/KEY and, on IAM resources, iam:ResourceTag/KEY.
	ResourceTags map[string]string
	// Context adds or overrides request context keys, e.g. sts:SourceIdentity, or
	// aws:SourceIdentity for a caller whose session carries one.
	Context map[string][]string
}

// StatementRef names one statement of an attached policy.
type StatementRef struct {
	Policy string // document name, e.g. "protect-tvm-function-and-role" or "FullAWSAccess"
	Kind   Kind
	Target string // the root, OU or account the policy is attached to
	Index  int    // position of the statement in the document
	Sid    string
}

// String is "policy/Sid", or "policy[index]" for a statement without a Sid.
func (r StatementRef) String() string {
	if r.Policy == "" {
		return ""
	}
	if r.Sid != "" {
		return r.Policy + "/" + r.Sid
	}
	return r.Policy + "[" + strconv.Itoa(r.Index) + "]"
}

// Result is the outcome of Evaluate.
type Result struct {
	Decision Decision
	// DecidedBy is the statement that decided. For a deny, the first explicit deny (SCPs
	// before RCPs, root before OUs before the account). For an allow, the first
	// guardrail Deny statement that covered the action and resource but whose condition
	// exempted the request, or else the allow statement that let it through. Empty when
	// no organisation policy applies at all.
	DecidedBy StatementRef
	Reason    string
	// Denies lists every explicit deny; Exempted every Deny statement that covered the
	// action and resource but whose condition did not hold.
	Denies   []StatementRef
	Exempted []StatementRef
	// Err is set when the request or a policy is outside what the evaluator models; the
	// decision is then Deny, failing closed.
	Err error
}

// ErrSessionPrincipal rejects assumed-role ARNs as principals: guardrails see the role.
var ErrSessionPrincipal = errors.New("assumed-role session ARN given as principal")

// rcpServices are the services whose resources RCPs govern.
var rcpServices = map[string]bool{
	"s3": true, "sts": true, "kms": true, "sqs": true, "secretsmanager": true,
	"ecr": true, "aoss": true, "cognito-identity": true, "logs": true, "dynamodb": true,
}

type principalKind int

const (
	principalAnonymous principalKind = iota
	principalService
	principalIAM
)

// requestContext is a Request resolved against the organisation.
type requestContext struct {
	action, resource  string
	keys              map[string][]string
	kind              principalKind
	principal         string
	principalAccount  string
	principalSLR      bool
	resourceAccount   string
	resourceSLR       bool
	principalIsMember bool
}

func newRequestContext(req Request, org OrgContext) (*requestContext, error) {
	svc, name, ok := strings.Cut(req.Action, ":")
	if !ok || svc == "" || name == "" {
		return nil, fmt.Errorf("action %q: want SERVICE:Name", req.Action)
	}
	if req.Resource == "" {
		return nil, errors.New("empty resource")
	}
	rc := &requestContext{action: req.Action, resource: req.Resource, keys: map[string][]string{}, principal: req.Principal}
	set := func(k string, v ...string) { rc.keys[strings.ToLower(k)] = v }

	switch p := req.Principal; {
	case p == "":
		rc.kind = principalAnonymous
	case !strings.HasPrefix(p, "arn:"):
		if !strings.HasSuffix(p, ".amazonaws.com") {
			return nil, fmt.Errorf("principal %q: want an IAM ARN, a service principal (*.amazonaws.com) or empty", p)
		}
		rc.kind = principalService
		set("aws:PrincipalIsAWSService", "true")
		set("aws:PrincipalServiceName", p)
	default:
		a, err := parseARN(p)
		if err != nil {
			return nil, fmt.Errorf("principal %q: %v", p, err)
		}
		if a.service == "sts" && strings.HasPrefix(a.resource, "assumed-role/") {
			return nil, fmt.Errorf("%w: %s; give the role ARN arn:%s:iam::%s:role/PATH/NAME", ErrSessionPrincipal, p, a.partition, a.account)
		}
		kind, _, _ := strings.Cut(a.resource, "/")
		if a.service != "iam" || !arnpkg.ValidAccountID(a.account) || (kind != "role" && kind != "user" && a.resource != "root") {
			return nil, fmt.Errorf("principal %q: want an IAM role, user or root ARN", p)
		}
		rc.kind = principalIAM
		rc.principalAccount = a.account
		rc.principalSLR = strings.HasPrefix(a.resource, "role/aws-service-role/")
		rc.principalIsMember = org.Member(a.account)
		set("aws:PrincipalArn", p)
		set("aws:PrincipalAccount", a.account)
		set("aws:PrincipalIsAWSService", "false")
		if rc.principalIsMember && org.ID != "" {
			set("aws:PrincipalOrgID", org.ID)
		}
	}

	if a, err := parseARN(req.Resource); err == nil {
		if arnpkg.ValidAccountID(a.account) {
			set("aws:ResourceAccount", a.account)
			if org.Member(a.account) && org.ID != "" {
				set("aws:ResourceOrgID", org.ID)
			}
		}
		rc.resourceSLR = a.service == "iam" && strings.HasPrefix(a.resource, "role/aws-service-role/")
		for k, v := range req.ResourceTags {
			set("aws:ResourceTag/"+k, v)
			if a.service == "iam" {
				set("iam:ResourceTag/"+k, v)
			}
		}
	} else {
		for k, v := range req.ResourceTags {
			set("aws:ResourceTag/"+k, v)
		}
	}
	for k, v := range req.Context {
		set(k, v...)
	}
	if v := rc.keys["aws:resourceaccount"]; len(v) > 0 {
		rc.resourceAccount = v[0]
	}
	return rc, nil
}

type matchKind int

const (
	noMatch matchKind = iota
	// exempt: action, resource and principal are covered but the condition is false.
	exempt
	fullMatch
)

func matchStatement(st Statement, rc *requestContext) (matchKind, error) {
	if st.NotPrincipal != nil {
		return noMatch, fmt.Errorf("%w: NotPrincipal", ErrUnsupported)
	}
	if st.Principal != nil && !principalMatches(st.Principal, rc) {
		return noMatch, nil
	}
	if !elementMatches(st.Action, st.NotAction, func(p string) bool { return actionMatches(p, rc.action) }) {
		return noMatch, nil
	}
	if !elementMatches(st.Resource, st.NotResource, func(p string) bool { return glob(p, rc.resource) }) {
		return noMatch, nil
	}
	for _, c := range st.Condition {
		ok, err := evalClause(c, rc.keys)
		if err != nil {
			return noMatch, err
		}
		if !ok {
			return exempt, nil
		}
	}
	return fullMatch, nil
}

// elementMatches applies Action/NotAction or Resource/NotResource. A statement with
// neither never matches; the linter reports it.
func elementMatches(list, notList []string, match func(string) bool) bool {
	switch {
	case list != nil:
		for _, p := range list {
			if match(p) {
				return true
			}
		}
		return false
	case notList != nil:
		for _, p := range notList {
			if match(p) {
				return false
			}
		}
		return true
	}
	return false
}

func principalMatches(p *Principals, rc *requestContext) bool {
	if p.Wildcard {
		return true
	}
	for typ, vals := range p.Values {
		for _, v := range vals {
			switch {
			case v == "*":
				return true
			case typ == "AWS" && rc.kind == principalIAM &&
				(v == rc.principal || v == rc.principalAccount || strings.HasSuffix(v, ":"+rc.principalAccount+":root")):
				return true
			case typ == "Service" && rc.kind == principalService && v == rc.principal:
				return true
			}
		}
	}
	return false
}

// Evaluate decides a request against the organisation's SCPs and RCPs:
//
//   - SCPs govern IAM principals in member accounts, not in the management account, not
//     service-linked roles, not AWS service principals and not unauthenticated
//     federation calls. Every level from the root down to the account must allow the
//     request (FullAWSAccess does unless detached), and any explicit deny denies.
//   - RCPs govern resources in member accounts for the services that support RCPs,
//     whatever account the caller is in, inside or outside the organisation. They
//     skip the management account's resources and service-linked roles.
//   - An explicit deny in either wins.
//
// Identity and resource policies are not modelled: Evaluate answers what an
// administrator allowed everything by IAM could still do.
func Evaluate(req Request, org OrgContext) Result {
	rc, err := newRequestContext(req, org)
	if err != nil {
		return Result{Decision: Deny, Err: err, Reason: "not evaluated: " + err.Error()}
	}
	var (
		res      Result
		allowBy  StatementRef
		implicit string
		notes    []string
	)
	// walk evaluates the policies along the path of one account; it reports the first
	// level where no statement allows.
	walk := func(kind Kind, account string, at func(string) []Document) error {
		path, err := org.path(account)
		if err != nil {
			return err
		}
		for _, target := range path {
			allowed := false
			for _, d := range at(target) {
				for i, st := range d.Policy.Statements {
					m, err := matchStatement(st, rc)
					if err != nil {
						return fmt.Errorf("%s %s statement %d: %w", kind, d.Name, i, err)
					}
					ref := StatementRef{Policy: d.Name, Kind: kind, Target: target, Index: i, Sid: st.Sid}
					deny := st.Effect == "Deny"
					switch {
					case deny && m == fullMatch:
						res.Denies = append(res.Denies, ref)
					case deny && m == exempt:
						res.Exempted = append(res.Exempted, ref)
					case st.Effect == "Allow" && m == fullMatch:
						allowed = true
						if allowBy.Policy == "" {
							allowBy = ref
						}
					}
				}
			}
			if !allowed && implicit == "" {
				implicit = fmt.Sprintf("no %s attached to %s allows %s", kind, target, rc.action)
			}
		}
		return nil
	}

	switch {
	case rc.kind == principalAnonymous:
		notes = append(notes, "SCPs do not apply to unauthenticated callers")
	case rc.kind == principalService:
		notes = append(notes, "SCPs do not apply to AWS service principals")
	case !rc.principalIsMember:
		notes = append(notes, "SCPs do not apply: the principal's account is outside the organisation")
	case rc.principalAccount == org.ManagementAccount:
		notes = append(notes, "SCPs do not apply to the management account")
	case rc.principalSLR:
		notes = append(notes, "SCPs do not apply to service-linked roles")
	default:
		if err := walk(KindSCP, rc.principalAccount, org.scpsAt); err != nil {
			return failClosed(err)
		}
	}

	svc, _, _ := strings.Cut(strings.ToLower(rc.action), ":")
	switch {
	case !rcpServices[svc]:
		notes = append(notes, "RCPs do not govern "+svc)
	case rc.resourceAccount == "" || !org.Member(rc.resourceAccount):
		notes = append(notes, "RCPs do not apply: the resource is outside the organisation")
	case rc.resourceAccount == org.ManagementAccount:
		notes = append(notes, "RCPs do not apply to the management account's resources")
	case rc.resourceSLR || rc.principalSLR:
		notes = append(notes, "RCPs do not apply to service-linked roles")
	default:
		if err := walk(KindRCP, rc.resourceAccount, org.rcpsAt); err != nil {
			return failClosed(err)
		}
	}

	switch {
	case len(res.Denies) > 0:
		res.Decision = Deny
		res.DecidedBy = res.Denies[0]
		res.Reason = fmt.Sprintf("explicit deny by %s %s attached to %s", res.DecidedBy.Kind, res.DecidedBy, res.DecidedBy.Target)
	case implicit != "":
		res.Decision = Deny
		res.Reason = implicit
	default:
		res.Decision = Allow
		switch {
		case len(res.Exempted) > 0:
			res.DecidedBy = res.Exempted[0]
			res.Reason = fmt.Sprintf("allowed: the condition of %s %s exempts the request", res.DecidedBy.Kind, res.DecidedBy)
		case allowBy.Policy != "":
			res.DecidedBy = allowBy
			res.Reason = fmt.Sprintf("allowed by %s %s; no guardrail covers the request", allowBy.Kind, allowBy)
		default:
			res.Reason = "allowed: no organisation policy applies"
		}
	}
	if len(notes) > 0 {
		res.Reason += " (" + strings.Join(notes, "; ") + ")"
	}
	return res
}

func failClosed(err error) Result {
	return Result{Decision: Deny, Err: err, Reason: "not evaluated: " + err.Error()}
}
