package scpcheck

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/internal/arn"
)

const (
	tvm      = "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm"
	admin2   = "arn:aws:iam::222222222222:role/Admin"
	prot     = "arn:aws:iam::222222222222:role/vend/vend-readonly"
	mgmtRole = "arn:aws:iam::999999999999:role/Admin"
	extRole  = "arn:aws:iam::777777777777:role/Admin"
	fnARN    = "arn:aws:lambda:eu-west-1:111111111111:function:vend-tvm"
)

func testLayout(t *testing.T) Layout {
	t.Helper()
	org := Org{ID: "o-abc", ManagementAccount: "999999999999", MemberAccount: "888888888888", ExternalAccount: "777777777777"}
	return NewLayout(org, []Case{
		{Request: Request{Principal: tvm, Resource: prot}},
		{Request: Request{Principal: mgmtRole, Resource: "arn:aws:ssm:eu-west-1:333333333333:parameter/p"}},
		{Request: Request{Principal: extRole, Resource: "*"}},
	})
}

func testDocs() []Document {
	return []Document{
		{Name: "scp-a", Kind: "SCP", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`)},
		{Name: "rcp-a", Kind: "RCP", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`)},
	}
}

func TestNewLayout(t *testing.T) {
	l := testLayout(t)
	want := []string{"111111111111", "222222222222", "333333333333", "888888888888"}
	if !reflect.DeepEqual(l.Members, want) {
		t.Errorf("Members = %v, want %v (management and external accounts excluded)", l.Members, want)
	}
}

func levels(ps []OrgPolicies) []string {
	var out []string
	for _, p := range ps {
		var names []string
		for _, n := range p.Policies {
			names = append(names, n.Name)
		}
		out = append(out, p.OrgIdentifier+"="+strings.Join(names, "+"))
	}
	return out
}

func TestBuildSimulationGuardrailScope(t *testing.T) {
	memberSCPs := []string{"r-vend=FullAWSAccess", "ou-vend-guardrails=FullAWSAccess+scp-a", "222222222222=FullAWSAccess"}
	rootRCPs := func(acct string) []string { return []string{"r-vend=rcp-a", "ou-vend-guardrails=", acct + "="} }
	tests := []struct {
		name       string
		req        Request
		wantSCPs   []string
		wantRCPs   []string
		wantTrust  any // Principal of the resource policy; nil for none
		wantNoUser bool
	}{
		{name: "member principal on member STS resource", req: Request{Principal: admin2, Action: "sts:AssumeRole", Resource: prot},
			wantSCPs: memberSCPs, wantRCPs: rootRCPs("222222222222"), wantTrust: map[string]any{"AWS": admin2}},
		{name: "management account principal: no SCPs", req: Request{Principal: mgmtRole, Action: "sts:AssumeRole", Resource: prot},
			wantRCPs: rootRCPs("222222222222"), wantTrust: map[string]any{"AWS": mgmtRole}},
		{name: "external principal: no SCPs", req: Request{Principal: extRole, Action: "sts:AssumeRole", Resource: prot},
			wantRCPs: rootRCPs("222222222222"), wantTrust: map[string]any{"AWS": extRole}},
		{name: "anonymous federation: RCPs only, trust anyone", req: Request{Action: "sts:AssumeRoleWithWebIdentity", Resource: prot},
			wantRCPs: rootRCPs("222222222222"), wantTrust: "*", wantNoUser: true},
		{name: "service principal: RCPs only", req: Request{Principal: "lambda.amazonaws.com", Action: "sts:AssumeRole", Resource: tvm},
			wantRCPs: rootRCPs("111111111111"), wantTrust: map[string]any{"Service": "lambda.amazonaws.com"}, wantNoUser: true},
		{name: "service-linked role: neither", req: Request{Principal: "arn:aws:iam::222222222222:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX", Action: "sts:AssumeRole", Resource: prot},
			wantTrust: map[string]any{"AWS": "arn:aws:iam::222222222222:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"}},
		{name: "IAM is not an RCP service; same account needs no resource policy", req: Request{Principal: admin2, Action: "iam:PutRolePolicy", Resource: prot},
			wantSCPs: memberSCPs},
		{name: "cross-account Lambda call gets a resource policy", req: Request{Principal: admin2, Action: "lambda:InvokeFunction", Resource: fnARN},
			wantSCPs: memberSCPs, wantTrust: map[string]any{"AWS": admin2}},
		{name: "management account's resources: no RCPs", req: Request{Principal: admin2, Action: "sts:AssumeRole", Resource: mgmtRole},
			wantSCPs: memberSCPs, wantTrust: map[string]any{"AWS": admin2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, err := BuildSimulation(tt.req, testDocs(), testLayout(t))
			if err != nil {
				t.Fatal(err)
			}
			if got := levels(sim.ServiceControlPolicies); !slices.Equal(got, tt.wantSCPs) {
				t.Errorf("SCP levels = %v, want %v", got, tt.wantSCPs)
			}
			if got := levels(sim.ResourceControlPolicies); !slices.Equal(got, tt.wantRCPs) {
				t.Errorf("RCP levels = %v, want %v", got, tt.wantRCPs)
			}
			var trust any
			if sim.ResourcePolicy != nil {
				st := sim.ResourcePolicy.(map[string]any)["Statement"].([]any)[0].(map[string]any)
				trust = st["Principal"]
				if st["Action"] != tt.req.Action {
					t.Errorf("resource policy grants %v, want exactly %s", st["Action"], tt.req.Action)
				}
			}
			if !reflect.DeepEqual(trust, tt.wantTrust) {
				t.Errorf("resource policy principal = %#v, want %#v", trust, tt.wantTrust)
			}
			if got := len(sim.IdentityPolicies) == 0; got != tt.wantNoUser {
				t.Errorf("no identity policy = %v, want %v", got, tt.wantNoUser)
			}
			if (sim.Request.Principal == nil) != (tt.req.Principal == "") {
				t.Errorf("principal = %v for request principal %q", sim.Request.Principal, tt.req.Principal)
			}
			// The library iterates these: they must encode as arrays, never null.
			b, _ := json.Marshal(sim)
			for _, f := range []string{`"identityPolicies":null`, `"serviceControlPolicies":null`, `"resourceControlPolicies":null`} {
				if strings.Contains(string(b), f) {
					t.Errorf("encoded simulation has %s", f)
				}
			}
		})
	}
}

func TestBuildSimulationContextKeys(t *testing.T) {
	l := testLayout(t)
	tests := []struct {
		name    string
		req     Request
		want    map[string][]string
		missing []string
	}{
		{
			name: "member role on a tagged IAM role in the organisation",
			req: Request{Principal: admin2, Action: "iam:UntagRole", Resource: prot,
				ResourceTags: map[string]string{"vend:enforce": "true"}, Context: map[string][]string{"aws:TagKeys": {"vend:enforce"}}},
			want: map[string][]string{
				"aws:PrincipalArn": {admin2}, "aws:PrincipalAccount": {"222222222222"}, "aws:PrincipalIsAWSService": {"false"},
				"aws:PrincipalOrgID": {"o-abc"}, "aws:ResourceAccount": {"222222222222"}, "aws:ResourceOrgID": {"o-abc"},
				"aws:ResourceTag/vend:enforce": {"true"}, "iam:ResourceTag/vend:enforce": {"true"}, "aws:TagKeys": {"vend:enforce"},
			},
		},
		{
			name:    "external caller has no organisation ID; non-IAM resource has no iam:ResourceTag",
			req:     Request{Principal: extRole, Action: "lambda:TagResource", Resource: fnARN, ResourceTags: map[string]string{"k": "v"}},
			want:    map[string][]string{"aws:PrincipalAccount": {"777777777777"}, "aws:ResourceTag/k": {"v"}, "aws:ResourceOrgID": {"o-abc"}},
			missing: []string{"aws:PrincipalOrgID", "iam:ResourceTag/k"},
		},
		{
			name:    "service principal",
			req:     Request{Principal: "lambda.amazonaws.com", Action: "sts:AssumeRole", Resource: tvm},
			want:    map[string][]string{"aws:PrincipalIsAWSService": {"true"}, "aws:PrincipalServiceName": {"lambda.amazonaws.com"}},
			missing: []string{"aws:PrincipalArn", "aws:PrincipalAccount"},
		},
		{
			name: "request context wins over derived keys",
			req:  Request{Principal: admin2, Action: "sts:AssumeRole", Resource: prot, Context: map[string][]string{"aws:PrincipalOrgID": {"o-other"}, "sts:SourceIdentity": {"vend-a"}}},
			want: map[string][]string{"aws:PrincipalOrgID": {"o-other"}, "sts:SourceIdentity": {"vend-a"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, err := BuildSimulation(tt.req, testDocs(), l)
			if err != nil {
				t.Fatal(err)
			}
			ctx := sim.Request.ContextVariables
			for k, v := range tt.want {
				if !slices.Equal(ctx[k], v) {
					t.Errorf("%s = %v, want %v", k, ctx[k], v)
				}
			}
			for _, k := range tt.missing {
				if _, ok := ctx[k]; ok {
					t.Errorf("%s set to %v, want it absent", k, ctx[k])
				}
			}
			if sim.Request.Resource.AccountID != arn.AccountOf(tt.req.Resource) {
				t.Errorf("resource account = %q", sim.Request.Resource.AccountID)
			}
		})
	}
}

func TestBuildSimulationErrors(t *testing.T) {
	l := testLayout(t)
	tests := []struct {
		name    string
		req     Request
		docs    []Document
		wantErr string
	}{
		{"action without service", Request{Principal: admin2, Action: "AssumeRole", Resource: prot}, testDocs(), "want SERVICE:Name"},
		{"empty resource", Request{Principal: admin2, Action: "sts:AssumeRole"}, testDocs(), "empty resource"},
		{"bad principal", Request{Principal: "alice", Action: "sts:AssumeRole", Resource: prot}, testDocs(), "principal"},
		{"principal without account", Request{Principal: "arn:aws:iam:::role/x", Action: "sts:AssumeRole", Resource: prot}, testDocs(), "no account ID"},
		{"unknown document kind", Request{Principal: admin2, Action: "sts:AssumeRole", Resource: prot},
			[]Document{{Name: "x", Kind: "TAG", Document: json.RawMessage(`{}`)}}, `unknown kind "TAG"`},
		{"broken document", Request{Principal: admin2, Action: "sts:AssumeRole", Resource: prot},
			[]Document{{Name: "x", Kind: "SCP", Document: json.RawMessage(`{`)}}, "document x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildSimulation(tt.req, tt.docs, l)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestBuildJobs(t *testing.T) {
	l := testLayout(t)
	cases := []Case{
		{Name: "a", Mode: "enforce", Request: Request{Principal: admin2, Action: "sts:AssumeRole", Resource: prot}},
		{Name: "b", Mode: "tag-gated", Request: Request{Principal: admin2, Action: "sts:AssumeRole", Resource: prot}},
	}
	tagged := []Document{{Name: "scp-tagged", Kind: "SCP", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`)}}
	jobs, err := BuildJobs(cases, map[string][]Document{"enforce": testDocs(), "tag-gated": tagged}, l)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].ID != 0 || jobs[1].ID != 1 {
		t.Fatalf("jobs = %+v", jobs)
	}
	// Each case gets the documents rendered for its own mode.
	if got := levels(jobs[1].Simulation.ServiceControlPolicies)[1]; got != "ou-vend-guardrails=FullAWSAccess+scp-tagged" {
		t.Errorf("tag-gated OU level = %q", got)
	}
	if _, err := BuildJobs(cases, map[string][]Document{"enforce": testDocs()}, l); err == nil || !strings.Contains(err.Error(), `mode "tag-gated"`) {
		t.Errorf("missing mode: err = %v", err)
	}
}
