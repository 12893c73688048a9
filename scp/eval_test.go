package scp

import (
	"errors"
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"vend-*", "vend-alice", true},
		{"vend-*", "vend-", true},
		{"vend-*", "xvend-alice", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*a*b*", "xxaxxbxx", true},
		{"*a*b", "xxaxxbx", false},
		{"é?", "éé", true},
		{"Vend-*", "vend-x", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestArnLike(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"arn:aws:iam::111111111111:role/vend-tvm", "arn:aws:iam::111111111111:role/vend-tvm", true},
		{"arn:aws:iam::111111111111:role/vend-tvm", "arn:aws:iam::222222222222:role/vend-tvm", false},
		{"arn:aws:iam::*:role/vend-tvm", "arn:aws:iam::222222222222:role/vend-tvm", true},
		{"arn:aws:iam::111111111111:role/*", "arn:aws:iam::111111111111:role/a/b/c", true},
		// A star stays inside its component: it cannot swallow the account.
		{"arn:aws:iam:*:role/x", "arn:aws:iam::111111111111:role/x", false},
		{"arn:aws:lambda:*:111111111111:function:f:*", "arn:aws:lambda:eu-west-1:111111111111:function:f:live", true},
		{"arn:aws:iam::111111111111:role/x", "not-an-arn", false},
		{"arn:aws:iam::111111111111:role/X", "arn:aws:iam::111111111111:role/x", false},
	}
	for _, tt := range tests {
		if got := arnLike(tt.pattern, tt.value); got != tt.want {
			t.Errorf("arnLike(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestEvalClause(t *testing.T) {
	ctx := map[string][]string{
		"aws:principalarn":    {"arn:aws:iam::111111111111:role/vend-tvm"},
		"sts:sourceidentity":  {"vend-alice"},
		"aws:tagkeys":         {"team", "vend:enforce"},
		"aws:securetransport": {"true"},
		"sts:durationseconds": {"3600"},
		"aws:requesttag/team": {"Platform"},
	}
	tests := []struct {
		op, key string
		values  []string
		want    bool
	}{
		// Present single-valued keys.
		{"StringEquals", "sts:SourceIdentity", []string{"vend-alice"}, true},
		{"StringEquals", "STS:SourceIdentity", []string{"vend-alice"}, true}, // key names are case-insensitive
		{"StringEquals", "sts:SourceIdentity", []string{"VEND-ALICE"}, false},
		{"StringEqualsIgnoreCase", "sts:SourceIdentity", []string{"VEND-ALICE"}, true},
		{"StringNotEqualsIgnoreCase", "sts:SourceIdentity", []string{"VEND-ALICE"}, false},
		{"StringEquals", "sts:SourceIdentity", []string{"vend-*"}, false}, // no wildcards in Equals
		{"StringLike", "sts:SourceIdentity", []string{"bob", "vend-*"}, true},
		{"StringNotLike", "sts:SourceIdentity", []string{"vend-*"}, false},
		{"StringNotLike", "sts:SourceIdentity", []string{"bob", "x-*"}, true},
		{"StringNotEquals", "sts:SourceIdentity", []string{"vend-alice", "x"}, false},
		{"ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::111111111111:role/vend-*"}, true},
		{"ArnEquals", "aws:PrincipalArn", []string{"arn:aws:iam::111111111111:role/vend-*"}, true}, // ArnEquals matches wildcards too
		{"ArnNotLike", "aws:PrincipalArn", []string{"arn:aws:iam::111111111111:role/vend-tvm"}, false},
		{"ArnNotLike", "aws:PrincipalArn", []string{"arn:aws:iam::222222222222:role/vend-tvm"}, true},
		{"ArnNotEquals", "aws:PrincipalArn", []string{"arn:aws:iam::111111111111:role/vend-tvm"}, false},
		{"Bool", "aws:SecureTransport", []string{"true"}, true},
		{"Bool", "aws:SecureTransport", []string{"false"}, false},
		{"NumericLessThanEquals", "sts:DurationSeconds", []string{"3600"}, true},
		{"NumericLessThan", "sts:DurationSeconds", []string{"3600"}, false},
		{"NumericGreaterThan", "sts:DurationSeconds", []string{"900"}, true},
		{"NumericNotEquals", "sts:DurationSeconds", []string{"3600"}, false},
		// Missing keys: positive operators fail, negated ones match, IfExists matches.
		{"StringEquals", "aws:SourceIdentity", []string{"x"}, false},
		{"StringLike", "aws:SourceIdentity", []string{"*"}, false},
		{"StringNotEquals", "aws:SourceIdentity", []string{"x"}, true},
		{"StringNotLike", "aws:SourceIdentity", []string{"vend-*"}, true},
		{"ArnNotLike", "aws:SourceArn", []string{"arn:aws:iam::111111111111:role/x"}, true},
		{"ArnLike", "aws:SourceArn", []string{"*"}, false},
		{"StringEqualsIfExists", "aws:SourceIdentity", []string{"x"}, true},
		{"StringNotEqualsIfExists", "aws:SourceIdentity", []string{"x"}, true},
		{"BoolIfExists", "aws:PrincipalIsAWSService", []string{"false"}, true},
		{"StringEqualsIfExists", "sts:SourceIdentity", []string{"x"}, false}, // present: IfExists is a no-op
		// Null.
		{"Null", "aws:SourceIdentity", []string{"true"}, true},
		{"Null", "aws:SourceIdentity", []string{"false"}, false},
		{"Null", "sts:SourceIdentity", []string{"true"}, false},
		{"Null", "sts:SourceIdentity", []string{"false"}, true},
		// Set operators on a multivalued key.
		{"ForAnyValue:StringEquals", "aws:TagKeys", []string{"vend:enforce"}, true},
		{"ForAnyValue:StringEquals", "aws:TagKeys", []string{"other"}, false},
		{"ForAllValues:StringEquals", "aws:TagKeys", []string{"team", "vend:enforce", "x"}, true},
		{"ForAllValues:StringEquals", "aws:TagKeys", []string{"team"}, false},
		{"ForAnyValue:StringNotEquals", "aws:TagKeys", []string{"team"}, true},
		{"ForAllValues:StringNotEquals", "aws:TagKeys", []string{"vend:enforce"}, false},
		{"ForAllValues:StringNotLike", "aws:TagKeys", []string{"vend:*"}, false},
		{"ForAllValues:StringLike", "aws:TagKeys", []string{"*"}, true},
		// Set operators on a missing key: ForAllValues holds vacuously, ForAnyValue fails.
		{"ForAllValues:StringEquals", "aws:RequestTag/none", []string{"x"}, true},
		{"ForAnyValue:StringEquals", "aws:RequestTag/none", []string{"x"}, false},
		{"ForAnyValue:StringNotEquals", "aws:RequestTag/none", []string{"x"}, false},
		{"ForAnyValue:StringEqualsIfExists", "aws:RequestTag/none", []string{"x"}, true},
		// A multivalued key without a qualifier: positive needs one match, negated none.
		{"StringEquals", "aws:TagKeys", []string{"team"}, true},
		{"StringNotEquals", "aws:TagKeys", []string{"team"}, false},
		{"StringEquals", "aws:RequestTag/Team", []string{"Platform"}, true},
	}
	for _, tt := range tests {
		name := tt.op + " " + tt.key + " " + strings.Join(tt.values, ",")
		t.Run(name, func(t *testing.T) {
			got, err := evalClause(Clause{Operator: tt.op, Key: tt.key, Values: tt.values}, ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEvalClauseOptionalBoolKey pins how a Deny can test a Bool key that only some
// requests carry, such as lambda:InvokedViaFunctionUrl (present on the InvokeFunction
// check of a Function URL request, absent on a direct Invoke): the clause must hold, and
// so deny, whenever the key is not present and true.
func TestEvalClauseOptionalBoolKey(t *testing.T) {
	const key = "lambda:InvokedViaFunctionUrl"
	contexts := []struct {
		name string
		keys map[string][]string
	}{
		{"absent", nil},
		{"true", map[string][]string{"lambda:invokedviafunctionurl": {"true"}}},
		{"TRUE", map[string][]string{"lambda:invokedviafunctionurl": {"TRUE"}}},
		{"false", map[string][]string{"lambda:invokedviafunctionurl": {"false"}}},
	}
	tests := []struct {
		op, value string
		// want is the clause's value in the contexts above, in order.
		want [4]bool
	}{
		// What the template uses: fails closed.
		{"BoolIfExists", "false", [4]bool{true, false, false, true}},
		// Bool alone is false on a missing key: a Deny with it fails open.
		{"Bool", "false", [4]bool{false, false, false, true}},
		{"Bool", "true", [4]bool{false, true, true, false}},
		{"BoolIfExists", "true", [4]bool{true, true, true, false}},
		{"Null", "true", [4]bool{true, false, false, false}},
	}
	for _, tt := range tests {
		for i, c := range contexts {
			t.Run(tt.op+" "+tt.value+"/"+c.name, func(t *testing.T) {
				got, err := evalClause(Clause{Operator: tt.op, Key: key, Values: []string{tt.value}}, c.keys)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want[i] {
					t.Errorf("got %v, want %v", got, tt.want[i])
				}
			})
		}
	}
}

func TestEvalClauseUnsupported(t *testing.T) {
	for _, op := range []string{"IpAddress", "BinaryEquals", "NullIfExists", "ForAnyValue:Null", "ForSomeValues:StringEquals", "stringequals"} {
		_, err := evalClause(Clause{Operator: op, Key: "k", Values: []string{"v"}}, nil)
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", op, err)
		}
	}
}

// testOrg is root r → ou-a → ou-b → 222222222222, with 333333333333 directly under the
// root and 999999999999 as the management account.
func testOrg(t *testing.T, scps map[string][]string, rcps map[string][]string) OrgContext {
	t.Helper()
	org := NewOrg("o-testorg123", "r", "999999999999")
	org.AddOU("ou-a", "r")
	org.AddOU("ou-b", "ou-a")
	org.AddAccount("222222222222", "ou-b")
	org.AddAccount("333333333333", "r")
	parse := func(kind Kind, target, text string, i int) Document {
		d, err := ParseDocument(target+"-"+string(kind)+"-"+string(rune('a'+i)), kind, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for target, texts := range scps {
		for i, text := range texts {
			org.AttachSCP(target, parse(KindSCP, target, text, i))
		}
	}
	for target, texts := range rcps {
		for i, text := range texts {
			org.AttachRCP(target, parse(KindRCP, target, text, i))
		}
	}
	return org
}

const (
	denyAssumeSCP = `{"Version":"2012-10-17","Statement":[{"Sid":"D","Effect":"Deny","Action":"sts:AssumeRole",
		"Resource":"arn:aws:iam::*:role/vend/*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/tvm"}}}]}`
	denyAssumeRCP = `{"Version":"2012-10-17","Statement":[{"Sid":"R","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole*",
		"Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/tvm"}}}]}`
	allowOnlyS3      = `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	denyDirectInvoke = `{"Version":"2012-10-17","Statement":[{"Sid":"I","Effect":"Deny","Action":["lambda:InvokeFunction","lambda:InvokeAsync"],
		"Resource":["arn:aws:lambda:eu-west-1:222222222222:function:tvm","arn:aws:lambda:eu-west-1:222222222222:function:tvm:*"],
		"Condition":{"BoolIfExists":{"lambda:InvokedViaFunctionUrl":false}}}]}`
	notActionDeny = `{"Version":"2012-10-17","Statement":[{"Sid":"N","Effect":"Deny","NotAction":["sts:*","iam:Get*"],"NotResource":"arn:aws:s3:::public/*"}]}`
)

func TestEvaluateOrganizationRules(t *testing.T) {
	protected := "arn:aws:iam::222222222222:role/vend/reader"
	mgmtProtected := "arn:aws:iam::999999999999:role/vend/reader"
	tests := []struct {
		name       string
		scps, rcps map[string][]string
		detach     []string
		req        Request
		want       Decision
		wantBy     string
		wantReason string
	}{
		{name: "no guardrails: FullAWSAccess allows", req: Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "sts:AssumeRole", Resource: protected},
			want: Allow, wantBy: "FullAWSAccess[0]"},
		{name: "SCP at a nested OU denies", scps: map[string][]string{"ou-b": {denyAssumeSCP}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "sts:AssumeRole", Resource: protected},
			want: Deny, wantBy: "ou-b-SCP-a/D"},
		{name: "SCP exemption by pinned ARN", scps: map[string][]string{"r": {denyAssumeSCP}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/tvm", Action: "sts:AssumeRole", Resource: protected},
			want: Allow, wantBy: "r-SCP-a/D"},
		{name: "SCP does not reach an account outside its OU", scps: map[string][]string{"ou-b": {denyAssumeSCP}},
			req:  Request{Principal: "arn:aws:iam::333333333333:role/admin", Action: "sts:AssumeRole", Resource: protected},
			want: Allow, wantBy: "FullAWSAccess[0]"},
		{name: "SCP does not apply to the management account", scps: map[string][]string{"r": {denyAssumeSCP}},
			req:  Request{Principal: "arn:aws:iam::999999999999:role/admin", Action: "sts:AssumeRole", Resource: protected},
			want: Allow, wantReason: "management account"},
		{name: "SCP does not apply to service-linked roles", scps: map[string][]string{"r": {denyAssumeSCP}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/aws-service-role/ops.amazonaws.com/AWSServiceRoleForOps", Action: "sts:AssumeRole", Resource: protected},
			want: Allow, wantReason: "service-linked"},
		{name: "SCP applies to a member account's root user", scps: map[string][]string{"r": {denyAssumeSCP}},
			req:  Request{Principal: "arn:aws:iam::222222222222:root", Action: "sts:AssumeRole", Resource: protected},
			want: Deny, wantBy: "r-SCP-a/D"},
		{name: "detached FullAWSAccess at an OU is an implicit deny", detach: []string{"ou-a"},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "sts:GetCallerIdentity", Resource: "*"},
			want: Deny, wantReason: "no SCP attached to ou-a allows"},
		{name: "every level must allow", detach: []string{"ou-b"}, scps: map[string][]string{"ou-b": {allowOnlyS3}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "sts:GetCallerIdentity", Resource: "*"},
			want: Deny, wantReason: "no SCP attached to ou-b"},
		{name: "an allow list at one level lets its actions through", detach: []string{"ou-b"}, scps: map[string][]string{"ou-b": {allowOnlyS3}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			want: Allow, wantBy: "FullAWSAccess[0]"},
		{name: "NotAction/NotResource deny", scps: map[string][]string{"r": {notActionDeny}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			want: Deny, wantBy: "r-SCP-a/N"},
		{name: "NotAction exempts listed actions", scps: map[string][]string{"r": {notActionDeny}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "iam:GetRole", Resource: "arn:aws:iam::222222222222:role/x"},
			want: Allow},
		{name: "NotResource exempts listed resources", scps: map[string][]string{"r": {notActionDeny}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "s3:GetObject", Resource: "arn:aws:s3:::public/k"},
			want: Allow},
		{name: "direct invocation without the Function URL key is denied", scps: map[string][]string{"r": {denyDirectInvoke}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:eu-west-1:222222222222:function:tvm"},
			want: Deny, wantBy: "r-SCP-a/I", wantReason: "RCPs do not govern lambda"},
		{name: "direct invocation of a version is denied", scps: map[string][]string{"r": {denyDirectInvoke}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:eu-west-1:222222222222:function:tvm:7"},
			want: Deny, wantBy: "r-SCP-a/I"},
		{name: "invocation through the Function URL is exempt", scps: map[string][]string{"r": {denyDirectInvoke}},
			req: Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:eu-west-1:222222222222:function:tvm",
				Context: map[string][]string{"lambda:InvokedViaFunctionUrl": {"true"}}},
			want: Allow, wantBy: "r-SCP-a/I"},
		{name: "direct invocation from the management account is outside SCPs", scps: map[string][]string{"r": {denyDirectInvoke}},
			req:  Request{Principal: "arn:aws:iam::999999999999:role/admin", Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:eu-west-1:222222222222:function:tvm"},
			want: Allow, wantReason: "management account"},
		{name: "the HTTP API invokes as a service principal, outside SCPs", scps: map[string][]string{"r": {denyDirectInvoke}},
			req:  Request{Principal: "apigateway.amazonaws.com", Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:eu-west-1:222222222222:function:tvm"},
			want: Allow, wantReason: "service principals"},
		{name: "RCP denies a caller outside the organisation", rcps: map[string][]string{"r": {denyAssumeRCP}},
			req:  Request{Principal: "arn:aws:iam::444444444444:role/tvm", Action: "sts:AssumeRole", Resource: protected},
			want: Deny, wantBy: "r-RCP-a/R", wantReason: "outside the organisation"},
		{name: "RCP denies an unauthenticated federation call", rcps: map[string][]string{"r": {denyAssumeRCP}},
			req:  Request{Action: "sts:AssumeRoleWithWebIdentity", Resource: protected},
			want: Deny, wantBy: "r-RCP-a/R"},
		{name: "RCP skips the management account's resources", rcps: map[string][]string{"r": {denyAssumeRCP}},
			req:  Request{Principal: "arn:aws:iam::444444444444:role/x", Action: "sts:AssumeRole", Resource: mgmtProtected},
			want: Allow, wantReason: "management account's resources"},
		{name: "RCP skips resources outside the organisation", rcps: map[string][]string{"r": {denyAssumeRCP}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/x", Action: "sts:AssumeRole", Resource: "arn:aws:iam::444444444444:role/vend/x"},
			want: Allow, wantBy: "FullAWSAccess[0]"},
		{name: "RCP skips service-linked roles", rcps: map[string][]string{"r": {denyAssumeRCP}},
			req:  Request{Principal: "arn:aws:iam::444444444444:role/x", Action: "sts:AssumeRole", Resource: "arn:aws:iam::222222222222:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"},
			want: Allow, wantReason: "service-linked"},
		{name: "RCP applies to service principals", rcps: map[string][]string{"r": {denyAssumeRCP}},
			req:  Request{Principal: "ec2.amazonaws.com", Action: "sts:AssumeRole", Resource: protected},
			want: Deny, wantBy: "r-RCP-a/R", wantReason: "service principals"},
		{name: "RCP exempts the pinned TVM", rcps: map[string][]string{"r": {denyAssumeRCP}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/tvm", Action: "sts:AssumeRole", Resource: protected},
			want: Allow, wantBy: "r-RCP-a/R"},
		{name: "explicit deny wins over every allow", scps: map[string][]string{"222222222222": {denyAssumeSCP, allowOnlyS3}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "sts:AssumeRole", Resource: protected},
			want: Deny, wantBy: "222222222222-SCP-a/D"},
		{name: "SCP deny decides before RCP deny", scps: map[string][]string{"r": {denyAssumeSCP}}, rcps: map[string][]string{"r": {denyAssumeRCP}},
			req:  Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "sts:AssumeRole", Resource: protected},
			want: Deny, wantBy: "r-SCP-a/D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := testOrg(t, tt.scps, tt.rcps)
			for _, target := range tt.detach {
				org.DetachFullAWSAccess(target)
			}
			got := Evaluate(tt.req, org)
			if got.Err != nil {
				t.Fatal(got.Err)
			}
			if got.Decision != tt.want {
				t.Errorf("decision %s, want %s (%s)", got.Decision, tt.want, got.Reason)
			}
			if tt.wantBy != "" && got.DecidedBy.String() != tt.wantBy {
				t.Errorf("decided by %q, want %q (%s)", got.DecidedBy, tt.wantBy, got.Reason)
			}
			if !strings.Contains(got.Reason, tt.wantReason) {
				t.Errorf("reason %q does not mention %q", got.Reason, tt.wantReason)
			}
		})
	}
}

func TestEvaluateFailsClosed(t *testing.T) {
	org := testOrg(t, map[string][]string{"r": {
		`{"Version":"2012-10-17","Statement":[{"Sid":"I","Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
	}}, nil)
	tests := []struct {
		name    string
		req     Request
		wantErr error
	}{
		{"assumed-role principal", Request{Principal: "arn:aws:sts::222222222222:assumed-role/admin/s", Action: "sts:AssumeRole", Resource: "*"}, ErrSessionPrincipal},
		{"unsupported operator", Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "s3:GetObject", Resource: "*"}, ErrUnsupported},
		{"bad action", Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "AssumeRole", Resource: "*"}, nil},
		{"bad principal", Request{Principal: "admin", Action: "sts:AssumeRole", Resource: "*"}, nil},
		{"empty resource", Request{Principal: "arn:aws:iam::222222222222:role/admin", Action: "sts:AssumeRole"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.req, org)
			if got.Decision != Deny || got.Err == nil {
				t.Fatalf("got %s, err %v; want a failed-closed deny", got.Decision, got.Err)
			}
			if tt.wantErr != nil && !errors.Is(got.Err, tt.wantErr) {
				t.Errorf("err %v, want %v", got.Err, tt.wantErr)
			}
		})
	}
}

func TestEvaluateContextKeys(t *testing.T) {
	// One SCP per context key the evaluator derives, each denying when the key has the
	// expected value, proves the keys are there and spelt as IAM spells them.
	org := testOrg(t, nil, nil)
	checks := []struct {
		key, op, value string
		req            Request
	}{
		{"aws:PrincipalArn", "ArnEquals", "arn:aws:iam::222222222222:role/admin", Request{Principal: "arn:aws:iam::222222222222:role/admin"}},
		{"aws:PrincipalAccount", "StringEquals", "222222222222", Request{Principal: "arn:aws:iam::222222222222:role/admin"}},
		{"aws:PrincipalOrgID", "StringEquals", "o-testorg123", Request{Principal: "arn:aws:iam::222222222222:role/admin"}},
		{"aws:PrincipalIsAWSService", "Bool", "false", Request{Principal: "arn:aws:iam::222222222222:role/admin"}},
		{"aws:ResourceAccount", "StringEquals", "333333333333", Request{Principal: "arn:aws:iam::222222222222:role/admin"}},
		{"aws:ResourceOrgID", "StringEquals", "o-testorg123", Request{Principal: "arn:aws:iam::222222222222:role/admin"}},
		{"aws:ResourceTag/vend:enforce", "StringEquals", "true", Request{Principal: "arn:aws:iam::222222222222:role/admin", ResourceTags: map[string]string{"vend:enforce": "true"}}},
		{"iam:ResourceTag/vend:enforce", "StringEquals", "true", Request{Principal: "arn:aws:iam::222222222222:role/admin", ResourceTags: map[string]string{"vend:enforce": "true"}}},
		{"sts:SourceIdentity", "StringEquals", "vend-a", Request{Principal: "arn:aws:iam::222222222222:role/admin", Context: map[string][]string{"sts:SourceIdentity": {"vend-a"}}}},
	}
	for _, c := range checks {
		t.Run(c.key, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":[{"Sid":"K","Effect":"Deny","Action":"sts:AssumeRole","Resource":"*",
				"Condition":{"` + c.op + `":{"` + c.key + `":"` + c.value + `"}}}]}`
			d, err := ParseDocument("k", KindSCP, []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			o := org
			o.SCPs = map[string][]Document{"r": {d}}
			req := c.req
			req.Action, req.Resource = "sts:AssumeRole", "arn:aws:iam::333333333333:role/app"
			if got := Evaluate(req, o); got.Decision != Deny || got.DecidedBy.Sid != "K" {
				t.Errorf("%s not derived: %s (%s)", c.key, got.Decision, got.Reason)
			}
		})
	}
}
