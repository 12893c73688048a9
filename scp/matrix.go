package scp

import (
	"fmt"
	"slices"
	"strings"

	arnpkg "github.com/vend-tvm/vend/internal/arn"
)

// Template and statement names the matrix expects to decide. A rename in a template
// must be made here too, deliberately.
const (
	TemplateDenyAssume          = "deny-assume-protected-roles-except-tvm"
	TemplateDenyAssumeTagged    = "deny-assume-protected-roles-except-tvm-tagged"
	TemplateDenySpoofing        = "deny-vend-source-identity-spoofing"
	TemplateProtectTVM          = "protect-tvm-function-and-role"
	TemplateRCPDenyAssume       = "rcp-deny-assume-protected-roles-except-tvm"
	TemplateRCPDenyAssumeTagged = "rcp-deny-assume-protected-roles-except-tvm-tagged"
	TemplateRCPDenySpoofing     = "rcp-deny-vend-source-identity-spoofing"

	SidDenyAssume             = "DenyAssumeProtectedRolesExceptTVM"
	SidDenyAssumeTagged       = "DenyAssumeTaggedProtectedRolesExceptTVM"
	SidDenySpoofing           = "DenyVendSourceIdentityExceptTVM"
	SidDenyAssumeTVMRole      = "DenyAssumeTVMRole"
	SidDenyPassTVMRole        = "DenyPassTVMRole"
	SidDenyFunctionChanges    = "DenyTVMFunctionChanges"
	SidDenyDirectInvoke       = "DenyDirectTVMInvocation"
	SidDenyRoleChanges        = "DenyGuardedRoleChanges"
	SidDenyParameterWrites    = "DenyPolicyParameterWrites"
	SidDenyLookalikeRoles     = "DenyIdentityCenterLookalikeRoles"
	SidDenyRevocationVersions = "DenyRevocationVersions"
	SidDenyRevocationPruning  = "DenyRevocationPruning"
	SidDenyRevocationChanges  = "DenyRevocationPolicyChanges"
)

// The simulated organisation's fixed IDs.
const (
	SimulationRoot  = "r-vend"
	SimulationOU    = "ou-vend-guardrails"
	SimulationOrgID = "o-vendsimulation"
)

// Simulation is the organisation the matrix runs in: the accounts named by the
// parameters in one OU with the SCPs attached, the RCPs attached at the root, and three
// accounts the parameters do not name: the management account, another member account
// and an account outside the organisation.
type Simulation struct {
	Org               OrgContext
	Mode              Mode
	ManagementAccount string
	MemberAccount     string
	ExternalAccount   string
}

// NewSimulation renders the templates of a mode and attaches them in a simulated
// organisation, for evaluating single requests (`vend scp simulate --principal ...`).
func NewSimulation(p Params, m Mode) (Simulation, error) {
	return newSimulation(p, m, Templates())
}

func newSimulation(p Params, m Mode, ts []Template) (Simulation, error) {
	p = p.WithDefaults()
	selected := selectMode(ts, m)
	if selected == nil {
		return Simulation{}, fmt.Errorf("unknown mode %q (want %s or %s)", m, ModeEnforce, ModeTagGated)
	}
	docs, err := RenderTemplates(selected, p)
	if err != nil {
		return Simulation{}, err
	}
	mgmt, member, external := syntheticAccounts(p)
	orgID := p.OrgID
	if orgID == "" {
		orgID = SimulationOrgID
	}
	org := NewOrg(orgID, SimulationRoot, mgmt)
	org.AddOU(SimulationOU, SimulationRoot)
	for _, acct := range append(paramAccounts(p), member) {
		org.AddAccount(acct, SimulationOU)
	}
	for _, d := range docs {
		switch d.Kind {
		case KindSCP:
			org.AttachSCP(SimulationOU, d)
		case KindRCP:
			org.AttachRCP(SimulationRoot, d)
		}
	}
	return Simulation{Org: org, Mode: m, ManagementAccount: mgmt, MemberAccount: member, ExternalAccount: external}, nil
}

// Evaluate evaluates one request in the simulated organisation.
func (s Simulation) Evaluate(req Request) Result { return Evaluate(req, s.Org) }

// paramAccounts lists every account the parameters name, in order, without repeats.
func paramAccounts(p Params) []string {
	var out []string
	add := func(s string) {
		if a, err := parseARN(s); err == nil && arnpkg.ValidAccountID(a.account) && !slices.Contains(out, a.account) {
			out = append(out, a.account)
		}
	}
	for _, s := range slices.Concat(p.TVMRoleARNs, p.DeployerARNs, p.BreakGlassARNs, []string{p.TVMFunctionARN, p.PolicyParameterARN}) {
		add(s)
	}
	for _, acct := range p.ProtectedAccountIDs {
		if arnpkg.ValidAccountID(acct) && !slices.Contains(out, acct) {
			out = append(out, acct)
		}
	}
	return out
}

// syntheticAccounts picks the management, other-member and external accounts among IDs
// the parameters do not use.
func syntheticAccounts(p Params) (mgmt, member, external string) {
	used := paramAccounts(p)
	var picked []string
	try := func(id string) {
		if len(picked) < 3 && !slices.Contains(used, id) && !slices.Contains(picked, id) {
			picked = append(picked, id)
		}
	}
	for d := '9'; d >= '1'; d-- {
		try(strings.Repeat(string(d), 12))
	}
	// Only parameters naming all nine repeated-digit accounts get here.
	for n := 1; len(picked) < 3; n++ {
		try(fmt.Sprintf("%012d", n))
	}
	return picked[0], picked[1], picked[2]
}

// Case is one row of the simulation matrix: a request, the mode it runs in, the
// expected decision and the statement expected to decide it.
type Case struct {
	Name       string
	Mode       Mode
	Request    Request
	Want       Decision
	WantPolicy string
	WantSid    string
}

// CaseResult is a Case with what the evaluator decided.
type CaseResult struct {
	Case   Case
	Result Result
	// Pass is true when both the decision and the deciding statement are as expected.
	Pass bool
}

// Matrix lists the requests the guardrails must allow and deny for these parameters.
// The parameters should be valid; RunMatrix checks them.
func Matrix(p Params) []Case {
	p = p.WithDefaults()
	if len(p.TVMRoleARNs) == 0 || len(p.DeployerARNs) == 0 {
		return nil
	}
	mgmt, member, external := syntheticAccounts(p)
	partition := "aws"
	tvm := p.TVMRoleARNs[0]
	tvmARN, _ := parseARN(tvm)
	if tvmARN.partition != "" {
		partition = tvmARN.partition
	}
	role := func(acct, pathName string) string { return "arn:" + partition + ":iam::" + acct + ":role/" + pathName }
	admin := func(acct string) string { return role(acct, "Admin") }
	accountOf := func(s string) string { a, _ := parseARN(s); return a.account }

	protAcct := member
	if len(p.ProtectedAccountIDs) > 0 {
		protAcct = p.ProtectedAccountIDs[0]
	}
	protected := role(protAcct, strings.TrimPrefix(p.ProtectedRolePath, "/")+"vend-readonly")
	tvmNamed := strings.TrimPrefix(tvmARN.resource, "role/")
	unrelated := role(member, "app-deploy")
	deployer := concrete(p.DeployerARNs[0])
	fn := p.TVMFunctionARN
	fnARN, _ := parseARN(fn)
	fnAcct := fnARN.account
	param := p.PolicyParameterARN
	vended := p.SourceIdentityPrefix + "alice"
	tags := map[string]string{p.ProtectedRoleTagKey: p.ProtectedRoleTagValue}
	srcID := func(v string) map[string][]string { return map[string][]string{"sts:SourceIdentity": {v}} }

	var cs []Case
	add := func(m Mode, name string, want Decision, policy, sid string, req Request) {
		cs = append(cs, Case{Name: name, Mode: m, Request: req, Want: want, WantPolicy: policy, WantSid: sid})
	}
	allow := func(name, policy, sid string, req Request) { add(ModeEnforce, name, Allow, policy, sid, req) }
	deny := func(name, policy, sid string, req Request) { add(ModeEnforce, name, Deny, policy, sid, req) }

	// The paths that must stay open.
	allow("TVM assumes a protected role with a vend SourceIdentity", TemplateDenyAssume, SidDenyAssume,
		Request{Principal: tvm, Action: "sts:AssumeRole", Resource: protected, Context: srcID(vended)})
	allow("TVM sets a vend SourceIdentity on a protected role", TemplateDenySpoofing, SidDenySpoofing,
		Request{Principal: tvm, Action: "sts:SetSourceIdentity", Resource: protected, Context: srcID(vended)})
	for i, bg := range p.BreakGlassARNs {
		allow(fmt.Sprintf("break-glass principal %d assumes a protected role", i+1), TemplateDenyAssume, SidDenyAssume,
			Request{Principal: concrete(bg), Action: "sts:AssumeRole", Resource: protected})
	}
	allow("deployer updates the TVM function code", TemplateProtectTVM, SidDenyFunctionChanges,
		Request{Principal: deployer, Action: "lambda:UpdateFunctionCode", Resource: fn})
	allow("deployer passes the TVM role to Lambda", TemplateProtectTVM, SidDenyPassTVMRole,
		Request{Principal: deployer, Action: "iam:PassRole", Resource: tvm,
			Context: map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}}})
	allow("deployer updates the TVM role trust policy", TemplateProtectTVM, SidDenyRoleChanges,
		Request{Principal: deployer, Action: "iam:UpdateAssumeRolePolicy", Resource: tvm})
	allow("deployer updates a protected role's permissions", TemplateProtectTVM, SidDenyRoleChanges,
		Request{Principal: deployer, Action: "iam:PutRolePolicy", Resource: protected})
	allow("deployer writes the policy parameter", TemplateProtectTVM, SidDenyParameterWrites,
		Request{Principal: deployer, Action: "ssm:PutParameter", Resource: param})
	allow("Lambda service assumes the TVM role", TemplateRCPDenySpoofing, SidDenySpoofing,
		Request{Principal: "lambda.amazonaws.com", Action: "sts:AssumeRole", Resource: tvm})
	allow("member admin assumes an unrelated role", TemplateDenySpoofing, SidDenySpoofing,
		Request{Principal: admin(member), Action: "sts:AssumeRole", Resource: unrelated})
	allow("member admin assumes an unrelated role with its own SourceIdentity", TemplateDenySpoofing, SidDenySpoofing,
		Request{Principal: admin(member), Action: "sts:AssumeRole", Resource: unrelated, Context: srcID("alice")})
	allow("vended session chains into an unrelated role keeping its SourceIdentity", TemplateDenySpoofing, SidDenySpoofing,
		Request{Principal: protected, Action: "sts:AssumeRole", Resource: unrelated,
			Context: map[string][]string{"sts:SourceIdentity": {vended}, "aws:SourceIdentity": {vended}}})
	allow("member admin updates an unrelated Lambda function", fullAWSAccessName, "",
		Request{Principal: admin(member), Action: "lambda:UpdateFunctionCode",
			Resource: "arn:" + partition + ":lambda:us-east-1:" + member + ":function:app"})
	// Lambda sets lambda:InvokedViaFunctionUrl on the InvokeFunction check it makes for a
	// Function URL request; that is how every vend client reaches the TVM.
	viaURL := map[string][]string{"lambda:InvokedViaFunctionUrl": {"true"}}
	allow("member admin calls the TVM through its Function URL", TemplateProtectTVM, SidDenyDirectInvoke,
		Request{Principal: admin(member), Action: "lambda:InvokeFunction", Resource: fn, Context: viaURL})
	allow("admin of the TVM account calls the TVM through its Function URL", TemplateProtectTVM, SidDenyDirectInvoke,
		Request{Principal: admin(fnAcct), Action: "lambda:InvokeFunction", Resource: fn, Context: viaURL})
	allow("admin of the TVM account invokes an unrelated function directly", fullAWSAccessName, "",
		Request{Principal: admin(fnAcct), Action: "lambda:InvokeFunction",
			Resource: "arn:" + partition + ":lambda:" + fnARN.region + ":" + fnAcct + ":function:app"})

	// The revocation policies: the TVM versions them, the deployer creates and deletes
	// them, and nobody else changes them; other policies are not guarded here.
	revocationPolicy := "arn:" + partition + ":iam::" + protAcct + ":policy/vend-revocation/vend-readonly"
	onRevocation := func(principal, action string) Request {
		return Request{Principal: principal, Action: action, Resource: revocationPolicy}
	}
	allow("TVM writes a new version of a revocation policy", TemplateDenySpoofing, SidDenyRevocationVersions,
		onRevocation(tvm, "iam:CreatePolicyVersion"))
	allow("TVM deletes an old version of a revocation policy", TemplateDenySpoofing, SidDenyRevocationPruning,
		onRevocation(tvm, "iam:DeletePolicyVersion"))
	allow("deployer deletes a revocation policy's old versions", TemplateDenySpoofing, SidDenyRevocationPruning,
		onRevocation(deployer, "iam:DeletePolicyVersion"))
	for _, a := range []string{"CreatePolicy", "DeletePolicy", "TagPolicy"} {
		allow("deployer calls iam:"+a+" on a revocation policy", TemplateDenySpoofing, SidDenyRevocationChanges,
			onRevocation(deployer, "iam:"+a))
	}
	allow("member admin writes a version of an unrelated policy", fullAWSAccessName, "",
		Request{Principal: admin(member), Action: "iam:CreatePolicyVersion", Resource: "arn:" + partition + ":iam::" + member + ":policy/app"})

	// Every way around the TVM into a protected role.
	deny("admin of the protected role's account assumes it", TemplateDenyAssume, SidDenyAssume,
		Request{Principal: admin(protAcct), Action: "sts:AssumeRole", Resource: protected})
	deny("admin of another member account assumes a protected role", TemplateDenyAssume, SidDenyAssume,
		Request{Principal: admin(member), Action: "sts:AssumeRole", Resource: protected})
	deny("management-account principal assumes a protected role", TemplateRCPDenyAssume, SidDenyAssume,
		Request{Principal: admin(mgmt), Action: "sts:AssumeRole", Resource: protected})
	deny("principal outside the organisation assumes a protected role", TemplateRCPDenyAssume, SidDenyAssume,
		Request{Principal: admin(external), Action: "sts:AssumeRole", Resource: protected})
	deny("role named like the TVM in another member account assumes a protected role", TemplateDenyAssume, SidDenyAssume,
		Request{Principal: role(member, tvmNamed), Action: "sts:AssumeRole", Resource: protected})
	deny("role named like the TVM outside the organisation assumes a protected role", TemplateRCPDenyAssume, SidDenyAssume,
		Request{Principal: role(external, tvmNamed), Action: "sts:AssumeRole", Resource: protected})
	deny("role named like the TVM in the management account assumes a protected role", TemplateRCPDenyAssume, SidDenyAssume,
		Request{Principal: role(mgmt, tvmNamed), Action: "sts:AssumeRole", Resource: protected})
	deny("SAML federation into a protected role", TemplateRCPDenyAssume, SidDenyAssume,
		Request{Action: "sts:AssumeRoleWithSAML", Resource: protected})
	deny("web identity federation into a protected role", TemplateRCPDenyAssume, SidDenyAssume,
		Request{Action: "sts:AssumeRoleWithWebIdentity", Resource: protected})

	// Becoming the TVM.
	tvmAdmin := admin(accountOf(tvm))
	deny("admin assumes the TVM role", TemplateProtectTVM, SidDenyAssumeTVMRole,
		Request{Principal: tvmAdmin, Action: "sts:AssumeRole", Resource: tvm})
	deny("admin passes the TVM role to a new function", TemplateProtectTVM, SidDenyPassTVMRole,
		Request{Principal: tvmAdmin, Action: "iam:PassRole", Resource: tvm,
			Context: map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}}})
	for _, a := range []string{"UpdateFunctionCode", "UpdateFunctionConfiguration", "AddPermission",
		"CreateFunctionUrlConfig", "UpdateFunctionUrlConfig", "DeleteFunction", "PutFunctionConcurrency"} {
		deny("admin calls lambda:"+a+" on the TVM function", TemplateProtectTVM, SidDenyFunctionChanges,
			Request{Principal: admin(fnAcct), Action: "lambda:" + a, Resource: fn})
	}
	deny("admin attaches a layer to the TVM function", TemplateProtectTVM, SidDenyFunctionChanges,
		Request{Principal: admin(fnAcct), Action: "lambda:UpdateFunctionConfiguration", Resource: fn,
			Context: map[string][]string{"lambda:Layer": {"arn:" + partition + ":lambda:us-east-1:" + external + ":layer:shim:1"}}})
	deny("admin repoints an alias of the TVM function", TemplateProtectTVM, SidDenyFunctionChanges,
		Request{Principal: admin(fnAcct), Action: "lambda:UpdateAlias", Resource: fn + ":live"})

	// Invoking the TVM directly: the caller writes the event, authorizer block included,
	// and so claims any identity. Only the Function URL (which Lambda marks) and the HTTP
	// API (a service principal, outside SCPs) may invoke it.
	deny("admin of the TVM account invokes the TVM directly", TemplateProtectTVM, SidDenyDirectInvoke,
		Request{Principal: admin(fnAcct), Action: "lambda:InvokeFunction", Resource: fn})
	deny("admin of the TVM account invokes an alias of the TVM directly", TemplateProtectTVM, SidDenyDirectInvoke,
		Request{Principal: admin(fnAcct), Action: "lambda:InvokeFunction", Resource: fn + ":live"})
	deny("admin of the TVM account invokes the TVM directly, InvokedViaFunctionUrl false", TemplateProtectTVM, SidDenyDirectInvoke,
		Request{Principal: admin(fnAcct), Action: "lambda:InvokeFunction", Resource: fn,
			Context: map[string][]string{"lambda:InvokedViaFunctionUrl": {"false"}}})
	deny("admin of the TVM account invokes the TVM with lambda:InvokeAsync", TemplateProtectTVM, SidDenyDirectInvoke,
		Request{Principal: admin(fnAcct), Action: "lambda:InvokeAsync", Resource: fn})
	deny("admin of another member account invokes the TVM directly", TemplateProtectTVM, SidDenyDirectInvoke,
		Request{Principal: admin(member), Action: "lambda:InvokeFunction", Resource: fn})
	deny("deployer invokes the TVM directly", TemplateProtectTVM, SidDenyDirectInvoke,
		Request{Principal: deployer, Action: "lambda:InvokeFunction", Resource: fn})
	for _, target := range []struct{ label, arn string }{{"the TVM role", tvm}, {"a protected role", protected}} {
		for _, a := range []string{"UpdateAssumeRolePolicy", "PutRolePolicy", "AttachRolePolicy", "DeleteRole", "TagRole", "UntagRole"} {
			deny("admin calls iam:"+a+" on "+target.label, TemplateProtectTVM, SidDenyRoleChanges,
				Request{Principal: admin(accountOf(target.arn)), Action: "iam:" + a, Resource: target.arn})
		}
	}
	if strings.Contains(deployer, ":role/") {
		deny("admin rewrites the deployer role's trust policy", TemplateProtectTVM, SidDenyRoleChanges,
			Request{Principal: admin(accountOf(deployer)), Action: "iam:UpdateAssumeRolePolicy", Resource: deployer})
	}
	for _, a := range []string{"PutParameter", "DeleteParameter"} {
		deny("admin calls ssm:"+a+" on the policy parameter", TemplateProtectTVM, SidDenyParameterWrites,
			Request{Principal: admin(accountOf(param)), Action: "ssm:" + a, Resource: param})
	}

	// Undoing a revocation: only the TVM writes revocation policies, and the TVM can do
	// nothing else to protected roles.
	for _, who := range []struct{ label, arn string }{
		{"a protected role's session", protected}, {"admin of the protected role's account", admin(protAcct)},
		{"admin of another member account", admin(member)}, {"deployer", deployer},
	} {
		for _, a := range []string{"CreatePolicyVersion", "SetDefaultPolicyVersion"} {
			deny(who.label+" calls iam:"+a+" on a revocation policy", TemplateDenySpoofing, SidDenyRevocationVersions,
				onRevocation(who.arn, "iam:"+a))
		}
	}
	deny("admin of the protected role's account deletes a revocation policy version", TemplateDenySpoofing, SidDenyRevocationPruning,
		onRevocation(admin(protAcct), "iam:DeletePolicyVersion"))
	for _, a := range []string{"CreatePolicy", "DeletePolicy", "TagPolicy", "UntagPolicy"} {
		deny("TVM calls iam:"+a+" on a revocation policy", TemplateDenySpoofing, SidDenyRevocationChanges,
			onRevocation(tvm, "iam:"+a))
		deny("admin of the protected role's account calls iam:"+a+" on a revocation policy", TemplateDenySpoofing, SidDenyRevocationChanges,
			onRevocation(admin(protAcct), "iam:"+a))
	}
	for _, a := range []string{"PutRolePolicy", "AttachRolePolicy", "DetachRolePolicy", "UpdateAssumeRolePolicy"} {
		deny("TVM calls iam:"+a+" on a protected role", TemplateProtectTVM, SidDenyRoleChanges,
			Request{Principal: tvm, Action: "iam:" + a, Resource: protected})
	}

	// Impersonating a vended session.
	deny("member admin sets a vend SourceIdentity on AssumeRole", TemplateDenySpoofing, SidDenySpoofing,
		Request{Principal: admin(member), Action: "sts:AssumeRole", Resource: unrelated, Context: srcID(vended)})
	deny("member admin calls sts:SetSourceIdentity with a vend value", TemplateDenySpoofing, SidDenySpoofing,
		Request{Principal: admin(member), Action: "sts:SetSourceIdentity", Resource: unrelated, Context: srcID(vended)})
	deny("principal outside the organisation sets a vend SourceIdentity", TemplateRCPDenySpoofing, SidDenySpoofing,
		Request{Principal: admin(external), Action: "sts:AssumeRole", Resource: unrelated, Context: srcID(vended)})
	deny("web identity federation sets a vend SourceIdentity", TemplateRCPDenySpoofing, SidDenySpoofing,
		Request{Action: "sts:AssumeRoleWithWebIdentity", Resource: unrelated, Context: srcID(vended)})

	// Impersonating an IAM Identity Center user. The TVM shows a session of a role named
	// AWSReservedSSO_* by its session name, the person, because an assumed-role ARN has
	// no path to tell Identity Center's roles from a lookalike whose creator chose that
	// name. Identity Center creates its roles through its service-linked role, which
	// SCPs do not govern; nobody else may create one, the deployer included.
	ssoRole := "AWSReservedSSO_Admin_0123456789abcdef"
	createRole := func(principal, acct, pathName string) Request {
		return Request{Principal: principal, Action: "iam:CreateRole", Resource: role(acct, pathName)}
	}
	deny("member admin creates a role named like an Identity Center role", TemplateDenySpoofing, SidDenyLookalikeRoles,
		createRole(admin(member), member, ssoRole))
	deny("member admin creates a role named like an Identity Center role under a custom path", TemplateDenySpoofing, SidDenyLookalikeRoles,
		createRole(admin(member), member, "custom/"+ssoRole))
	deny("member admin creates a role named like an Identity Center role under Identity Center's path", TemplateDenySpoofing, SidDenyLookalikeRoles,
		createRole(admin(member), member, "aws-reserved/sso.amazonaws.com/eu-west-1/"+ssoRole))
	deny("deployer creates a role named like an Identity Center role", TemplateDenySpoofing, SidDenyLookalikeRoles,
		createRole(deployer, accountOf(deployer), ssoRole))
	allow("member admin creates a role named MyRole", fullAWSAccessName, "",
		createRole(admin(member), member, "MyRole"))
	allow("member admin creates a role whose name only contains AWSReservedSSO_", fullAWSAccessName, "",
		createRole(admin(member), member, "xAWSReservedSSO_y"))
	allow("member admin creates a role under a custom path whose name only contains AWSReservedSSO_", fullAWSAccessName, "",
		createRole(admin(member), member, "custom/xAWSReservedSSO_y"))
	// No policy decides: SCPs skip service-linked roles and RCPs do not govern IAM.
	allow("Identity Center's service-linked role creates a permission-set role", "", "",
		createRole(role(member, "aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO"), member,
			"aws-reserved/sso.amazonaws.com/"+ssoRole))

	// Tag-gated rollout: untagged protected roles stay in audit, tagged ones are enforced.
	tagged := func(name string, want Decision, policy, sid string, req Request) {
		add(ModeTagGated, name, want, policy, sid, req)
	}
	tagged("audit: admin assumes an untagged protected role", Allow, TemplateDenyAssumeTagged, SidDenyAssumeTagged,
		Request{Principal: admin(protAcct), Action: "sts:AssumeRole", Resource: protected})
	tagged("enforce: admin assumes a tagged protected role", Deny, TemplateDenyAssumeTagged, SidDenyAssumeTagged,
		Request{Principal: admin(protAcct), Action: "sts:AssumeRole", Resource: protected, ResourceTags: tags})
	tagged("audit: principal outside the organisation assumes an untagged protected role", Allow, TemplateRCPDenyAssumeTagged, SidDenyAssumeTagged,
		Request{Principal: admin(external), Action: "sts:AssumeRole", Resource: protected})
	tagged("enforce: principal outside the organisation assumes a tagged protected role", Deny, TemplateRCPDenyAssumeTagged, SidDenyAssumeTagged,
		Request{Principal: admin(external), Action: "sts:AssumeRole", Resource: protected, ResourceTags: tags})
	tagged("enforce: web identity federation into a tagged protected role", Deny, TemplateRCPDenyAssumeTagged, SidDenyAssumeTagged,
		Request{Action: "sts:AssumeRoleWithWebIdentity", Resource: protected, ResourceTags: tags})
	tagged("TVM assumes a tagged protected role", Allow, TemplateDenyAssumeTagged, SidDenyAssumeTagged,
		Request{Principal: tvm, Action: "sts:AssumeRole", Resource: protected, ResourceTags: tags, Context: srcID(vended)})
	tagged("no tag needed: member admin creates a role named like an Identity Center role", Deny, TemplateDenySpoofing, SidDenyLookalikeRoles,
		createRole(admin(member), member, ssoRole))
	tagged("admin removes the enforcement tag from a protected role", Deny, TemplateProtectTVM, SidDenyRoleChanges,
		Request{Principal: admin(protAcct), Action: "iam:UntagRole", Resource: protected, ResourceTags: tags,
			Context: map[string][]string{"aws:TagKeys": {p.ProtectedRoleTagKey}}})
	return cs
}

// concrete turns an ARN pattern into one principal it matches.
func concrete(pattern string) string {
	return strings.NewReplacer("*", "x", "?", "x").Replace(pattern)
}

// RunMatrix evaluates the matrix against the embedded templates.
func RunMatrix(p Params) ([]CaseResult, error) {
	return RunMatrixWith(p, Templates())
}

// RunMatrixWith evaluates the matrix against the given templates, for example an edited
// copy of the embedded ones, to show that an edit opens or closes a path.
func RunMatrixWith(p Params, ts []Template) ([]CaseResult, error) {
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("invalid parameters: %w", err)
	}
	sims := map[Mode]Simulation{}
	var out []CaseResult
	for _, c := range Matrix(p) {
		sim, ok := sims[c.Mode]
		if !ok {
			var err error
			if sim, err = newSimulation(p, c.Mode, ts); err != nil {
				return nil, err
			}
			sims[c.Mode] = sim
		}
		r := sim.Evaluate(c.Request)
		pass := r.Err == nil && r.Decision == c.Want && r.DecidedBy.Policy == c.WantPolicy && r.DecidedBy.Sid == c.WantSid
		out = append(out, CaseResult{Case: c, Result: r, Pass: pass})
	}
	return out, nil
}
