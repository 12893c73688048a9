package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

func TestProfilesAndWhoami(t *testing.T) {
	hs := newHarness(t, policystore.Static(mustPolicy(t, testPolicy), nil))
	ev := loadEvent(t, "function-url-event.json")
	ev.RawPath, ev.RawQueryString = wire.PathProfiles, ""
	r := invoke(t, hs.h, marshal(t, ev))
	assertResponse(t, r, 200, "")
	ps, got := decodeProfiles(t, r)
	if len(got) != 2 || !got["prod-readonly"].Allowed || got["prod-readonly"].MaxDurationSeconds != 1800 ||
		got["prod-admin"].Allowed || got["prod-admin"].Rule != "no-admin" || got["prod-admin"].MaxDurationSeconds != 3600 {
		t.Errorf("profiles = %+v", ps.Profiles)
	}
	if ps.Caller.PrincipalType != "identity-center" || ps.Caller.Name != "jane.doe@example.com (Identity Center, account 111122223333)" || ps.PolicyHash == "" {
		t.Errorf("caller = %+v", ps.Caller)
	}
	decisionLine(t, hs.logs.String())

	hs.logs.Reset()
	ev.RawPath = wire.PathWhoami
	r = invoke(t, hs.h, marshal(t, ev))
	assertResponse(t, r, 200, "")
	var w wire.Whoami
	if err := json.Unmarshal([]byte(r.Body), &w); err != nil {
		t.Fatal(err)
	}
	if w.Caller.ARN != ev.RequestContext.Authorizer.IAM.UserARN || !strings.HasPrefix(w.SourceIdentity, "vend-jane.doe@example.com.111122223333-") ||
		w.PolicyVersion != 1 || w.TVMVersion != "test-1.2.3" || w.TVMCommit != "abc123def456" || w.TVMBuildDate != "2026-11-01T00:00:00Z" || w.RequestID == "" {
		t.Errorf("whoami = %+v", w)
	}
	line := decisionLine(t, hs.logs.String())
	if line["decision"] != "allow" || line["path"] != wire.PathWhoami {
		t.Errorf("decision line = %v", line)
	}
}

// Regression: /v1/profiles told every caller the role ARN of every profile, including
// those it was denied.
func TestProfilesHideDeniedRoleARNs(t *testing.T) {
	const (
		allowedARN = "arn:aws:iam::111111111111:role/vend/prod-readonly"
		deniedARN  = "arn:aws:iam::111111111111:role/vend/prod-admin"
	)
	hs := newHarness(t, policystore.Static(mustPolicy(t, testPolicy), nil))
	ev := loadEvent(t, "function-url-event.json") // an Identity Center engineer
	ev.RawPath, ev.RawQueryString = wire.PathProfiles, ""
	out, err := hs.h.Invoke(context.Background(), marshal(t, ev))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte(deniedARN)) || bytes.Contains(out, []byte("role/vend/prod-admin")) {
		t.Errorf("the response names the role of a denied profile: %s", out)
	}
	var r response
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	assertResponse(t, r, 200, "")
	_, got := decodeProfiles(t, r)
	if a := got["prod-readonly"]; !a.Allowed || a.RoleARN != allowedARN {
		t.Errorf("allowed profile = %+v, want its role ARN", a)
	}
	if d := got["prod-admin"]; d.Allowed || d.RoleARN != "" || d.Rule != "no-admin" || d.Reason != "Admin is break-glass only" {
		t.Errorf("denied profile = %+v, want name, rule and reason without the role ARN", d)
	}
	if strings.Contains(r.Body, `"role_arn":""`) {
		t.Errorf("an empty role_arn is sent instead of left out: %s", r.Body)
	}
}

// leakyService is a core that hands out every role ARN, as the core once did.
type leakyService struct{ panicService }

func (leakyService) Profiles(context.Context, identity.Caller) (tvm.ProfilesResult, error) {
	return tvm.ProfilesResult{PolicyHash: "h", Profiles: []tvm.ProfileDecision{{
		Profile:  policy.Profile{Name: "b", RoleARN: "arn:aws:iam::111111111111:role/denied-b"},
		Decision: policy.Decision{Rule: "r", Reason: "no"},
	}}}, nil
}

func TestProfilesEdgeWithholdsDeniedRoleARN(t *testing.T) {
	h := New(leakyService{}, WithLogger(slog.New(slog.DiscardHandler)))
	ev := loadEvent(t, "function-url-event.json")
	ev.RawPath, ev.RawQueryString = wire.PathProfiles, ""
	out, err := h.Invoke(context.Background(), marshal(t, ev))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("denied-b")) {
		t.Errorf("the edge passed on the role ARN of a denied profile: %s", out)
	}
}

// decodeProfiles reads a /v1/profiles answer and indexes its profiles by name.
func decodeProfiles(t *testing.T, r response) (wire.Profiles, map[string]wire.ProfileStatus) {
	t.Helper()
	var ps wire.Profiles
	if err := json.Unmarshal([]byte(r.Body), &ps); err != nil {
		t.Fatal(err)
	}
	got := map[string]wire.ProfileStatus{}
	for _, p := range ps.Profiles {
		got[p.Name] = p
	}
	return ps, got
}
