package e2e

import (
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
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vend-tvm/vend/terraform/internal/moto"
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
