package scp

import (
	"fmt"
	"strings"
	"testing"
)

func TestMatrix(t *testing.T) {
	for _, file := range paramFiles {
		p := loadParams(t, file)
		results, err := RunMatrix(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != len(Matrix(p)) {
			t.Fatalf("%d results for %d cases", len(results), len(Matrix(p)))
		}
		for _, r := range results {
			t.Run(file+"/"+string(r.Case.Mode)+"/"+r.Case.Name, func(t *testing.T) {
				if r.Result.Err != nil {
					t.Fatal(r.Result.Err)
				}
				if !r.Pass {
					t.Errorf("got %s by %q, want %s by %s/%s\nrequest: %+v\nreason: %s",
						r.Result.Decision, r.Result.DecidedBy, r.Case.Want, r.Case.WantPolicy, r.Case.WantSid, r.Case.Request, r.Result.Reason)
				}
			})
		}
	}
}

// TestMatrixCoversTheBrief pins the rows the guardrails exist for, so that shrinking
// the matrix is as visible as weakening a template.
func TestMatrixCoversTheBrief(t *testing.T) {
	cases := Matrix(exampleParams(t))
	count := func(mode Mode, want Decision, substr string) int {
		n := 0
		for _, c := range cases {
			if c.Mode == mode && c.Want == want && strings.Contains(c.Name, substr) {
				n++
			}
		}
		return n
	}
	required := []struct {
		mode   Mode
		want   Decision
		substr string
		min    int
	}{
		{ModeEnforce, Allow, "TVM assumes a protected role", 1},
		{ModeEnforce, Allow, "break-glass", 1},
		{ModeEnforce, Allow, "deployer", 5},
		{ModeEnforce, Allow, "unrelated role", 2},
		{ModeEnforce, Deny, "admin of", 2},
		{ModeEnforce, Deny, "management-account principal", 1},
		{ModeEnforce, Deny, "outside the organisation assumes", 2},
		{ModeEnforce, Deny, "named like the TVM", 3},
		{ModeEnforce, Deny, "passes the TVM role", 1},
		{ModeEnforce, Deny, "on the TVM function", 7},
		{ModeEnforce, Deny, "layer", 1},
		{ModeEnforce, Deny, "on the TVM role", 6},
		{ModeEnforce, Deny, "on a protected role", 6},
		{ModeEnforce, Deny, "policy parameter", 2},
		{ModeEnforce, Deny, "invokes the TVM", 5},
		{ModeEnforce, Deny, "deployer invokes the TVM directly", 1},
		{ModeEnforce, Allow, "through its Function URL", 2},
		{ModeEnforce, Allow, "invokes an unrelated function", 1},
		{ModeEnforce, Deny, "vend SourceIdentity", 3},
		{ModeEnforce, Deny, "federation", 3},
		{ModeEnforce, Deny, "named like an Identity Center role", 4},
		{ModeEnforce, Allow, "only contains AWSReservedSSO_", 2},
		{ModeEnforce, Allow, "Identity Center's service-linked role", 1},
		{ModeTagGated, Deny, "named like an Identity Center role", 1},
		{ModeTagGated, Allow, "untagged", 2},
		{ModeTagGated, Deny, "a tagged", 3},
	}
	for _, r := range required {
		if got := count(r.mode, r.want, r.substr); got < r.min {
			t.Errorf("%s %s rows about %q: %d, want at least %d", r.mode, r.want, r.substr, got, r.min)
		}
	}
}

// TestWeakenedTemplatesOpenBypasses edits the embedded templates the way a hurried
// change might and checks that the matrix (and, where it can, the linter) catches each.
func TestWeakenedTemplatesOpenBypasses(t *testing.T) {
	p := exampleParams(t)
	tests := []struct {
		name      string
		template  string
		old, new  string
		wantFail  []string // case names that must flip
		wantRules []string // lint rules that must fire on the weakened document
	}{
		{
			name:     "exemption by role name instead of pinned ARN",
			template: TemplateDenyAssume,
			old: `"ArnNotLike": {
          "aws:PrincipalArn": ${jsonencode(assume_exempt_arns)}
        }`,
			new: `"StringNotLike": {
          "aws:PrincipalArn": ["arn:aws:iam::*:role/vend-tvm/vend-tvm", "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_BreakGlass_*"]
        }`,
			wantFail:  []string{"role named like the TVM in another member account assumes a protected role"},
			wantRules: []string{RuleExemptionOperator, RuleExemptionAccount},
		},
		{
			name:     "account pin removed from the RCP exemption",
			template: TemplateRCPDenyAssume,
			old:      `${jsonencode(assume_exempt_arns)}`,
			new:      `["arn:aws:iam::*:role/vend-tvm/vend-tvm"]`,
			wantFail: []string{
				"role named like the TVM outside the organisation assumes a protected role",
				"role named like the TVM in the management account assumes a protected role",
			},
			wantRules: []string{RuleExemptionAccount},
		},
		{
			name:     "federated actions dropped from the RCP",
			template: TemplateRCPDenyAssume,
			old: `"sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity"`,
			new:      `"sts:AssumeRole"`,
			wantFail: []string{"SAML federation into a protected role", "web identity federation into a protected role"},
		},
		{
			name:     "layers and configuration no longer guarded",
			template: TemplateProtectTVM,
			old:      `"lambda:Update*",`,
			new:      `"lambda:UpdateFunctionCode",`,
			wantFail: []string{"admin attaches a layer to the TVM function", "admin calls lambda:UpdateFunctionConfiguration on the TVM function"},
		},
		{
			name:     "PassRole guard removed",
			template: TemplateProtectTVM,
			old:      `"Action": ["iam:PassRole"]`,
			new:      `"Action": ["iam:PassRoles"]`,
			wantFail: []string{"admin passes the TVM role to a new function"},
			// the typo is caught by the action rule too
			wantRules: []string{RuleAction},
		},
		{
			name:     "direct invocation guard removed",
			template: TemplateProtectTVM,
			old: `{
      "Sid": "DenyDirectTVMInvocation",
      "Effect": "Deny",
      "Action": ["lambda:InvokeFunction", "lambda:InvokeAsync"],
      "Resource": ${jsonencode(tvm_function_arns)},
      "Condition": {
        "BoolIfExists": {
          "lambda:InvokedViaFunctionUrl": "false"
        }
      }
    },
`,
			new: ``,
			wantFail: []string{
				"admin of the TVM account invokes the TVM directly",
				"admin of the TVM account invokes the TVM with lambda:InvokeAsync",
				"admin of another member account invokes the TVM directly",
				"deployer invokes the TVM directly",
			},
		},
		{
			// Bool on a key the request lacks is false, so the deny would hold only for
			// requests that carry the key as false and miss the ones that carry none.
			name:     "Function URL condition without IfExists fails open",
			template: TemplateProtectTVM,
			old:      `"BoolIfExists": {`,
			new:      `"Bool": {`,
			wantFail: []string{
				"admin of the TVM account invokes the TVM directly",
				"admin of the TVM account invokes the TVM with lambda:InvokeAsync",
			},
		},
		{
			// InvokeWithResponseStream is an API operation that lambda:InvokeFunction
			// authorises, not an IAM action, so a deny on it denies nothing.
			name:      "streaming API named as the action",
			template:  TemplateProtectTVM,
			old:       `"Action": ["lambda:InvokeFunction", "lambda:InvokeAsync"]`,
			new:       `"Action": ["lambda:InvokeWithResponseStream", "lambda:InvokeAsync"]`,
			wantFail:  []string{"admin of the TVM account invokes the TVM directly", "deployer invokes the TVM directly"},
			wantRules: []string{RuleAction},
		},
		{
			name:     "deployer exempted from the direct invocation guard",
			template: TemplateProtectTVM,
			old: `"BoolIfExists": {
          "lambda:InvokedViaFunctionUrl": "false"
        }`,
			new: `"BoolIfExists": {
          "lambda:InvokedViaFunctionUrl": "false"
        },
        "ArnNotLike": {
          "aws:PrincipalArn": ${jsonencode(deployer_arns)}
        }`,
			wantFail: []string{"deployer invokes the TVM directly"},
		},
		{
			name:     "SourceIdentity exemption compared literally",
			template: TemplateDenySpoofing,
			old:      `"StringLike": {`,
			new:      `"StringEquals": {`,
			wantFail: []string{
				"member admin sets a vend SourceIdentity on AssumeRole",
				"member admin calls sts:SetSourceIdentity with a vend value",
			},
			wantRules: []string{RuleWildcardOperator},
		},
		{
			// IAM's * spans "/", so role/*/AWSReservedSSO_* is every path but "/"; without
			// it a lookalike needs only a path.
			name:     "Identity Center lookalikes denied only at the root path",
			template: TemplateDenySpoofing,
			old: `,
        "arn:${partition}:iam::*:role/*/AWSReservedSSO_*"`,
			new: ``,
			wantFail: []string{
				"member admin creates a role named like an Identity Center role under a custom path",
				"member admin creates a role named like an Identity Center role under Identity Center's path",
			},
		},
		{
			name:     "tag gate inverted",
			template: TemplateDenyAssumeTagged,
			old: `"StringEquals": {
          "aws:ResourceTag/`,
			new: `"StringNotEquals": {
          "aws:ResourceTag/`,
			wantFail: []string{"enforce: admin assumes a tagged protected role", "audit: admin assumes an untagged protected role"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := Templates()
			edited := false
			for i := range ts {
				if ts[i].Name == tt.template {
					if !strings.Contains(ts[i].Text, tt.old) {
						t.Fatalf("%s no longer contains %q; update the test", tt.template, tt.old)
					}
					ts[i].Text = strings.Replace(ts[i].Text, tt.old, tt.new, 1)
					edited = true
				}
			}
			if !edited {
				t.Fatalf("no template %s", tt.template)
			}
			results, err := RunMatrixWith(p, ts)
			if err != nil {
				t.Fatal(err)
			}
			failed := map[string]bool{}
			for _, r := range results {
				if !r.Pass {
					failed[r.Case.Name] = true
				}
			}
			for _, name := range tt.wantFail {
				if !failed[name] {
					t.Errorf("the matrix did not catch the bypass: %q still passes", name)
				}
			}
			if len(failed) == 0 {
				t.Error("the weakened template passes the whole matrix")
			}
			var weakened Document
			docs, err := RenderTemplates(ts, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				if d.Name == tt.template {
					weakened = d
				}
			}
			rules := map[string]bool{}
			for _, f := range Lint(weakened) {
				rules[f.Rule] = true
			}
			for _, r := range tt.wantRules {
				if !rules[r] {
					t.Errorf("lint rule %s did not fire; findings: %v", r, Lint(weakened))
				}
			}
		})
	}
}

func TestNewSimulation(t *testing.T) {
	p := exampleParams(t)
	if _, err := NewSimulation(p, "audit"); err == nil {
		t.Error("unknown mode accepted")
	}
	bad := p
	bad.TVMRoleARNs = nil
	if _, err := NewSimulation(bad, ModeEnforce); err == nil {
		t.Error("invalid parameters accepted")
	}
	if _, err := RunMatrix(bad); err == nil {
		t.Error("RunMatrix accepted invalid parameters")
	}
	sim, err := NewSimulation(p, ModeEnforce)
	if err != nil {
		t.Fatal(err)
	}
	for _, acct := range []string{sim.ManagementAccount, sim.MemberAccount, sim.ExternalAccount} {
		for _, used := range paramAccounts(p) {
			if acct == used {
				t.Errorf("synthetic account %s collides with a parameter account", acct)
			}
		}
	}
	if !sim.Org.Member(sim.MemberAccount) || sim.Org.Member(sim.ExternalAccount) {
		t.Error("member and external accounts misplaced")
	}
	// A single question, as `vend scp simulate --principal --action --resource` asks it.
	r := sim.Evaluate(Request{
		Principal: fmt.Sprintf("arn:aws:iam::%s:role/Admin", sim.MemberAccount),
		Action:    "sts:AssumeRole",
		Resource:  "arn:aws:iam::222222222222:role/vend/reader",
	})
	if r.Decision != Deny || r.DecidedBy.Policy != TemplateDenyAssume {
		t.Errorf("got %s by %s", r.Decision, r.DecidedBy)
	}
}

func TestSyntheticAccountsAvoidParameters(t *testing.T) {
	p := exampleParams(t)
	p.ProtectedAccountIDs = []string{"999999999999", "888888888888"}
	mgmt, member, external := syntheticAccounts(p)
	if mgmt != "777777777777" || member != "666666666666" || external != "555555555555" {
		t.Errorf("got %s %s %s", mgmt, member, external)
	}
	results, err := RunMatrix(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("%s: got %s by %s", r.Case.Name, r.Result.Decision, r.Result.DecidedBy)
		}
	}
}
