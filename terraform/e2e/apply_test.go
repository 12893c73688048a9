package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vend-tvm/vend/terraform/internal/moto"
	"github.com/vend-tvm/vend/terraform/internal/tfcli"
)

// account is the local AWS's default account, where examples/complete deploys.
const account = moto.AccountID

func tvmRoleARN(acct string) string { return "arn:aws:iam::" + acct + ":role/vend-tvm/vend-tvm" }
func functionARN(acct string) string {
	return "arn:aws:lambda:" + region + ":" + acct + ":function:vend-tvm"
}

// wantEnvironment is the TVM's environment when it lives in acct.
func wantEnvironment(acct string) map[string]string {
	return map[string]string{
		"VEND_POLICY_PARAMETER":       "/vend/vend-tvm/policy",
		"VEND_POLICY_TTL":             "60s",
		"VEND_POLICY_MAX_STALENESS":   "15m",
		"VEND_SOURCE_IDENTITY_PREFIX": "vend-",
		"VEND_SESSION_TAGS":           "true",
		"VEND_RATE_LIMIT":             "10",
		"VEND_EVENTS_TOPIC_ARN":       "arn:aws:sns:" + region + ":" + acct + ":vend-tvm-events",
		"VEND_STATE_TABLE":            "vend-tvm-state",
		"VEND_REVOCATION_WRITER_PATH": "/vend/",
	}
}

// assertTVMOutputs checks the outputs every multi-account example has: the TVM's
// environment in the security account and the protected roles by profile.
func assertTVMOutputs(t *testing.T, outputs map[string]json.RawMessage, security string, roles map[string]string) {
	t.Helper()
	var env, protected map[string]string
	output(t, outputs, "environment", &env)
	output(t, outputs, "protected_role_arns", &protected)
	if !maps.Equal(env, wantEnvironment(security)) {
		t.Errorf("environment = %v, want %v", env, wantEnvironment(security))
	}
	if !maps.Equal(protected, roles) {
		t.Errorf("protected_role_arns = %v, want %v", protected, roles)
	}
}

// TestLocalExample applies examples/local-organization and then examples/local against
// moto, as go tool mage deploy does, and asserts where everything landed: the TVM in the
// security account, the protected roles and revocation writers in dev and prod, the demo
// callers in dev, the guardrails from the management account. Then it checks that a
// second plan is empty, switches the front end to the HTTP API, and destroys both.
func TestLocalExample(t *testing.T) {
	ctx, srv, ws := startApply(t, 15*time.Minute)
	org := newRunner(t, filepath.Join(ws, "examples", "local-organization"))
	orgVars := map[string]string{"endpoint": srv.Endpoint()}
	must(t, "init organization", org.Init(ctx))
	must(t, "apply organization", org.Apply(ctx, orgVars))
	orgOutputs, err := org.Outputs(ctx)
	must(t, "organization outputs", err)
	var security, mgmt string
	var workloads map[string]string
	output(t, orgOutputs, "security_account_id", &security)
	output(t, orgOutputs, "management_account_id", &mgmt)
	output(t, orgOutputs, "workload_account_ids", &workloads)
	dev, prod := workloads["dev"], workloads["prod"]
	if accts := []string{mgmt, security, dev, prod}; len(slices.Compact(slices.Sorted(slices.Values(accts)))) != 4 || mgmt != account {
		t.Fatalf("accounts management %s, security %s, dev %s, prod %s: want four distinct, management the local AWS's default", mgmt, security, dev, prod)
	}

	dir := filepath.Join(ws, "examples", "local")
	// The organisation's outputs are examples/local's organization variable; Terraform
	// reads *.auto.tfvars.json by itself in apply, plan and destroy.
	organization := map[string]json.RawMessage{}
	for _, k := range []string{"management_account_id", "security_account_id", "workload_account_ids", "organization_id", "root_id", "security_ou_id", "workloads_ou_id"} {
		organization[k] = orgOutputs[k]
	}
	b, err := json.Marshal(map[string]any{"organization": organization})
	must(t, "encode organization", err)
	must(t, "write organization vars", os.WriteFile(filepath.Join(dir, "organization.auto.tfvars.json"), b, 0o644))
	tf := newRunner(t, dir)
	vars := map[string]string{"endpoint": srv.Endpoint(), "lambda_zip": bootstrapZip(t)}

	securityCfg, devCfg, prodCfg := accountConfig(srv.Endpoint(), security), accountConfig(srv.Endpoint(), dev), accountConfig(srv.Endpoint(), prod)

	must(t, "init", tf.Init(ctx))
	must(t, "apply", tf.Apply(ctx, vars))

	outputs, err := tf.Outputs(ctx)
	must(t, "outputs", err)
	roles := map[string]string{
		"readonly":      "arn:aws:iam::" + dev + ":role/vend/vend-tvm-readonly",
		"prod-readonly": "arn:aws:iam::" + prod + ":role/vend/vend-tvm-readonly",
		"admin":         "arn:aws:iam::" + prod + ":role/vend/vend-tvm-admin",
	}
	tvmRole := tvmRoleARN(security)
	allowedARN := "arn:aws:iam::" + dev + ":user/vend-demo/vend-demo-allowed"
	deniedARN := "arn:aws:iam::" + dev + ":user/vend-demo/vend-demo-denied"

	t.Run("outputs", func(t *testing.T) {
		var profiles map[string]string
		var allowed, denied, endpoint, role, signing, caller string
		var accounts []string
		assertTVMOutputs(t, outputs, security, roles)
		output(t, outputs, "allowed_profile", &allowed)
		output(t, outputs, "denied_profile", &denied)
		output(t, outputs, "endpoint", &endpoint)
		output(t, outputs, "tvm_role_arn", &role)
		output(t, outputs, "signing_service", &signing)
		output(t, outputs, "workload_account_ids", &accounts)
		output(t, outputs, "workload_profiles", &profiles)
		output(t, outputs, "caller_account_id", &caller)
		if allowed != "readonly" || denied != "admin" {
			t.Errorf("profiles = %q/%q, want readonly/admin", allowed, denied)
		}
		if endpoint != srv.Endpoint() || role != tvmRole || signing != "lambda" {
			t.Errorf("endpoint, tvm_role_arn, signing_service = %q, %q, %q", endpoint, role, signing)
		}
		if !slices.Equal(accounts, []string{dev, prod}) || !maps.Equal(profiles, map[string]string{dev: "readonly", prod: "prod-readonly"}) || caller != dev {
			t.Errorf("workload_account_ids %v, workload_profiles %v, caller_account_id %s; want dev and prod, a profile each, callers in dev", accounts, profiles, caller)
		}
	})

	// The events topic exists and delivers: subscribe a queue, raw, as the deploy does,
	// publish as the TVM does and read the same body back, all in the security account.
	t.Run("events reach a subscriber", func(t *testing.T) {
		var topic string
		output(t, outputs, "events_topic_arn", &topic)
		if topic != wantEnvironment(security)["VEND_EVENTS_TOPIC_ARN"] {
			t.Fatalf("events_topic_arn = %q", topic)
		}
		q := sqs.NewFromConfig(securityCfg)
		queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("events-reader")})
		must(t, "create queue", err)
		_, err = sns.NewFromConfig(securityCfg).Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("sqs"),
			Endpoint: aws.String("arn:aws:sqs:" + region + ":" + security + ":events-reader"), Attributes: map[string]string{"RawMessageDelivery": "true"}})
		must(t, "subscribe", err)
		body := `{"version":1,"type":"break_glass","profile":"breakglass"}`
		_, err = sns.NewFromConfig(securityCfg).Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(body)})
		must(t, "publish", err)
		got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10})
		must(t, "receive", err)
		if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != body {
			t.Errorf("queue holds %d messages (%v), want the published body once, raw", len(got.Messages), got.Messages)
		}
	})

	t.Run("demo identities sign in, in dev", func(t *testing.T) {
		var ids map[string]struct {
			ARN             string `json:"arn"`
			AccessKeyID     string `json:"access_key_id"`
			SecretAccessKey string `json:"secret_access_key"`
		}
		output(t, outputs, "demo_identities", &ids)
		for name, want := range map[string]string{"allowed": allowedARN, "denied": deniedARN} {
			id := ids[name]
			if id.ARN != want || id.AccessKeyID == "" || id.SecretAccessKey == "" {
				t.Fatalf("demo identity %s: arn %q, key present %v; want arn %q and a key", name, id.ARN, id.AccessKeyID != "", want)
			}
			who, err := sts.NewFromConfig(awsConfigFor(srv.Endpoint(), id.AccessKeyID, id.SecretAccessKey)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			must(t, "get caller identity as "+name, err)
			if aws.ToString(who.Arn) != want {
				t.Errorf("demo identity %s signs in as %q, want %q", name, aws.ToString(who.Arn), want)
			}
		}
	})

	assertFunction(t, ctx, securityCfg, security)
	assertFunctionURL(t, ctx, securityCfg, dev)
	assertExecutionRole(t, ctx, securityCfg, security, slices.Collect(maps.Values(roles)), true)
	assertProtectedRole(t, ctx, devCfg, tvmRole, "vend-tvm-readonly", false)
	assertProtectedRole(t, ctx, prodCfg, tvmRole, "vend-tvm-readonly", false)
	assertProtectedRole(t, ctx, prodCfg, tvmRole, "vend-tvm-admin", true)
	t.Run("revocation writers", func(t *testing.T) {
		for acct, c := range map[string]aws.Config{dev: devCfg, prod: prodCfg} {
			role, err := iam.NewFromConfig(c).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("vend-revocation-writer")})
			must(t, "get the writer in "+acct, err)
			if got := aws.ToString(role.Role.Arn); got != "arn:aws:iam::"+acct+":role/vend/vend-revocation-writer" {
				t.Errorf("writer in %s is %s", acct, got)
			}
			if got := decodePolicy(t, aws.ToString(role.Role.AssumeRolePolicyDocument)).bySid(t, "VendTVM").awsPrincipals(t); !slices.Equal(got, []string{tvmRole}) {
				t.Errorf("writer in %s trusts %v, want only the TVM role", acct, got)
			}
		}
		p, err := iam.NewFromConfig(securityCfg).GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("vend-tvm"), PolicyName: aws.String("vend-tvm")})
		must(t, "get the TVM's policy", err)
		got := slices.Sorted(slices.Values(decodePolicy(t, aws.ToString(p.PolicyDocument)).bySid(t, "AssumeRevocationWriters").Resource))
		want := slices.Sorted(slices.Values([]string{"arn:aws:iam::" + dev + ":role/vend/vend-revocation-writer", "arn:aws:iam::" + prod + ":role/vend/vend-revocation-writer"}))
		if !slices.Equal(got, want) {
			t.Errorf("the TVM may assume the writers %v, want %v", got, want)
		}
	})
	t.Run("guardrails", func(t *testing.T) {
		var g struct {
			Mode      string            `json:"mode"`
			PolicyIDs map[string]string `json:"policy_ids"`
		}
		output(t, outputs, "guardrails", &g)
		if g.Mode != "enforce" || len(g.PolicyIDs) != 5 {
			t.Errorf("guardrails mode %q with %d policies, want enforce with 3 SCPs and 2 RCPs", g.Mode, len(g.PolicyIDs))
		}
	})
	assertPolicyParameter(t, ctx, securityCfg, renderPolicy(t, filepath.Join(dir, "policy.yaml"), map[string]string{
		"caller_account_id":      dev,
		"readonly_role_arn":      roles["readonly"],
		"prod_readonly_role_arn": roles["prod-readonly"],
		"admin_role_arn":         roles["admin"],
		"allowed_user_arn":       allowedARN,
		"denied_user_arn":        deniedARN,
		"approver_user_arn":      "arn:aws:iam::" + dev + ":user/vend-demo/vend-demo-approver",
	}))
	assertNoChanges(t, ctx, tf, vars)

	// The front-end switch, applied for real: the Function URL goes, the HTTP API comes.
	// The front end is a literal of the example, so the test overrides it as a reader
	// edits it.
	if err := os.WriteFile(filepath.Join(dir, "frontend_override.tf"), []byte("locals {\n  frontend = \"http_api\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, "apply with frontend=http_api", tf.Apply(ctx, vars))
	t.Run("http api", func(t *testing.T) {
		_, err := lambda.NewFromConfig(securityCfg).GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("vend-tvm")})
		if notFound := new(lambdatypes.ResourceNotFoundException); !errors.As(err, &notFound) {
			t.Errorf("Function URL after switching to http_api: err = %v, want ResourceNotFoundException", err)
		}
		assertHTTPAPI(t, ctx, securityCfg, security)
		outputs, err := tf.Outputs(ctx)
		must(t, "outputs", err)
		var url, signing string
		output(t, outputs, "url", &url)
		output(t, outputs, "signing_service", &signing)
		if !strings.Contains(url, ".execute-api.") || strings.HasSuffix(url, "/") || signing != "execute-api" {
			t.Errorf("url, signing_service = %q, %q; want the stage URL without a trailing slash and execute-api", url, signing)
		}
	})
	assertNoChanges(t, ctx, tf, vars)

	must(t, "destroy", tf.Destroy(ctx, vars))
	assertDestroyed(t, ctx, tf, securityCfg, map[string]aws.Config{"vend-tvm-readonly": devCfg, "vend-tvm-admin": prodCfg, "vend-revocation-writer": prodCfg})
	must(t, "destroy organization", org.Destroy(ctx, orgVars))
	if state, err := org.StateList(ctx); err != nil || len(state) != 0 {
		t.Errorf("organization state after destroy: %v %v", state, err)
	}
}

// TestCompleteExample applies examples/complete, unchanged, against moto through a
// provider override file, in three accounts it reaches by assuming a role in each, as on
// real AWS; asserts where everything landed; checks that a second plan is empty; and
// destroys it.
func TestCompleteExample(t *testing.T) {
	// The example attaches the AWS managed ReadOnlyAccess policy.
	ctx, srv, ws := startApply(t, 15*time.Minute, moto.WithManagedPolicies())
	dir := filepath.Join(ws, "examples", "complete")
	writeProviderOverride(t, dir, srv.Endpoint(), "security", "dev", "prod")
	tf := newRunner(t, dir)
	const security, dev, prod = "111111111111", "222222222222", "333333333333"
	role := func(acct string) string { return "arn:aws:iam::" + acct + ":role/OrganizationAccountAccessRole" }
	vars := map[string]string{
		"lambda_zip": bootstrapZip(t), "region": region,
		"security_account_role_arn":  role(security),
		"workload_account_role_arns": fmt.Sprintf("{dev = %q, prod = %q}", role(dev), role(prod)),
		"deployer_arns":              fmt.Sprintf("[%q, %q, %q]", role(security), role(dev), role(prod)),
	}
	securityCfg, devCfg, prodCfg := accountConfig(srv.Endpoint(), security), accountConfig(srv.Endpoint(), dev), accountConfig(srv.Endpoint(), prod)

	must(t, "init", tf.Init(ctx))
	must(t, "apply", tf.Apply(ctx, vars))

	roles := map[string]string{
		"dev-readonly":  "arn:aws:iam::" + dev + ":role/vend/vend-tvm-readonly",
		"prod-readonly": "arn:aws:iam::" + prod + ":role/vend/vend-tvm-readonly",
		"prod-deploy":   "arn:aws:iam::" + prod + ":role/vend/vend-tvm-deploy",
	}
	outputs, err := tf.Outputs(ctx)
	must(t, "outputs", err)
	t.Run("outputs", func(t *testing.T) {
		var url, fn string
		var g struct {
			Mode             string            `json:"mode"`
			RenderedPolicies map[string]string `json:"rendered_policies"`
			RuleARNs         map[string]string `json:"rule_arns"`
			PolicyIDs        map[string]string `json:"policy_ids"`
		}
		assertTVMOutputs(t, outputs, security, roles)
		output(t, outputs, "url", &url)
		output(t, outputs, "function_arn", &fn)
		output(t, outputs, "guardrails", &g)
		if !strings.HasPrefix(url, "https://") || strings.HasSuffix(url, "/") || fn != functionARN(security) {
			t.Errorf("url, function_arn = %q, %q", url, fn)
		}
		// The rollout starts in audit: rules report, nothing is attached, and the
		// documents to enforce next are there to review.
		if g.Mode != "audit" || len(g.RuleARNs) == 0 || len(g.PolicyIDs) != 0 || len(g.RenderedPolicies) != 5 {
			t.Errorf("guardrails = mode %q, %d rules, %d policies, %d rendered; want audit, rules, no policy, 5 documents to review", g.Mode, len(g.RuleARNs), len(g.PolicyIDs), len(g.RenderedPolicies))
		}
	})

	assertFunction(t, ctx, securityCfg, security)
	assertFunctionURL(t, ctx, securityCfg, dev, prod)
	assertExecutionRole(t, ctx, securityCfg, security, slices.Collect(maps.Values(roles)), false)
	assertProtectedRole(t, ctx, devCfg, tvmRoleARN(security), "vend-tvm-readonly", false)
	assertProtectedRole(t, ctx, prodCfg, tvmRoleARN(security), "vend-tvm-readonly", false)
	assertProtectedRole(t, ctx, prodCfg, tvmRoleARN(security), "vend-tvm-deploy", true)

	t.Run("protected role permissions", func(t *testing.T) {
		client := iam.NewFromConfig(devCfg)
		attached, err := client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("vend-tvm-readonly")})
		must(t, "list attached policies", err)
		var arns []string
		for _, a := range attached.AttachedPolicies {
			arns = append(arns, aws.ToString(a.PolicyArn))
		}
		slices.Sort(arns)
		if want := []string{"arn:aws:iam::" + dev + ":policy/vend-revocation/vend-tvm-readonly", "arn:aws:iam::aws:policy/ReadOnlyAccess"}; !slices.Equal(arns, want) {
			t.Errorf("readonly attached policies = %v, want %v: ReadOnlyAccess and its revocation policy", arns, want)
		}
		inline, err := iam.NewFromConfig(prodCfg).GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("vend-tvm-deploy"), PolicyName: aws.String("deploy-stacks")})
		must(t, "get deploy inline policy", err)
		s := decodePolicy(t, aws.ToString(inline.PolicyDocument)).bySid(t, "ManageStacks")
		if want := "arn:aws:cloudformation:" + region + ":" + prod + ":stack/app-*/*"; !slices.Equal(s.Resource, []string{want}) {
			t.Errorf("deploy policy resources = %v, want [%s]", s.Resource, want)
		}
		for acct, c := range map[string]aws.Config{dev: devCfg, prod: prodCfg} {
			if _, err := iam.NewFromConfig(c).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("vend-revocation-writer")}); err != nil {
				t.Errorf("the revocation writer in %s: %v", acct, err)
			}
		}
	})

	assertPolicyParameter(t, ctx, securityCfg, renderPolicy(t, filepath.Join(dir, "policy.yaml"), map[string]string{
		"dev_account_id":         dev,
		"prod_account_id":        prod,
		"dev_readonly_role_arn":  roles["dev-readonly"],
		"prod_readonly_role_arn": roles["prod-readonly"],
		"deploy_role_arn":        roles["prod-deploy"],
	}))
	assertNoChanges(t, ctx, tf, vars)

	must(t, "destroy", tf.Destroy(ctx, vars))
	assertDestroyed(t, ctx, tf, securityCfg, map[string]aws.Config{"vend-tvm-deploy": prodCfg, "vend-revocation-writer": devCfg})
}

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
