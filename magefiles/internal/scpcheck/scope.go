package scpcheck

import (
	"encoding/json"
	"fmt"

	"github.com/vend-tvm/vend/internal/arn"
	"github.com/vend-tvm/vend/internal/sessionpolicy"
)

// ScopeMode is the mode the scoped-session rows report under: they test a role
// session narrowed by a caller's scope, not the guardrails.
const ScopeMode = "scope"

// ScopeJobs turns sessionpolicy.Proof into cases, without vend's decision (Got: the
// caller asks vend policy scope-check), and simulations with the role's policy as the
// identity policy and the scope as the session policy; no organisation policy applies.
// IDs start at first.
func ScopeJobs(first int) ([]Case, []Job, error) {
	p := sessionpolicy.Proof()
	var role, scope any
	if err := json.Unmarshal(p.Role, &role); err != nil {
		return nil, nil, fmt.Errorf("proof role policy: %w", err)
	}
	if err := json.Unmarshal(p.Scope, &scope); err != nil {
		return nil, nil, fmt.Errorf("proof scope: %w", err)
	}
	account := arn.AccountOf(sessionpolicy.ProofRoleARN)
	session := "arn:aws:sts::" + account + ":assumed-role/data/vend-agent"
	var cases []Case
	var jobs []Job
	for _, c := range p.Cases {
		want := "DENY"
		if c.Allowed {
			want = "ALLOW"
		}
		ctx := map[string][]string{
			"aws:PrincipalArn":          {sessionpolicy.ProofRoleARN},
			"aws:PrincipalAccount":      {account},
			"aws:PrincipalIsAWSService": {"false"},
		}
		cases = append(cases, Case{Name: c.Name, Mode: ScopeMode, Want: want,
			Request: Request{Principal: sessionpolicy.ProofRoleARN, Action: c.Action, Resource: c.Resource}})
		jobs = append(jobs, Job{ID: first + len(jobs), Simulation: Simulation{
			Request: SimRequest{Principal: &session, Action: c.Action,
				Resource: SimResource{Resource: c.Resource, AccountID: account}, ContextVariables: ctx},
			IdentityPolicies:        []NamedPolicy{{Name: "role", Policy: role}},
			SessionPolicy:           scope,
			ServiceControlPolicies:  []OrgPolicies{},
			ResourceControlPolicies: []OrgPolicies{},
		}})
	}
	return cases, jobs, nil
}
