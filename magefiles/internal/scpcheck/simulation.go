package scpcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vend-tvm/vend/internal/arn"
)

// Request is a matrix row's request as `vend scp simulate -o json` prints it.
type Request struct {
	Principal    string              `json:"principal,omitempty"`
	Action       string              `json:"action"`
	Resource     string              `json:"resource"`
	ResourceTags map[string]string   `json:"resource_tags,omitempty"`
	Context      map[string][]string `json:"context,omitempty"`
}

// Case is one row of the matrix with vend's decision (Got) and the expected one (Want).
type Case struct {
	Name    string  `json:"case"`
	Mode    string  `json:"mode"`
	Request Request `json:"request"`
	Want    string  `json:"want"`
	Got     string  `json:"got"`
	Pass    bool    `json:"pass"`
}

// Document is one rendered SCP or RCP as `vend scp render -o json` prints it.
type Document struct {
	Name     string          `json:"name"`
	Kind     string          `json:"kind"` // SCP or RCP
	Document json.RawMessage `json:"document"`
}

// Org is the simulated organisation: the accounts vend's simulation invents, as a
// single `vend scp simulate --principal ... -o json` answer names them under
// "organisation". Every other account the matrix names is a member account in the
// guardrail OU, because that is where the simulation puts the accounts the parameters
// name.
type Org struct {
	ID                string `json:"id"`
	ManagementAccount string `json:"management_account"`
	MemberAccount     string `json:"member_account"`
	ExternalAccount   string `json:"external_account"`
}

// Names of the simulated levels, as vend's simulation names them, so both tools
// report the same targets.
const (
	rootID = "r-vend"
	ouID   = "ou-vend-guardrails"
)

// rcpServices are the services whose resources RCPs govern (AWS Organizations user
// guide, "Resource control policies", list of supported services).
var rcpServices = []string{"s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss", "cognito-identity", "logs", "dynamodb"}

// Job is one simulation for the node script, keyed by the index of its case.
type Job struct {
	ID         int        `json:"id"`
	Simulation Simulation `json:"simulation"`
}

// Simulation is iam-simulate's input (its `Simulation` interface).
type Simulation struct {
	Request          SimRequest    `json:"request"`
	IdentityPolicies []NamedPolicy `json:"identityPolicies"`
	// SessionPolicy is a role session's session policy, nil for none.
	SessionPolicy           any           `json:"sessionPolicy,omitempty"`
	ServiceControlPolicies  []OrgPolicies `json:"serviceControlPolicies"`
	ResourceControlPolicies []OrgPolicies `json:"resourceControlPolicies"`
	ResourcePolicy          any           `json:"resourcePolicy,omitempty"`
}

// SimRequest is the request part of a Simulation. A nil Principal stands for an
// unauthenticated caller; the node script swaps in the library's anonymous marker.
type SimRequest struct {
	Principal        *string             `json:"principal"`
	Action           string              `json:"action"`
	Resource         SimResource         `json:"resource"`
	ContextVariables map[string][]string `json:"contextVariables"`
}

// SimResource is the resource acted on and the account that owns it.
type SimResource struct {
	Resource  string `json:"resource"`
	AccountID string `json:"accountId"`
}

// NamedPolicy is a policy document with a name.
type NamedPolicy struct {
	Name   string `json:"name"`
	Policy any    `json:"policy"`
}

// OrgPolicies are the policies attached at one level: root, OU or account.
type OrgPolicies struct {
	OrgIdentifier string        `json:"orgIdentifier"`
	Policies      []NamedPolicy `json:"policies"`
}

var allowAll = map[string]any{
	"Version":   "2012-10-17",
	"Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}},
}

// fullAWSAccess is the AWS-managed SCP attached at every level by default. iam-simulate
// adds RCPFullAWSAccess itself but not this one.
var fullAWSAccess = NamedPolicy{Name: "FullAWSAccess", Policy: allowAll}

// Layout is the organisation as the cross-check models it.
type Layout struct {
	Org     Org
	Members []string // member accounts in the guardrail OU
}

// NewLayout puts every account the cases name, other than the management and the
// external account, in the guardrail OU with vend's other member account.
func NewLayout(org Org, cases []Case) Layout {
	l := Layout{Org: org}
	add := func(acct string) {
		if arn.ValidAccountID(acct) && acct != org.ManagementAccount && acct != org.ExternalAccount && !slices.Contains(l.Members, acct) {
			l.Members = append(l.Members, acct)
		}
	}
	add(org.MemberAccount)
	for _, c := range cases {
		add(arn.AccountOf(c.Request.Principal))
		add(arn.AccountOf(c.Request.Resource))
	}
	slices.Sort(l.Members)
	return l
}

func (l Layout) inOrg(acct string) bool {
	return acct != "" && (acct == l.Org.ManagementAccount || slices.Contains(l.Members, acct))
}

// BuildJobs turns each case into a simulation, with the documents rendered for its mode.
func BuildJobs(cases []Case, docs map[string][]Document, l Layout) ([]Job, error) {
	jobs := make([]Job, 0, len(cases))
	for i, c := range cases {
		ds, ok := docs[c.Mode]
		if !ok {
			return nil, fmt.Errorf("case %q: no documents rendered for mode %q", c.Name, c.Mode)
		}
		sim, err := BuildSimulation(c.Request, ds, l)
		if err != nil {
			return nil, fmt.Errorf("case %q: %w", c.Name, err)
		}
		jobs = append(jobs, Job{ID: i, Simulation: sim})
	}
	return jobs, nil
}

// BuildSimulation models one request: who is calling, which context keys AWS would
// set, which guardrails apply at which level, and the identity and resource policies
// that grant the call so that only the guardrails can refuse it.
func BuildSimulation(req Request, docs []Document, l Layout) (Simulation, error) {
	svc, _, ok := strings.Cut(req.Action, ":")
	if !ok || svc == "" {
		return Simulation{}, fmt.Errorf("action %q: want SERVICE:Name", req.Action)
	}
	if req.Resource == "" {
		return Simulation{}, errors.New("empty resource")
	}
	var scps, rcps []NamedPolicy
	for _, d := range docs {
		var doc any
		if err := json.Unmarshal(d.Document, &doc); err != nil {
			return Simulation{}, fmt.Errorf("document %s: %w", d.Name, err)
		}
		switch d.Kind {
		case "SCP":
			scps = append(scps, NamedPolicy{Name: d.Name, Policy: doc})
		case "RCP":
			rcps = append(rcps, NamedPolicy{Name: d.Name, Policy: doc})
		default:
			return Simulation{}, fmt.Errorf("document %s: unknown kind %q", d.Name, d.Kind)
		}
	}

	ctx := map[string][]string{}
	set := func(k string, v ...string) { ctx[k] = v }
	resAcct := arn.AccountOf(req.Resource)
	principalAcct := ""
	sim := Simulation{
		Request: SimRequest{Action: req.Action, Resource: SimResource{Resource: req.Resource, AccountID: resAcct}},
		// Arrays, not null: the library iterates them.
		IdentityPolicies:        []NamedPolicy{},
		ServiceControlPolicies:  []OrgPolicies{},
		ResourceControlPolicies: []OrgPolicies{},
	}
	var trusted any // the Principal element of the granting resource policy
	switch p := req.Principal; {
	case p == "":
		trusted = "*"
	case !strings.HasPrefix(p, "arn:"):
		if !strings.HasSuffix(p, ".amazonaws.com") {
			return Simulation{}, fmt.Errorf("principal %q: want an IAM ARN, a service principal or empty", p)
		}
		sim.Request.Principal = &p
		set("aws:PrincipalIsAWSService", "true")
		set("aws:PrincipalServiceName", p)
		trusted = map[string]any{"Service": p}
	default:
		principalAcct = arn.AccountOf(p)
		if !arn.ValidAccountID(principalAcct) {
			return Simulation{}, fmt.Errorf("principal %q: no account ID", p)
		}
		sim.Request.Principal = &p
		sim.IdentityPolicies = []NamedPolicy{{Name: "AllowAll", Policy: allowAll}}
		set("aws:PrincipalArn", p)
		set("aws:PrincipalAccount", principalAcct)
		set("aws:PrincipalIsAWSService", "false")
		if l.inOrg(principalAcct) && l.Org.ID != "" {
			set("aws:PrincipalOrgID", l.Org.ID)
		}
		trusted = map[string]any{"AWS": p}
	}

	isIAMResource := strings.HasPrefix(req.Resource, "arn:") && strings.Split(req.Resource, ":")[2] == "iam"
	if arn.ValidAccountID(resAcct) {
		set("aws:ResourceAccount", resAcct)
		if l.inOrg(resAcct) && l.Org.ID != "" {
			set("aws:ResourceOrgID", l.Org.ID)
		}
	}
	for k, v := range req.ResourceTags {
		set("aws:ResourceTag/"+k, v)
		if isIAMResource {
			set("iam:ResourceTag/"+k, v)
		}
	}
	for k, v := range req.Context {
		set(k, v...)
	}
	sim.Request.ContextVariables = ctx

	// Role trust policies are resource policies that STS always consults; other calls
	// need one only when they cross accounts or come from a caller without identity
	// policies. Either way it grants exactly this call.
	crossAccount := principalAcct == "" || principalAcct != resAcct
	if svc == "sts" {
		sim.ResourcePolicy = map[string]any{"Version": "2012-10-17", "Statement": []any{
			map[string]any{"Effect": "Allow", "Principal": trusted, "Action": req.Action},
		}}
	} else if crossAccount {
		sim.ResourcePolicy = map[string]any{"Version": "2012-10-17", "Statement": []any{
			map[string]any{"Effect": "Allow", "Principal": trusted, "Action": req.Action, "Resource": req.Resource},
		}}
	}

	principalSLR := strings.Contains(req.Principal, ":role/aws-service-role/")
	resourceSLR := isIAMResource && strings.Contains(req.Resource, ":role/aws-service-role/")
	// SCPs bind IAM principals of member accounts, except the management account and
	// service-linked roles. vend attaches its SCPs to the guardrail OU; FullAWSAccess
	// stays attached at every level.
	if principalAcct != "" && slices.Contains(l.Members, principalAcct) && !principalSLR {
		sim.ServiceControlPolicies = []OrgPolicies{
			{OrgIdentifier: rootID, Policies: []NamedPolicy{fullAWSAccess}},
			{OrgIdentifier: ouID, Policies: append([]NamedPolicy{fullAWSAccess}, scps...)},
			{OrgIdentifier: principalAcct, Policies: []NamedPolicy{fullAWSAccess}},
		}
	}
	// RCPs bind resources of member accounts for the services that support them,
	// whoever calls, except the management account's resources and service-linked
	// roles. vend attaches its RCPs to the root.
	if slices.Contains(rcpServices, strings.ToLower(svc)) && slices.Contains(l.Members, resAcct) && !principalSLR && !resourceSLR {
		sim.ResourceControlPolicies = []OrgPolicies{
			{OrgIdentifier: rootID, Policies: rcps},
			{OrgIdentifier: ouID, Policies: []NamedPolicy{}},
			{OrgIdentifier: resAcct, Policies: []NamedPolicy{}},
		}
	}
	return sim, nil
}
