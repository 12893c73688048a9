package scpcheck

import (
	"testing"

	"github.com/vend-tvm/vend/internal/revocation"
)

// TestRevocationJobs: every proof case becomes one simulation of a role session with the
// revocation document among its identity policies, no organisation policy, and the
// session's SourceIdentity and issue time in its context.
func TestRevocationJobs(t *testing.T) {
	cases, jobs, err := RevocationJobs(7)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range revocation.Proof() {
		n += len(s.Cases)
	}
	if len(cases) != n || len(jobs) != n {
		t.Fatalf("%d cases and %d jobs for %d proof cases", len(cases), len(jobs), n)
	}
	denied := 0
	for i, j := range jobs {
		c := cases[i]
		sim := j.Simulation
		if j.ID != 7+i || c.Mode != RevocationMode || c.Got != c.Want || len(sim.IdentityPolicies) != 2 ||
			len(sim.ServiceControlPolicies) != 0 || len(sim.ResourceControlPolicies) != 0 || sim.Request.ContextVariables["aws:TokenIssueTime"] == nil {
			t.Errorf("job %d: %+v for case %+v", i, j, c)
		}
		if c.Want == "DENY" {
			denied++
			if sim.Request.ContextVariables["aws:SourceIdentity"] == nil {
				t.Errorf("a denied case without a SourceIdentity: %+v", c)
			}
		}
	}
	if denied == 0 || denied == n {
		t.Errorf("%d of %d cases denied: the proof must have both", denied, n)
	}
}
