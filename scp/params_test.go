package scp

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*Params)
		wantField string // "" means valid
		wantText  string
	}{
		{name: "example is valid", edit: func(*Params) {}},
		{name: "no protected accounts is valid", edit: func(p *Params) { p.ProtectedAccountIDs = nil }},
		{name: "no break-glass is valid", edit: func(p *Params) { p.BreakGlassARNs = nil }},
		{name: "no TVM role", edit: func(p *Params) { p.TVMRoleARNs = nil }, wantField: "tvm_role_arns"},
		{name: "assumed-role TVM", edit: func(p *Params) {
			p.TVMRoleARNs = []string{"arn:aws:sts::111111111111:assumed-role/vend-tvm/vend-tvm"}
		}, wantField: "tvm_role_arns[0]", wantText: "arn:aws:iam::111111111111:role/PATH/vend-tvm"},
		{name: "assumed-role break-glass", edit: func(p *Params) {
			p.BreakGlassARNs = []string{"arn:aws:sts::222222222222:assumed-role/BreakGlass/alice"}
		}, wantField: "break_glass_arns[0]", wantText: "assumed-role"},
		{name: "wildcard account", edit: func(p *Params) {
			p.DeployerARNs = []string{"arn:aws:iam::*:role/vend-deployer"}
		}, wantField: "deployer_arns[0]", wantText: "pinned 12-digit"},
		{name: "short account", edit: func(p *Params) {
			p.BreakGlassARNs = []string{"arn:aws:iam::12345:role/x"}
		}, wantField: "break_glass_arns[0]", wantText: "pinned"},
		{name: "wildcard TVM role", edit: func(p *Params) {
			p.TVMRoleARNs = []string{"arn:aws:iam::111111111111:role/vend-*"}
		}, wantField: "tvm_role_arns[0]", wantText: "wildcards"},
		{name: "TVM user", edit: func(p *Params) {
			p.TVMRoleARNs = []string{"arn:aws:iam::111111111111:user/vend"}
		}, wantField: "tvm_role_arns[0]", wantText: "not an IAM role"},
		{name: "deployer user allowed", edit: func(p *Params) {
			p.DeployerARNs = []string{"arn:aws:iam::111111111111:user/release"}
		}},
		{name: "not an ARN", edit: func(p *Params) { p.DeployerARNs = []string{"vend-deployer"} }, wantField: "deployer_arns[0]"},
		{name: "no deployer", edit: func(p *Params) { p.DeployerARNs = nil }, wantField: "deployer_arns"},
		{name: "path without slashes", edit: func(p *Params) { p.ProtectedRolePath = "vend" }, wantField: "protected_role_path"},
		{name: "path with wildcard", edit: func(p *Params) { p.ProtectedRolePath = "/vend*/" }, wantField: "protected_role_path"},
		{name: "empty path segment", edit: func(p *Params) { p.ProtectedRolePath = "//" }, wantField: "protected_role_path"},
		{name: "bad account id", edit: func(p *Params) { p.ProtectedAccountIDs = []string{"22222222222a"} }, wantField: "protected_account_ids[0]"},
		{name: "duplicate account id", edit: func(p *Params) {
			p.ProtectedAccountIDs = []string{"222222222222", "222222222222"}
		}, wantField: "protected_account_ids[1]"},
		{name: "prefix with colon", edit: func(p *Params) { p.SourceIdentityPrefix = "vend:" }, wantField: "source_identity_prefix"},
		{name: "qualified function", edit: func(p *Params) {
			p.TVMFunctionARN = "arn:aws:lambda:eu-west-1:111111111111:function:vend-tvm:live"
		}, wantField: "tvm_function_arn"},
		{name: "function wildcard", edit: func(p *Params) {
			p.TVMFunctionARN = "arn:aws:lambda:eu-west-1:111111111111:function:*"
		}, wantField: "tvm_function_arn"},
		{name: "parameter wildcard", edit: func(p *Params) {
			p.PolicyParameterARN = "arn:aws:ssm:eu-west-1:111111111111:parameter/vend/*"
		}, wantField: "policy_parameter_arn"},
		{name: "bad org id", edit: func(p *Params) { p.OrgID = "org-1" }, wantField: "org_id"},
		{name: "tag key with quote", edit: func(p *Params) { p.ProtectedRoleTagKey = `a"b` }, wantField: "protected_role_tag_key"},
		{name: "reserved tag key", edit: func(p *Params) { p.ProtectedRoleTagKey = "aws:x" }, wantField: "protected_role_tag_key"},
		{name: "mixed partitions", edit: func(p *Params) {
			p.DeployerARNs = []string{"arn:aws-cn:iam::111111111111:role/vend-deployer"}
		}, wantField: "partition"},
		{name: "TVM role inside the protected path", edit: func(p *Params) {
			p.TVMRoleARNs = []string{"arn:aws:iam::222222222222:role/vend/vend-tvm"}
		}, wantField: "tvm_role_arns[0]", wantText: "inside the protected roles"},
		{name: "break-glass inside the protected path", edit: func(p *Params) {
			p.BreakGlassARNs = []string{"arn:aws:iam::333333333333:role/vend/break-*"}
		}, wantField: "break_glass_arns[0]", wantText: "inside the protected roles"},
		{name: "deployer inside an unpinned protected path", edit: func(p *Params) {
			p.ProtectedAccountIDs = nil
			p.DeployerARNs = []string{"arn:aws:iam::999999999999:role/vend/deployer"}
		}, wantField: "deployer_arns[0]", wantText: "inside the protected roles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := exampleParams(t)
			tt.edit(&p)
			err := p.WithDefaults().Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want an error on %s", tt.wantField)
			}
			var found bool
			for _, e := range unwrapAll(err) {
				var pe *ParamError
				if errors.As(e, &pe) && pe.Field == tt.wantField && strings.Contains(pe.Reason, tt.wantText) {
					found = true
				}
			}
			if !found {
				t.Errorf("got %v; want a ParamError on %s mentioning %q", err, tt.wantField, tt.wantText)
			}
		})
	}
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Params{}.WithDefaults().Validate()
	fields := map[string]bool{}
	for _, e := range unwrapAll(err) {
		var pe *ParamError
		if errors.As(e, &pe) {
			fields[pe.Field] = true
		}
	}
	for _, f := range []string{"tvm_role_arns", "protected_role_path", "deployer_arns", "tvm_function_arn", "policy_parameter_arn"} {
		if !fields[f] {
			t.Errorf("no error for %s in %v", f, err)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	p := Params{}.WithDefaults()
	if p.SourceIdentityPrefix != "vend-" || p.ProtectedRoleTagKey != "vend:enforce" || p.ProtectedRoleTagValue != "true" {
		t.Errorf("defaults not applied: %+v", p)
	}
	if p.BreakGlassARNs == nil || p.ProtectedAccountIDs == nil {
		t.Error("nil lists would encode as null for Terraform")
	}
	custom := Params{SourceIdentityPrefix: "tvm."}.WithDefaults()
	if custom.SourceIdentityPrefix != "tvm." {
		t.Error("WithDefaults overwrote a set value")
	}
}

func TestParseParams(t *testing.T) {
	data, err := os.ReadFile(paramFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseParams(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.SourceIdentityPrefix != DefaultSourceIdentityPrefix {
		t.Error("defaults not applied")
	}
	tests := []struct{ name, text, want string }{
		{"misspelt name", `{"tvm_role_arn": []}`, "unknown field"},
		{"trailing", `{} {}`, "trailing"},
		{"invalid", `{}`, "tvm_role_arns"},
		{"not JSON", `tvm_role_arns = []`, "parse parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseParams([]byte(tt.text)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestSyntheticAccountsWhenAllRepeatedDigitsAreTaken(t *testing.T) {
	p := exampleParams(t)
	p.ProtectedAccountIDs = nil
	for d := '1'; d <= '9'; d++ {
		p.ProtectedAccountIDs = append(p.ProtectedAccountIDs, strings.Repeat(string(d), 12))
	}
	mgmt, member, external := syntheticAccounts(p)
	if mgmt != "000000000001" || member != "000000000002" || external != "000000000003" {
		t.Errorf("got %s %s %s", mgmt, member, external)
	}
}
