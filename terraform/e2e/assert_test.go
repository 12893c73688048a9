package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/vend-tvm/vend/terraform/internal/tfcli"
)

// The checks the apply tests make of what an example deployed.

func assertFunction(t *testing.T, ctx context.Context, cfg aws.Config, acct string) {
	t.Run("function", func(t *testing.T) {
		fn, err := lambda.NewFromConfig(cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("vend-tvm")})
		must(t, "get function", err)
		c := fn.Configuration
		if c.Runtime != lambdatypes.RuntimeProvidedal2023 || aws.ToString(c.Handler) != "bootstrap" {
			t.Errorf("runtime, handler = %q, %q; want provided.al2023, bootstrap", c.Runtime, aws.ToString(c.Handler))
		}
		if !slices.Equal(c.Architectures, []lambdatypes.Architecture{lambdatypes.ArchitectureArm64}) {
			t.Errorf("architectures = %v, want [arm64]", c.Architectures)
		}
		if aws.ToString(c.Role) != tvmRoleARN(acct) {
			t.Errorf("role = %q, want %q", aws.ToString(c.Role), tvmRoleARN(acct))
		}
		if aws.ToInt32(c.MemorySize) != 256 || aws.ToInt32(c.Timeout) != 10 {
			t.Errorf("memory, timeout = %d, %d; want 256, 10", aws.ToInt32(c.MemorySize), aws.ToInt32(c.Timeout))
		}
		if c.Environment == nil || !maps.Equal(c.Environment.Variables, wantEnvironment(acct)) {
			t.Errorf("environment = %+v, want %v", c.Environment, wantEnvironment(acct))
		}
	})
}

// assertFunctionURL checks the URL's auth and that its policy lets exactly the caller
// accounts invoke it, one statement each.
func assertFunctionURL(t *testing.T, ctx context.Context, cfg aws.Config, callerAccounts ...string) {
	t.Run("function url", func(t *testing.T) {
		client := lambda.NewFromConfig(cfg)
		u, err := client.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("vend-tvm")})
		must(t, "get function url", err)
		if u.AuthType != lambdatypes.FunctionUrlAuthTypeAwsIam {
			t.Errorf("auth type = %q, want AWS_IAM", u.AuthType)
		}

		p, err := client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("vend-tvm")})
		must(t, "get function policy", err)
		// moto keeps the principal as given ("123456789012"); AWS rewrites it to
		// {"AWS": "arn:aws:iam::123456789012:root"}. Either names only this account.
		var doc struct {
			Statement []struct {
				Sid       string          `json:"Sid"`
				Action    string          `json:"Action"`
				Principal json.RawMessage `json:"Principal"`
				Condition json.RawMessage `json:"Condition"`
			} `json:"Statement"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(p.Policy)), &doc); err != nil {
			t.Fatalf("decode function policy: %v", err)
		}
		if len(doc.Statement) != 1+len(callerAccounts) {
			t.Fatalf("function policy has %d statements, want %d (the sweep, and the URL for each of %v): %s", len(doc.Statement), 1+len(callerAccounts), callerAccounts, aws.ToString(p.Policy))
		}
		var urlAccounts []string
		for _, s := range doc.Statement {
			switch s.Sid {
			case "VendSweepFromEventBridge":
				// EventBridge's sweep schedule, and only its rule.
				if s.Action != "lambda:InvokeFunction" || string(s.Principal) != `{"Service": "events.amazonaws.com"}` && string(s.Principal) != `{"Service":"events.amazonaws.com"}` ||
					!strings.Contains(string(s.Condition), ":rule/vend-tvm-sweep") {
					t.Errorf("sweep statement = %+v (principal %s, condition %s)", s, s.Principal, s.Condition)
				}
			default:
				if s.Action != "lambda:InvokeFunctionUrl" || strings.Contains(string(s.Principal), "*") {
					t.Errorf("function policy statement = %+v (principal %s); want lambda:InvokeFunctionUrl for one account", s, s.Principal)
				}
				urlAccounts = append(urlAccounts, principalAccount(s.Principal))
			}
		}
		if got, want := slices.Sorted(slices.Values(urlAccounts)), slices.Sorted(slices.Values(callerAccounts)); !slices.Equal(got, want) {
			t.Errorf("the Function URL may be invoked from %v, want %v", got, want)
		}
	})
}

// principalAccount is the account of a resource policy's Principal: moto keeps the
// account ID as given, AWS rewrites it to {"AWS": "arn:aws:iam::ACCOUNT:root"}.
func principalAccount(p json.RawMessage) string {
	var id string
	if json.Unmarshal(p, &id) == nil {
		return id
	}
	var m struct{ AWS string }
	if json.Unmarshal(p, &m) == nil {
		if f := strings.Split(m.AWS, ":"); len(f) == 6 && f[5] == "root" {
			return f[4]
		}
	}
	return string(p)
}

func assertHTTPAPI(t *testing.T, ctx context.Context, cfg aws.Config, acct string) {
	t.Helper()
	client := apigatewayv2.NewFromConfig(cfg)
	apis, err := client.GetApis(ctx, &apigatewayv2.GetApisInput{})
	must(t, "get apis", err)
	if len(apis.Items) != 1 || aws.ToString(apis.Items[0].Name) != "vend-tvm" || apis.Items[0].ProtocolType != "HTTP" {
		t.Fatalf("apis = %+v, want one HTTP API named vend-tvm", apis.Items)
	}
	id := apis.Items[0].ApiId
	routes, err := client.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: id})
	must(t, "get routes", err)
	if len(routes.Items) != 1 || aws.ToString(routes.Items[0].RouteKey) != "GET /v1/{proxy+}" || routes.Items[0].AuthorizationType != "AWS_IAM" {
		t.Errorf("routes = %+v, want only GET /v1/{proxy+} with AWS_IAM", routes.Items)
	}
	integrations, err := client.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: id})
	must(t, "get integrations", err)
	if len(integrations.Items) != 1 || aws.ToString(integrations.Items[0].PayloadFormatVersion) != "2.0" || !strings.Contains(aws.ToString(integrations.Items[0].IntegrationUri), functionARN(acct)) {
		t.Errorf("integrations = %+v, want one payload 2.0 integration of the TVM", integrations.Items)
	}
}

func assertExecutionRole(t *testing.T, ctx context.Context, cfg aws.Config, acct string, protected []string, kms bool) {
	t.Run("execution role", func(t *testing.T) {
		client := iam.NewFromConfig(cfg)
		role, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("vend-tvm")})
		must(t, "get role", err)
		trust := decodePolicy(t, aws.ToString(role.Role.AssumeRolePolicyDocument))
		if len(trust.Statement) != 1 || trust.Statement[0].Principal.(map[string]any)["Service"] != "lambda.amazonaws.com" {
			t.Errorf("TVM trust policy = %+v, want lambda.amazonaws.com only", trust.Statement)
		}

		p, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("vend-tvm"), PolicyName: aws.String("vend-tvm")})
		must(t, "get role policy", err)
		doc := decodePolicy(t, aws.ToString(p.PolicyDocument))

		vend := doc.bySid(t, "AssumeProtectedRoles")
		if !slices.Equal(vend.Action, []string{"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"}) {
			t.Errorf("AssumeProtectedRoles actions = %v", vend.Action)
		}
		if got, want := slices.Sorted(slices.Values(vend.Resource)), slices.Sorted(slices.Values(protected)); !slices.Equal(got, want) {
			t.Errorf("AssumeProtectedRoles resources = %v, want %v", got, want)
		}
		for _, s := range doc.Statement {
			for _, r := range s.Resource {
				if r == "*" {
					t.Errorf("statement %s has a * resource", s.Sid)
				}
			}
		}
		if got := doc.bySid(t, "ReadPolicyParameter").Resource; !slices.Equal(got, []string{"arn:aws:ssm:" + region + ":" + acct + ":parameter/vend/vend-tvm/policy"}) {
			t.Errorf("ReadPolicyParameter resources = %v", got)
		}
		if got := doc.bySid(t, "WriteOwnLogs").Resource; !slices.Equal(got, []string{"arn:aws:logs:" + region + ":" + acct + ":log-group:/aws/lambda/vend-tvm:*"}) {
			t.Errorf("WriteOwnLogs resources = %v", got)
		}
		hasKMS := slices.ContainsFunc(doc.Statement, func(s statement) bool { return s.Sid == "DecryptPolicyParameter" })
		if hasKMS != kms {
			t.Fatalf("DecryptPolicyParameter present = %v, want %v", hasKMS, kms)
		}
		if kms {
			s := doc.bySid(t, "DecryptPolicyParameter")
			if len(s.Resource) != 1 || !strings.HasPrefix(s.Resource[0], "arn:aws:kms:"+region+":"+acct+":key/") {
				t.Errorf("DecryptPolicyParameter resources = %v, want the one key", s.Resource)
			}
			if s.Condition["StringEquals"]["kms:ViaService"] != "ssm."+region+".amazonaws.com" {
				t.Errorf("DecryptPolicyParameter condition = %v, want kms:ViaService ssm", s.Condition)
			}
		}
	})
}

func assertProtectedRole(t *testing.T, ctx context.Context, cfg aws.Config, tvmRole, name string, enforce bool) {
	t.Run("protected role "+name, func(t *testing.T) {
		role, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		must(t, "get role", err)
		r := role.Role
		if aws.ToString(r.Path) != "/vend/" || aws.ToInt32(r.MaxSessionDuration) != 3600 {
			t.Errorf("path, max session = %q, %d; want /vend/, 3600", aws.ToString(r.Path), aws.ToInt32(r.MaxSessionDuration))
		}
		tags := map[string]string{}
		for _, tag := range r.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if tags["vend:protected"] != "true" {
			t.Errorf("tags = %v, want vend:protected=true", tags)
		}
		if _, ok := tags["vend:enforce"]; ok != enforce {
			t.Errorf("tags = %v, want vend:enforce present = %v", tags, enforce)
		}

		trust := decodePolicy(t, aws.ToString(r.AssumeRolePolicyDocument))
		for _, s := range trust.Statement {
			if got := s.awsPrincipals(t); !slices.Equal(got, []string{tvmRole}) {
				t.Errorf("statement %s trusts %v, want only the TVM role", s.Sid, got)
			}
		}
		assume := trust.bySid(t, "VendTVMAssumeWithSourceIdentity")
		if !slices.Equal(assume.Action, []string{"sts:AssumeRole", "sts:SetSourceIdentity"}) || assume.Condition["StringLike"]["sts:SourceIdentity"] != "vend-*" {
			t.Errorf("assume statement = %+v, want AssumeRole+SetSourceIdentity when sts:SourceIdentity is like vend-*", assume)
		}
		if tag := trust.bySid(t, "VendTVMTagSession"); !slices.Equal(tag.Action, []string{"sts:TagSession"}) {
			t.Errorf("tag statement = %+v", tag)
		}
	})
}

func assertPolicyParameter(t *testing.T, ctx context.Context, cfg aws.Config, want string) {
	t.Run("policy parameter", func(t *testing.T) {
		p, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/vend/vend-tvm/policy"), WithDecryption: aws.Bool(true)})
		must(t, "get parameter", err)
		if p.Parameter.Type != ssmtypes.ParameterTypeSecureString {
			t.Errorf("parameter type = %q, want SecureString", p.Parameter.Type)
		}
		if got := aws.ToString(p.Parameter.Value); got != want {
			t.Errorf("parameter value:\n%s\nwant:\n%s", got, want)
		}
	})
}

func assertNoChanges(t *testing.T, ctx context.Context, tf *tfcli.Runner, vars map[string]string) {
	t.Helper()
	changes, out, err := tf.PlanChanges(ctx, vars)
	must(t, "plan", err)
	if changes {
		t.Errorf("a second plan wants changes (not idempotent):\n%s", strings.Join(lines(out), "\n"))
	}
}

// assertDestroyed checks that the state is empty and that the function and parameter
// are gone from cfg's account, and each role from its account's config.
func assertDestroyed(t *testing.T, ctx context.Context, tf *tfcli.Runner, cfg aws.Config, roles map[string]aws.Config) {
	t.Run("destroyed", func(t *testing.T) {
		state, err := tf.StateList(ctx)
		if err != nil && !strings.Contains(err.Error(), "No state file") {
			t.Fatalf("state list: %v", err)
		}
		if len(state) != 0 {
			t.Errorf("state still lists %v", state)
		}
		for name, roleCfg := range roles {
			_, err := iam.NewFromConfig(roleCfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			if notFound := new(iamtypes.NoSuchEntityException); !errors.As(err, &notFound) {
				t.Errorf("role %s after destroy: err = %v, want NoSuchEntity", name, err)
			}
		}
		_, err = lambda.NewFromConfig(cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("vend-tvm")})
		if notFound := new(lambdatypes.ResourceNotFoundException); !errors.As(err, &notFound) {
			t.Errorf("function after destroy: err = %v, want ResourceNotFoundException", err)
		}
		_, err = ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/vend/vend-tvm/policy")})
		if notFound := new(ssmtypes.ParameterNotFound); !errors.As(err, &notFound) {
			t.Errorf("policy parameter after destroy: err = %v, want ParameterNotFound", err)
		}
	})
}
