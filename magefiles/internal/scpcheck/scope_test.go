package scpcheck

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/internal/sessionpolicy"
)

func TestScopeJobs(t *testing.T) {
	cases, jobs, err := ScopeJobs(7)
	if err != nil {
		t.Fatal(err)
	}
	proof := sessionpolicy.Proof()
	if len(cases) != len(proof.Cases) || len(jobs) != len(cases) {
		t.Fatalf("%d cases and %d jobs for %d proof cases", len(cases), len(jobs), len(proof.Cases))
	}
	for i, j := range jobs {
		if j.ID != 7+i || cases[i].Mode != ScopeMode || cases[i].Got != "" {
			t.Errorf("job %d: id %d, case %+v", i, j.ID, cases[i])
		}
		b, err := json.Marshal(j.Simulation)
		if err != nil {
			t.Fatal(err)
		}
		// The simulator must get the scope as the session policy, and the role's policy as
		// the identity policy: without the session policy it would allow all the role does.
		if !strings.Contains(string(b), `"sessionPolicy":{"Statement":[{"Action":"s3:GetObject"`) || !strings.Contains(string(b), `"identityPolicies":[{"name":"role"`) {
			t.Errorf("simulation %s lacks the session or identity policy", b)
		}
		if want := map[bool]string{true: "ALLOW", false: "DENY"}[proof.Cases[i].Allowed]; cases[i].Want != want {
			t.Errorf("case %s wants %s, the proof says %s", cases[i].Name, cases[i].Want, want)
		}
	}
}
