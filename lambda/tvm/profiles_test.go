package tvm

import (
	"context"
	"testing"

	"github.com/vend-tvm/vend/lambda/policy"
)

// Regression: Profiles gave every profile's role ARN to any caller, including the
// profiles it was denied.
func TestProfilesHideDeniedRoleARNs(t *testing.T) {
	p, err := policy.Parse([]byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	s := newService(t, &recAssumer{}, staticSource{p: p})
	pr, err := s.Profiles(context.Background(), caller(t, "arn:aws:iam::333333333333:user/alice"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // profile → role ARN the caller may see
		"short": "arn:aws:iam::111111111111:role/short",
		"long":  "arn:aws:iam::222222222222:role/long",
		"admin": "", // denied by no-admin
	}
	if len(pr.Profiles) != len(want) {
		t.Fatalf("profiles = %+v", pr.Profiles)
	}
	for _, d := range pr.Profiles {
		if d.Profile.RoleARN != want[d.Profile.Name] || d.Decision.Profile.RoleARN != want[d.Profile.Name] {
			t.Errorf("%s (allowed %v): role ARN %q / %q, want %q", d.Profile.Name, d.Decision.Allowed,
				d.Profile.RoleARN, d.Decision.Profile.RoleARN, want[d.Profile.Name])
		}
		if d.Profile.Name == "admin" && (d.Decision.Rule != "no-admin" || d.Decision.Reason != "never") {
			t.Errorf("denied profile lost its rule and reason: %+v", d.Decision)
		}
	}
	// The policy itself is untouched: the next caller allowed admin would still get it.
	for _, prof := range p.Profiles() {
		if prof.RoleARN == "" {
			t.Errorf("policy profile %s lost its role ARN", prof.Name)
		}
	}
}
