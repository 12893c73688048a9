package scpcheck

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vend-tvm/vend/internal/revocation"
)

// RevocationMode is the mode the revocation rows report under: they test a protected
// role's own policies, not the guardrails.
const RevocationMode = "revocation"

// The session the revocation rows simulate: a vended session of a protected role,
// reading an object in its own account.
const (
	proofAccount = "111111111111"
	proofSession = "arn:aws:sts::" + proofAccount + ":assumed-role/prod-admin/vend-session"
	proofAction  = "s3:GetObject"
	proofObject  = "arn:aws:s3:::vend-proof-bucket/key"
)

// RevocationJobs turns revocation.Proof into cases (with the decision vend's evaluator
// is tested to give, as Got) and simulations: the session's identity policies are
// allow-all and the revocation document, its context the SourceIdentity and the token's
// issue time, and no organisation policy applies. IDs start at first.
func RevocationJobs(first int) ([]Case, []Job, error) {
	var cases []Case
	var jobs []Job
	for _, set := range revocation.Proof() {
		var doc any
		if err := json.Unmarshal(set.Document, &doc); err != nil {
			return nil, nil, fmt.Errorf("revocation document: %w", err)
		}
		for _, c := range set.Cases {
			want := "ALLOW"
			if c.Denied {
				want = "DENY"
			}
			ctx := map[string][]string{
				"aws:PrincipalArn":          {"arn:aws:iam::" + proofAccount + ":role/vend/prod-admin"},
				"aws:PrincipalAccount":      {proofAccount},
				"aws:PrincipalIsAWSService": {"false"},
				"aws:TokenIssueTime":        {c.Issued.UTC().Format(time.RFC3339)},
			}
			if c.SourceIdentity != "" {
				ctx["aws:SourceIdentity"] = []string{c.SourceIdentity}
			}
			principal := proofSession
			cases = append(cases, Case{Name: c.Name, Mode: RevocationMode, Want: want, Got: want, Pass: true,
				Request: Request{Principal: principal, Action: proofAction, Resource: proofObject, Context: ctx}})
			jobs = append(jobs, Job{ID: first + len(jobs), Simulation: Simulation{
				Request: SimRequest{Principal: &principal, Action: proofAction,
					Resource: SimResource{Resource: proofObject, AccountID: proofAccount}, ContextVariables: ctx},
				IdentityPolicies:        []NamedPolicy{{Name: "AllowAll", Policy: allowAll}, {Name: "vend-revocation", Policy: doc}},
				ServiceControlPolicies:  []OrgPolicies{},
				ResourceControlPolicies: []OrgPolicies{},
			}})
		}
	}
	return cases, jobs, nil
}
