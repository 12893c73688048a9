package scp

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	arnpkg "github.com/vend-tvm/vend/internal/arn"
	"github.com/vend-tvm/vend/internal/revocation"
)

// Finding is one lint problem. Index is the statement's position, -1 for problems with
// the document as a whole.
type Finding struct {
	Rule    string
	Policy  string
	Sid     string
	Index   int
	Message string
}

// String is "policy/Sid: rule: message", with [index] standing in for a missing Sid.
func (f Finding) String() string {
	where := f.Policy
	switch {
	case f.Sid != "":
		where += "/" + f.Sid
	case f.Index >= 0:
		where += fmt.Sprintf("[%d]", f.Index)
	}
	return where + ": " + f.Rule + ": " + f.Message
}

// Rule describes one lint rule.
type Rule struct {
	ID          string
	Description string
}

// The lint rule IDs.
const (
	RuleJSON              = "json"
	RuleKind              = "kind"
	RuleVersion           = "version"
	RuleSize              = "size"
	RuleStatement         = "statement"
	RuleEffect            = "effect"
	RuleSid               = "sid"
	RuleSidUnique         = "sid-unique"
	RuleSCPPrincipal      = "scp-principal"
	RuleRCPDenyOnly       = "rcp-deny-only"
	RuleRCPPrincipal      = "rcp-principal"
	RuleRCPService        = "rcp-service"
	RuleExemptionOperator = "exemption-operator"
	RuleExemptionAccount  = "exemption-account"
	RuleAssumedRole       = "assumed-role"
	RuleWildcardOperator  = "wildcard-operator"
	RuleNullIfExists      = "null-ifexists"
	RuleOperator          = "operator"
	RuleAction            = "action"
)

// LintRules lists every rule Lint applies, for help texts and documentation.
func LintRules() []Rule {
	return []Rule{
		{RuleJSON, "the document is strict JSON: no duplicate keys, only known elements spelt exactly"},
		{RuleKind, "the document is an SCP or an RCP"},
		{RuleVersion, `Version is "2012-10-17" (the older version has no policy variables and different parsing)`},
		{RuleSize, fmt.Sprintf("the minified document has at most %d characters", MaxDocumentChars)},
		{RuleStatement, "every statement has Action or NotAction and Resource or NotResource, not both"},
		{RuleEffect, `Effect is "Allow" or "Deny"`},
		{RuleSid, "every Deny statement has an alphanumeric Sid, so decisions can name it"},
		{RuleSidUnique, "Sids are unique within a document"},
		{RuleSCPPrincipal, "SCPs have no Principal or NotPrincipal: they govern the principals of the accounts they apply to"},
		{RuleRCPDenyOnly, "RCP statements deny; only the AWS-managed RCPFullAWSAccess allows"},
		{RuleRCPPrincipal, `RCP statements have Principal "*" and no NotPrincipal`},
		{RuleRCPService, "RCP actions belong to services that support RCPs"},
		{RuleExemptionOperator, "conditions on aws:PrincipalArn use an Arn operator (ArnNotLike, ArnEquals, ...), never a String one"},
		{RuleExemptionAccount, "ARNs compared with aws:PrincipalArn pin a 12-digit account, or a role of the same name in any account matches"},
		{RuleAssumedRole, "aws:PrincipalArn never holds an assumed-role ARN, so a condition on one never matches"},
		{RuleWildcardOperator, "values with * or ? use a Like operator (StringEquals compares them literally; ArnEquals hides that it matches them)"},
		{RuleNullIfExists, "Null is never combined with IfExists"},
		{RuleOperator, "condition operators are ones the offline evaluator implements"},
		{RuleAction, "actions, and wildcards over them, exist for their service"},
	}
}

//go:embed actions.txt
var actionsTxt string

var (
	knownActionsOnce sync.Once
	knownActions     map[string][]string // service → lower-case action names
)

func actionList() map[string][]string {
	knownActionsOnce.Do(func() {
		knownActions = map[string][]string{}
		for line := range strings.Lines(actionsTxt) {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			svc, names, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			for _, n := range strings.Fields(names) {
				knownActions[svc] = append(knownActions[svc], strings.ToLower(n))
			}
		}
	})
	return knownActions
}

// KnownAction reports whether an action, or a wildcard pattern, names at least one
// action in the embedded list; known is false when the service is not in the list.
func KnownAction(action string) (ok, known bool) {
	svc, name, found := strings.Cut(strings.ToLower(action), ":")
	if !found {
		return false, false
	}
	names, known := actionList()[svc]
	if !known {
		return false, false
	}
	for _, n := range names {
		if glob(name, n) {
			return true, true
		}
	}
	return false, true
}

var sidRE = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// LintJSON lints a policy given as text: a document that does not parse yields one
// json finding.
func LintJSON(name string, kind Kind, data []byte) []Finding {
	d, err := ParseDocument(name, kind, data)
	if err != nil {
		return []Finding{{Rule: RuleJSON, Policy: name, Index: -1, Message: err.Error()}}
	}
	return Lint(d)
}

// Lint checks one rendered document against the rules of LintRules.
func Lint(d Document) []Finding {
	var fs []Finding
	add := func(rule string, i int, sid, format string, args ...any) {
		fs = append(fs, Finding{Rule: rule, Policy: d.Name, Sid: sid, Index: i, Message: fmt.Sprintf(format, args...)})
	}
	// Re-parse the JSON rather than trusting Policy, so a Document built by hand or
	// edited after rendering is still held to the strict parser.
	if _, err := ParseDocument(d.Name, d.Kind, d.JSON); err != nil {
		add(RuleJSON, -1, "", "%v", err)
		return fs
	}
	if d.Kind != KindSCP && d.Kind != KindRCP {
		add(RuleKind, -1, "", "kind %q is neither %s nor %s", d.Kind, KindSCP, KindRCP)
	}
	if d.Policy.Version != "2012-10-17" {
		add(RuleVersion, -1, "", "Version is %q, want \"2012-10-17\"", d.Policy.Version)
	}
	if n := d.Size(); n > MaxDocumentChars {
		add(RuleSize, -1, "", "minified size %d exceeds the AWS limit of %d characters", n, MaxDocumentChars)
	}
	if len(d.Policy.Statements) == 0 {
		add(RuleStatement, -1, "", "the document has no statements")
	}
	sids := map[string]int{}
	for i, st := range d.Policy.Statements {
		sid := st.Sid
		at := func(rule, format string, args ...any) { add(rule, i, sid, format, args...) }

		switch {
		case st.Sid == "" && st.Effect == "Deny":
			at(RuleSid, "the statement has no Sid; decisions and findings could not name it")
		case st.Sid != "" && !sidRE.MatchString(st.Sid):
			at(RuleSid, "Sid %q: use letters and digits only", st.Sid)
		}
		if st.Sid != "" {
			if j, dup := sids[st.Sid]; dup {
				at(RuleSidUnique, "Sid %q is also used by statement %d", st.Sid, j)
			} else {
				sids[st.Sid] = i
			}
		}
		if st.Effect != "Allow" && st.Effect != "Deny" {
			at(RuleEffect, "Effect is %q, want \"Allow\" or \"Deny\"", st.Effect)
		}
		if (st.Action == nil) == (st.NotAction == nil) {
			at(RuleStatement, "give exactly one of Action and NotAction")
		}
		if (st.Resource == nil) == (st.NotResource == nil) {
			at(RuleStatement, "give exactly one of Resource and NotResource")
		}

		switch d.Kind {
		case KindSCP:
			if st.Principal != nil || st.NotPrincipal != nil {
				at(RuleSCPPrincipal, "an SCP has no Principal or NotPrincipal: it applies to the principals of the accounts it is attached to")
			}
		case KindRCP:
			if st.Effect != "Deny" {
				at(RuleRCPDenyOnly, "RCP statements must deny; Effect is %q", st.Effect)
			}
			if st.Principal == nil || !st.Principal.Wildcard {
				at(RuleRCPPrincipal, `an RCP statement needs Principal "*"; restrict principals with conditions`)
			}
			if st.NotPrincipal != nil {
				at(RuleRCPPrincipal, "RCPs do not support NotPrincipal")
			}
			for _, a := range slices.Concat(st.Action, st.NotAction) {
				svc, _, _ := strings.Cut(strings.ToLower(a), ":")
				if !rcpServices[svc] {
					at(RuleRCPService, "%q: RCPs govern only %s", a, strings.Join(sortedKeys(rcpServices), ", "))
				}
			}
		}

		for _, a := range slices.Concat(st.Action, st.NotAction) {
			if a == "*" {
				continue
			}
			ok, known := KnownAction(a)
			switch {
			case !strings.Contains(a, ":"):
				at(RuleAction, "%q is not SERVICE:Action", a)
			case !known:
				at(RuleAction, "%q: service %q is not in the embedded action list (actions.txt), so the action cannot be checked", a, strings.SplitN(a, ":", 2)[0])
			case !ok:
				at(RuleAction, "%q names no known action of its service", a)
			}
		}

		for _, c := range st.Condition {
			lintClause(c, onlyRevocationPolicies(st), at)
		}
	}
	return fs
}

// onlyRevocationPolicies reports whether every Resource of st is the revocation policy
// path (in any account).
func onlyRevocationPolicies(st Statement) bool {
	if len(st.Resource) == 0 {
		return false
	}
	for _, r := range st.Resource {
		a, err := parseARN(r)
		if err != nil || a.service != "iam" || !strings.HasPrefix(a.resource, "policy"+revocation.Path) {
			return false
		}
	}
	return true
}

// isWriterRole reports whether v is the revocation-writer role, in any account, under
// any path.
func isWriterRole(v string) bool {
	a, err := parseARN(v)
	return err == nil && a.service == "iam" && strings.HasPrefix(a.resource, "role/") && strings.HasSuffix(a.resource, "/"+revocation.WriterRoleName)
}

// lintClause checks one condition clause. onRevocationPolicies: the statement guards only
// revocation policies, where the revocation-writer role may be exempt in every account:
// an IAM principal versions only its own account's policies, and in protected accounts
// only deployers may create a role under the protected path (DenyGuardedRoleChanges).
func lintClause(c Clause, onRevocationPolicies bool, at func(rule, format string, args ...any)) {
	po, err := parseOperator(c.Operator)
	if strings.HasPrefix(strings.TrimPrefix(strings.TrimPrefix(c.Operator, "ForAnyValue:"), "ForAllValues:"), "NullIfExists") {
		at(RuleNullIfExists, "%s on %s: Null already tests for absence; IfExists makes the test meaningless", c.Operator, c.Key)
		return
	}
	if err != nil {
		at(RuleOperator, "%s on %s: %v", c.Operator, c.Key, err)
		return
	}
	if strings.EqualFold(c.Key, "aws:PrincipalArn") {
		if !strings.HasPrefix(po.base, "Arn") {
			at(RuleExemptionOperator, "%s on aws:PrincipalArn: use ArnNotLike or ArnEquals, which compare the ARN component by component", c.Operator)
		}
		for _, v := range c.Values {
			if strings.Contains(v, ":assumed-role/") {
				at(RuleAssumedRole, "%q: aws:PrincipalArn of a role session is the role ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME), never the assumed-role form, so this value never matches", v)
				continue
			}
			if onRevocationPolicies && isWriterRole(v) {
				continue
			}
			if a, err := parseARN(v); err != nil || !arnpkg.ValidAccountID(a.account) {
				at(RuleExemptionAccount, "%q: pin a 12-digit account, or a principal of the same name in any account matches", v)
			}
		}
	}
	switch po.base {
	case "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		for _, v := range c.Values {
			if strings.ContainsAny(v, "*?") {
				at(RuleWildcardOperator, "%s on %s compares %q literally; use StringLike or StringNotLike for a pattern", c.Operator, c.Key, v)
			}
		}
	case "ArnEquals", "ArnNotEquals":
		for _, v := range c.Values {
			if strings.ContainsAny(v, "*?") {
				at(RuleWildcardOperator, "%s on %s matches the wildcards in %q although its name says Equals; use ArnLike or ArnNotLike", c.Operator, c.Key, v)
			}
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
