package scp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	arnpkg "github.com/vend-tvm/vend/internal/arn"
)

// Defaults for the optional parameters.
const (
	DefaultSourceIdentityPrefix  = "vend-"
	DefaultProtectedRoleTagKey   = "vend:enforce"
	DefaultProtectedRoleTagValue = "true"
)

// Params are the inputs of every template. The JSON names are the Terraform variable
// names of the org-guardrails module and of terraform/examples/guardrails, so one params
// file serves `vend scp render` and `terraform apply -var-file` alike.
type Params struct {
	// TVMRoleARNs are the execution roles of the TVM functions, the only principals
	// allowed into protected roles. Role ARNs with their path, never assumed-role ARNs.
	TVMRoleARNs []string `json:"tvm_role_arns"`
	// ProtectedRolePath is the IAM path that marks protected roles, such as "/vend/".
	ProtectedRolePath string `json:"protected_role_path"`
	// ProtectedAccountIDs pins the protected roles to these accounts. Empty means the
	// path protects roles in every account the policies apply to.
	ProtectedAccountIDs []string `json:"protected_account_ids"`
	// ProtectedRoleTagKey and ProtectedRoleTagValue select the roles the tag-gated
	// templates enforce on; untagged roles under the path stay in audit.
	ProtectedRoleTagKey   string `json:"protected_role_tag_key"`
	ProtectedRoleTagValue string `json:"protected_role_tag_value"`
	// DeployerARNs may change the TVM function, its role, the protected roles and the
	// policy parameter: the pipeline that deploys vend.
	DeployerARNs []string `json:"deployer_arns"`
	// BreakGlassARNs may assume protected roles without the TVM. Wildcards are allowed
	// in the path and name (IAM Identity Center roles carry a region in their path), the
	// account never.
	BreakGlassARNs []string `json:"break_glass_arns"`
	// SourceIdentityPrefix starts every SourceIdentity the TVM sets; only the TVM may set
	// one that starts with it.
	SourceIdentityPrefix string `json:"source_identity_prefix"`
	// TVMFunctionARN is the unqualified ARN of the TVM function.
	TVMFunctionARN string `json:"tvm_function_arn"`
	// PolicyParameterARN is the SSM parameter holding the TVM's access policy.
	PolicyParameterARN string `json:"policy_parameter_arn"`
	// OrgID is the organisation the guardrails are attached in (o-...). The templates do
	// not need it; the simulation uses it for aws:PrincipalOrgID.
	OrgID string `json:"org_id"`
}

// WithDefaults returns p with the optional fields filled in.
func (p Params) WithDefaults() Params {
	if p.SourceIdentityPrefix == "" {
		p.SourceIdentityPrefix = DefaultSourceIdentityPrefix
	}
	if p.ProtectedRoleTagKey == "" {
		p.ProtectedRoleTagKey = DefaultProtectedRoleTagKey
	}
	if p.ProtectedRoleTagValue == "" {
		p.ProtectedRoleTagValue = DefaultProtectedRoleTagValue
	}
	if p.BreakGlassARNs == nil {
		p.BreakGlassARNs = []string{}
	}
	if p.ProtectedAccountIDs == nil {
		p.ProtectedAccountIDs = []string{}
	}
	return p
}

// ParseParams reads parameters from JSON (a params file or a Terraform tfvars.json),
// rejecting unknown names so a misspelt parameter cannot silently fall back to its
// default, then applies the defaults and validates.
func ParseParams(data []byte) (Params, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Params
	if err := dec.Decode(&p); err != nil {
		return Params{}, fmt.Errorf("parse parameters: %w", err)
	}
	if dec.More() {
		return Params{}, errors.New("parse parameters: trailing data after the JSON object")
	}
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return Params{}, fmt.Errorf("invalid parameters: %w", err)
	}
	return p, nil
}

// ParamError is one invalid parameter. Validate joins them, so callers can report every
// problem at once.
type ParamError struct {
	Field  string
	Reason string
}

func (e *ParamError) Error() string { return e.Field + ": " + e.Reason }

var (
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	orgIDRE      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	identityRE   = regexp.MustCompile(`^[A-Za-z0-9_+=,.@-]+$`)
	functionRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	parameterRE  = regexp.MustCompile(`^parameter/[A-Za-z0-9_.\-/]+$`)
	tagRE        = regexp.MustCompile(`^[A-Za-z0-9 _.:/=+@-]*$`)
	iamPathRE    = regexp.MustCompile(`^/([\x21-\x7E]+/)?$`)
	iamNameRE    = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	iamPatternRE = regexp.MustCompile(`^[\x21-\x7E]+$`)
)

// Validate checks every parameter and returns all problems joined, each a *ParamError.
// Call it on WithDefaults() output; Render and RenderAll do.
func (p Params) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ParamError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	partitions := map[string]bool{}
	note := func(a arn) { partitions[a.partition] = true }

	if len(p.TVMRoleARNs) == 0 {
		bad("tvm_role_arns", "at least one TVM role ARN is required")
	}
	for i, s := range p.TVMRoleARNs {
		field := fmt.Sprintf("tvm_role_arns[%d]", i)
		a, err := principalARN(s, false, true)
		if err != nil {
			bad(field, "%v", err)
			continue
		}
		note(a)
	}

	if !iamPathRE.MatchString(p.ProtectedRolePath) || strings.ContainsAny(p.ProtectedRolePath, "*?") || len(p.ProtectedRolePath) > 512 {
		bad("protected_role_path", "%q is not an IAM path: it starts and ends with \"/\", has no wildcards and at most 512 printable ASCII characters", p.ProtectedRolePath)
	}
	seen := map[string]bool{}
	for i, acct := range p.ProtectedAccountIDs {
		field := fmt.Sprintf("protected_account_ids[%d]", i)
		switch {
		case !arnpkg.ValidAccountID(acct):
			bad(field, "%q is not a 12-digit account ID", acct)
		case seen[acct]:
			bad(field, "account %s is listed twice", acct)
		}
		seen[acct] = true
	}

	if len(p.DeployerARNs) == 0 {
		bad("deployer_arns", "at least one deployer ARN is required: without one nobody could ever update the TVM")
	}
	for i, s := range p.DeployerARNs {
		if a, err := principalARN(s, true, false); err != nil {
			bad(fmt.Sprintf("deployer_arns[%d]", i), "%v", err)
		} else {
			note(a)
		}
	}
	for i, s := range p.BreakGlassARNs {
		if a, err := principalARN(s, true, false); err != nil {
			bad(fmt.Sprintf("break_glass_arns[%d]", i), "%v", err)
		} else {
			note(a)
		}
	}

	pre := p.SourceIdentityPrefix
	switch {
	case pre == "":
		bad("source_identity_prefix", "must not be empty (the default is %q)", DefaultSourceIdentityPrefix)
	case !identityRE.MatchString(pre) || len(pre) > 63:
		bad("source_identity_prefix", "%q: a SourceIdentity prefix has 1 to 63 characters from [A-Za-z0-9_+=,.@-]", pre)
	}

	if a, err := parseARN(p.TVMFunctionARN); err != nil || a.service != "lambda" || !regionRE.MatchString(a.region) ||
		!arnpkg.ValidAccountID(a.account) || !strings.HasPrefix(a.resource, "function:") ||
		!functionRE.MatchString(strings.TrimPrefix(a.resource, "function:")) {
		bad("tvm_function_arn", "%q is not an unqualified Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", p.TVMFunctionARN)
	} else {
		note(a)
	}
	if a, err := parseARN(p.PolicyParameterARN); err != nil || a.service != "ssm" || !regionRE.MatchString(a.region) ||
		!arnpkg.ValidAccountID(a.account) || !parameterRE.MatchString(a.resource) {
		bad("policy_parameter_arn", "%q is not an SSM parameter ARN without wildcards (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)", p.PolicyParameterARN)
	} else {
		note(a)
	}

	if p.OrgID != "" && !orgIDRE.MatchString(p.OrgID) {
		bad("org_id", "%q is not an organisation ID (o- and 10 to 32 lowercase letters or digits)", p.OrgID)
	}
	checkTag := func(field, v string, min, max int) {
		switch {
		case len(v) < min || len(v) > max:
			bad(field, "%q must have %d to %d characters", v, min, max)
		case !tagRE.MatchString(v):
			// The key is spliced into a JSON string by ${name}: characters that JSON
			// would escape are refused rather than escaped, as Terraform does not escape.
			bad(field, "%q: use letters, digits, spaces and _ . : / = + - @ only", v)
		case field == "protected_role_tag_key" && strings.HasPrefix(strings.ToLower(v), "aws:"):
			bad(field, "%q: tag keys starting with \"aws:\" are reserved", v)
		}
	}
	checkTag("protected_role_tag_key", p.ProtectedRoleTagKey, 1, 128)
	checkTag("protected_role_tag_value", p.ProtectedRoleTagValue, 0, 256)

	if len(partitions) > 1 {
		parts := make([]string, 0, len(partitions))
		for k := range partitions {
			parts = append(parts, k)
		}
		slices.Sort(parts)
		bad("partition", "all ARNs must be in one partition, got %s", strings.Join(parts, ", "))
	}

	if len(errs) == 0 {
		errs = append(errs, p.overlaps()...)
	}
	return errors.Join(errs...)
}

// overlaps refuses principals that would themselves be protected: the Lambda service
// could not assume a protected TVM role under the RCP, and a protected deployer or
// break-glass role could only be entered through the TVM.
func (p Params) overlaps() []error {
	var errs []error
	protected := protectedRoleARNs(p)
	check := func(field string, list []string) {
		for i, s := range list {
			for _, pat := range protected {
				// Break-glass patterns may hold wildcards: match them as literal text,
				// which catches the usual mistake (a path under the protected path).
				if arnLike(pat, s) {
					errs = append(errs, &ParamError{
						Field:  fmt.Sprintf("%s[%d]", field, i),
						Reason: fmt.Sprintf("%s lies inside the protected roles %s; give it a path outside %s", s, pat, p.ProtectedRolePath),
					})
					break
				}
			}
		}
	}
	check("tvm_role_arns", p.TVMRoleARNs)
	check("deployer_arns", p.DeployerARNs)
	check("break_glass_arns", p.BreakGlassARNs)
	return errs
}

// principalARN validates an ARN that aws:PrincipalArn is compared with: an IAM role (or,
// when users is set, an IAM user) in a pinned account, never an STS session.
func principalARN(s string, users, noWildcards bool) (arn, error) {
	a, err := parseARN(s)
	if err != nil {
		return arn{}, fmt.Errorf("%q: %v", s, err)
	}
	if a.service == "sts" && strings.HasPrefix(a.resource, "assumed-role/") {
		name, _, _ := strings.Cut(strings.TrimPrefix(a.resource, "assumed-role/"), "/")
		return arn{}, fmt.Errorf("%q is an assumed-role session ARN; aws:PrincipalArn of a role session is the role ARN (arn:%s:iam::%s:role/PATH/%s), so give that", s, a.partition, a.account, name)
	}
	if a.service != "iam" || a.region != "" {
		return arn{}, fmt.Errorf("%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME)", s)
	}
	if !arnpkg.ValidAccountID(a.account) {
		return arn{}, fmt.Errorf("%q: the account must be a pinned 12-digit ID, or a role of the same name in any account would match", s)
	}
	kind, rest, _ := strings.Cut(a.resource, "/")
	if kind != "role" && !(users && kind == "user") {
		if users {
			return arn{}, fmt.Errorf("%q is neither an IAM role nor an IAM user ARN", s)
		}
		return arn{}, fmt.Errorf("%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME)", s)
	}
	if noWildcards && strings.ContainsAny(rest, "*?") {
		return arn{}, fmt.Errorf("%q: wildcards are not allowed here", s)
	}
	if !iamPatternRE.MatchString(rest) {
		return arn{}, fmt.Errorf("%q: the role path and name must be printable ASCII", s)
	}
	name := rest[strings.LastIndex(rest, "/")+1:]
	if !strings.ContainsAny(name, "*?") && !iamNameRE.MatchString(name) {
		return arn{}, fmt.Errorf("%q: %q is not a valid IAM name", s, name)
	}
	return a, nil
}

// arn is an ARN split into its six colon-separated components.
type arn struct {
	partition, service, region, account, resource string
}

// parseARN splits s with internal/arn, leaving the account (it may be a pattern here)
// to the caller.
func parseARN(s string) (arn, error) {
	a, err := arnpkg.Split(s)
	if errors.Is(err, arnpkg.ErrPartition) {
		return arn{}, fmt.Errorf("unknown partition %q", strings.SplitN(s, ":", 3)[1])
	}
	if err != nil {
		return arn{}, err
	}
	return arn{partition: a.Partition, service: a.Service, region: a.Region, account: a.AccountID, resource: a.Resource}, nil
}
