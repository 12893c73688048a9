package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/terraform/internal/moto"
	"github.com/vend-tvm/vend/terraform/internal/tfcli"
)

// awsCLIBinary is the AWS CLI, used to read back what Terraform created: the terraform
// module pins no AWS SDK clients for Organizations, EventBridge, SNS or SQS.
const awsCLIBinary = "aws"

// The founding topology: the guardrails (and the audit rules' bus) in the management
// account, the TVM in a security account, the protected roles in a workload account.
const (
	guardrailsAccount  = moto.AccountID
	guardrailsSecurity = "111111111111"
	guardrailsWorkload = "222222222222"
	guardrailsTVMRole  = "arn:aws:iam::" + guardrailsSecurity + ":role/vend-tvm/vend-tvm"
	// The regions examples/guardrails sets in its locals.
	guardrailsRegion  = "us-east-1"
	guardrailsRegion2 = "eu-west-1"
)

// TestGuardrailsExample applies examples/guardrails against moto_server in a fresh
// organisation: enforce mode tag-gated (policies attached, audit rules in both regions),
// then untagged enforce (the two protected-role policies updated in place, the audit
// gone), checking what AWS holds after each step, that a second plan is empty, how the
// audit patterns match CloudTrail-shaped events, and that destroy removes everything.
func TestGuardrailsExample(t *testing.T) {
	requireTool(t, awsCLIBinary)
	ctx, srv, ws := startApply(t, 10*time.Minute)
	cli := newAWSCLI(t, srv.Endpoint())

	// A fresh organisation with one OU and one member account to attach to.
	var roots struct {
		Roots []struct {
			ID string `json:"Id"`
		}
	}
	cli.run(t, ctx, guardrailsRegion, nil, "organizations", "create-organization", "--feature-set", "ALL")
	cli.run(t, ctx, guardrailsRegion, &roots, "organizations", "list-roots")
	if len(roots.Roots) != 1 {
		t.Fatalf("roots = %+v, want one", roots.Roots)
	}
	var ou struct {
		OrganizationalUnit struct {
			ID string `json:"Id"`
		}
	}
	cli.run(t, ctx, guardrailsRegion, &ou, "organizations", "create-organizational-unit", "--parent-id", roots.Roots[0].ID, "--name", "workloads")
	var account struct {
		CreateAccountStatus struct {
			AccountID string `json:"AccountId"`
		}
	}
	cli.run(t, ctx, guardrailsRegion, &account, "organizations", "create-account", "--email", "workload@example.com", "--account-name", "workload")
	targets := []string{ou.OrganizationalUnit.ID, account.CreateAccountStatus.AccountID}
	slices.Sort(targets)

	dir := filepath.Join(ws, "examples", "guardrails")
	params := map[string]any{
		"endpoint":              srv.Endpoint(),
		"mode":                  "enforce",
		"tag_gated":             true,
		"target_ids":            targets,
		"tvm_role_arns":         []string{guardrailsTVMRole},
		"protected_role_path":   "/vend/",
		"protected_account_ids": []string{},
		"deployer_arns":         []string{"arn:aws:iam::" + guardrailsSecurity + ":role/vend-deployer"},
		"break_glass_arns":      []string{"arn:aws:iam::" + guardrailsWorkload + ":role/break-glass"},
		"tvm_function_arn":      "arn:aws:lambda:" + guardrailsRegion + ":" + guardrailsSecurity + ":function:vend-tvm",
		"policy_parameter_arn":  "arn:aws:ssm:" + guardrailsRegion + ":" + guardrailsSecurity + ":parameter/vend/vend-tvm/policy",
	}
	b, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	// Terraform loads *.auto.tfvars.json by itself, in apply, plan and destroy alike.
	if err := os.WriteFile(filepath.Join(dir, "test.auto.tfvars.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	tf := newRunner(t, dir)
	must(t, "init", tf.Init(ctx))
	must(t, "apply tag-gated", tf.Apply(ctx, nil))

	tagged := map[string]string{
		"deny-assume-protected-roles-except-tvm":     "vend-deny-assume-protected-roles-except-tvm-tagged",
		"deny-vend-source-identity-spoofing":         "vend-deny-vend-source-identity-spoofing",
		"protect-tvm-function-and-role":              "vend-protect-tvm-function-and-role",
		"rcp-deny-assume-protected-roles-except-tvm": "vend-rcp-deny-assume-protected-roles-except-tvm-tagged",
		"rcp-deny-vend-source-identity-spoofing":     "vend-rcp-deny-vend-source-identity-spoofing",
	}
	ids := assertGuardrailPolicies(t, ctx, cli, tf, "tag-gated", tagged, targets)
	t.Run("tag-gated/deny only tagged roles", func(t *testing.T) {
		doc := describePolicy(t, ctx, cli, ids["deny-assume-protected-roles-except-tvm"])
		s := doc.Statement[0]
		if got := s.Condition["StringEquals"]["aws:ResourceTag/vend:enforce"]; got != "true" {
			t.Errorf("tag condition = %v, want aws:ResourceTag/vend:enforce = true", got)
		}
		exempt, _ := s.Condition["ArnNotLike"]["aws:PrincipalArn"].([]any)
		if want := []any{guardrailsTVMRole, "arn:aws:iam::" + guardrailsWorkload + ":role/break-glass"}; !slices.Equal(exempt, want) {
			t.Errorf("exempt principals = %v, want %v", exempt, want)
		}
	})
	for _, region := range []string{guardrailsRegion, guardrailsRegion2} {
		assertAuditRules(t, ctx, cli, "tag-gated", region, true)
	}
	t.Run("tag-gated/audit patterns", func(t *testing.T) { assertAuditPatterns(t, ctx, cli) })
	assertNoChanges(t, ctx, tf, nil)

	// Leaving the rollout: every protected role enforced. The two protected-role
	// policies change in place, so the targets are never without them.
	untagged := maps.Clone(tagged)
	untagged["deny-assume-protected-roles-except-tvm"] = "vend-deny-assume-protected-roles-except-tvm"
	untagged["rcp-deny-assume-protected-roles-except-tvm"] = "vend-rcp-deny-assume-protected-roles-except-tvm"
	enforce := map[string]string{"tag_gated": "false"}
	must(t, "apply enforce", tf.Apply(ctx, enforce))
	after := assertGuardrailPolicies(t, ctx, cli, tf, "enforce", untagged, targets)
	if !maps.Equal(ids, after) {
		t.Errorf("policy IDs changed from %v to %v: switching tag_gated must update the policies in place", ids, after)
	}
	for _, region := range []string{guardrailsRegion, guardrailsRegion2} {
		assertAuditRules(t, ctx, cli, "enforce", region, false)
	}
	assertNoChanges(t, ctx, tf, enforce)

	must(t, "destroy", tf.Destroy(ctx, enforce))
	t.Run("destroyed", func(t *testing.T) {
		for _, kind := range []string{"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"} {
			for _, p := range listPolicies(t, ctx, cli, kind) {
				if strings.HasPrefix(p.Name, "vend-") {
					t.Errorf("policy %s (%s) survived destroy", p.Name, p.ID)
				}
			}
		}
		for _, region := range []string{guardrailsRegion, guardrailsRegion2} {
			var topics struct{ Topics []struct{ TopicArn string } }
			cli.run(t, ctx, region, &topics, "sns", "list-topics")
			if len(topics.Topics) != 0 {
				t.Errorf("topics in %s after destroy: %+v", region, topics.Topics)
			}
		}
	})
}

type orgPolicy struct {
	ID   string `json:"Id"`
	Name string `json:"Name"`
	Type string `json:"Type"`
}

type guardrailDoc struct {
	Statement []struct {
		Sid       string
		Principal any
		Resource  any
		Condition map[string]map[string]any
	}
}

// assertGuardrailPolicies checks that exactly the wanted policies (output key => name)
// exist with the rendered content and type, each attached to exactly the targets, and
// returns their IDs by output key.
func assertGuardrailPolicies(t *testing.T, ctx context.Context, cli *awsCLI, tf *tfcli.Runner, step string, want map[string]string, targets []string) map[string]string {
	t.Helper()
	outputs, err := tf.Outputs(ctx)
	must(t, "outputs", err)
	var ids, rendered map[string]string
	output(t, outputs, "policy_ids", &ids)
	output(t, outputs, "rendered_policies", &rendered)
	if !slices.Equal(slices.Sorted(maps.Keys(ids)), slices.Sorted(maps.Keys(want))) {
		t.Fatalf("policy_ids = %v, want keys of %v", ids, want)
	}

	t.Run(step+"/policies", func(t *testing.T) {
		byID := map[string]orgPolicy{}
		for _, kind := range []string{"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"} {
			for _, p := range listPolicies(t, ctx, cli, kind) {
				p.Type = kind
				byID[p.ID] = p
			}
		}
		var ours []string
		for _, p := range byID {
			if strings.HasPrefix(p.Name, "vend-") {
				ours = append(ours, p.Name)
			}
		}
		if got, wantNames := slices.Sorted(slices.Values(ours)), slices.Sorted(maps.Values(want)); !slices.Equal(got, wantNames) {
			t.Errorf("policies in the organisation = %v, want %v", got, wantNames)
		}
		for key, name := range want {
			p, ok := byID[ids[key]]
			if !ok {
				t.Errorf("policy %s (%s) not in the organisation", key, ids[key])
				continue
			}
			wantType := "SERVICE_CONTROL_POLICY"
			if strings.HasPrefix(key, "rcp-") {
				wantType = "RESOURCE_CONTROL_POLICY"
			}
			if p.Name != name || p.Type != wantType {
				t.Errorf("policy %s = %s (%s), want %s (%s)", key, p.Name, p.Type, name, wantType)
			}
			var described struct{ Policy struct{ Content string } }
			cli.run(t, ctx, guardrailsRegion, &described, "organizations", "describe-policy", "--policy-id", ids[key])
			if described.Policy.Content != rendered[key] {
				t.Errorf("policy %s content:\n%s\nwant the rendered document:\n%s", key, described.Policy.Content, rendered[key])
			}
			if len(described.Policy.Content) > 5120 {
				t.Errorf("policy %s has %d characters, above 5,120", key, len(described.Policy.Content))
			}
			var attached struct {
				Targets []struct {
					TargetID string `json:"TargetId"`
				}
			}
			cli.run(t, ctx, guardrailsRegion, &attached, "organizations", "list-targets-for-policy", "--policy-id", ids[key])
			var got []string
			for _, a := range attached.Targets {
				got = append(got, a.TargetID)
			}
			if slices.Sort(got); !slices.Equal(got, targets) {
				t.Errorf("policy %s attached to %v, want %v", key, got, targets)
			}
		}
	})
	return ids
}

func listPolicies(t *testing.T, ctx context.Context, cli *awsCLI, kind string) []orgPolicy {
	t.Helper()
	var out struct{ Policies []orgPolicy }
	cli.run(t, ctx, guardrailsRegion, &out, "organizations", "list-policies", "--filter", kind)
	return out.Policies
}

func describePolicy(t *testing.T, ctx context.Context, cli *awsCLI, id string) guardrailDoc {
	t.Helper()
	var out struct{ Policy struct{ Content string } }
	cli.run(t, ctx, guardrailsRegion, &out, "organizations", "describe-policy", "--policy-id", id)
	var doc guardrailDoc
	if err := json.Unmarshal([]byte(out.Policy.Content), &doc); err != nil {
		t.Fatalf("decode policy %s: %v", id, err)
	}
	return doc
}

var guardrailRules = []string{"vend-assume-protected-role", "vend-assume-protected-role-cross-account"}

// assertAuditRules checks the rules of one region: present, receiving read-only
// management events, delivering to the region's topic, which lets exactly them publish;
// or, when !present, gone with their topic.
func assertAuditRules(t *testing.T, ctx context.Context, cli *awsCLI, step, region string, present bool) {
	t.Run(step+"/audit rules in "+region, func(t *testing.T) {
		var rules struct {
			Rules []struct {
				Name, Arn, State string
			}
		}
		cli.run(t, ctx, region, &rules, "events", "list-rules", "--name-prefix", "vend-")
		var topics struct{ Topics []struct{ TopicArn string } }
		cli.run(t, ctx, region, &topics, "sns", "list-topics")
		if !present {
			if len(rules.Rules) != 0 || len(topics.Topics) != 0 {
				t.Errorf("rules %+v and topics %+v remain, want none", rules.Rules, topics.Topics)
			}
			return
		}
		topic := "arn:aws:sns:" + region + ":" + guardrailsAccount + ":vend-guardrails-audit"
		if len(topics.Topics) != 1 || topics.Topics[0].TopicArn != topic {
			t.Fatalf("topics = %+v, want only %s", topics.Topics, topic)
		}
		var names, arns []string
		for _, r := range rules.Rules {
			names = append(names, r.Name)
			arns = append(arns, r.Arn)
			if r.State != "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" {
				t.Errorf("rule %s state = %s: AssumeRole is a read-only management event, a plain ENABLED rule never sees it", r.Name, r.State)
			}
			var tg struct{ Targets []struct{ Arn string } }
			cli.run(t, ctx, region, &tg, "events", "list-targets-by-rule", "--rule", r.Name)
			if len(tg.Targets) != 1 || tg.Targets[0].Arn != topic {
				t.Errorf("rule %s targets = %+v, want only %s", r.Name, tg.Targets, topic)
			}
		}
		if slices.Sort(names); !slices.Equal(names, guardrailRules) {
			t.Errorf("rules = %v, want %v", names, guardrailRules)
		}

		var attrs struct{ Attributes struct{ Policy string } }
		cli.run(t, ctx, region, &attrs, "sns", "get-topic-attributes", "--topic-arn", topic)
		var policy struct {
			Statement []struct {
				Principal struct{ Service string }
				Action    string
				Condition struct {
					ArnEquals map[string][]string
				}
			}
		}
		if err := json.Unmarshal([]byte(attrs.Attributes.Policy), &policy); err != nil {
			t.Fatalf("decode topic policy %q: %v", attrs.Attributes.Policy, err)
		}
		if len(policy.Statement) != 1 || policy.Statement[0].Principal.Service != "events.amazonaws.com" || policy.Statement[0].Action != "sns:Publish" {
			t.Fatalf("topic policy = %s, want one sns:Publish statement for events.amazonaws.com", attrs.Attributes.Policy)
		}
		if got := slices.Sorted(slices.Values(policy.Statement[0].Condition.ArnEquals["aws:SourceArn"])); !slices.Equal(got, slices.Sorted(slices.Values(arns))) {
			t.Errorf("topic policy source ARNs = %v, want the rules %v", got, arns)
		}
	})
}

// assertAuditPatterns copies both rules' patterns onto a scratch event bus with an SQS
// target (moto delivers to SQS, not SNS, and the real rules must keep their one
// target), sends CloudTrail-shaped AssumeRole events and checks which ones match.
func assertAuditPatterns(t *testing.T, ctx context.Context, cli *awsCLI) {
	const bus = "guardrails-probe"
	cli.run(t, ctx, guardrailsRegion, nil, "events", "create-event-bus", "--name", bus)
	var queue struct {
		QueueURL string `json:"QueueUrl"`
	}
	cli.run(t, ctx, guardrailsRegion, &queue, "sqs", "create-queue", "--queue-name", bus)
	queueARN := "arn:aws:sqs:" + guardrailsRegion + ":" + guardrailsAccount + ":" + bus
	for _, name := range guardrailRules {
		var rule struct{ EventPattern string }
		cli.run(t, ctx, guardrailsRegion, &rule, "events", "describe-rule", "--name", name)
		cli.run(t, ctx, guardrailsRegion, nil, "events", "put-rule", "--name", name, "--event-bus-name", bus, "--event-pattern", rule.EventPattern)
		cli.run(t, ctx, guardrailsRegion, nil, "events", "put-targets", "--rule", name, "--event-bus-name", bus, "--targets", "Id=probe,Arn="+queueARN)
	}

	protected := "arn:aws:iam::" + guardrailsWorkload + ":role/vend/deploy"
	roleSession := func(roleARN string) map[string]any {
		return map[string]any{"type": "AssumedRole", "sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": roleARN}}}
	}
	cases := []struct {
		id       string
		event    string
		role     string
		identity map[string]any
		alert    bool
	}{
		{"tvm", "AssumeRole", protected, roleSession(guardrailsTVMRole), false},
		{"workload-admin-role", "AssumeRole", protected, roleSession("arn:aws:iam::" + guardrailsWorkload + ":role/admin"), true},
		{"tvm-lookalike", "AssumeRole", protected, roleSession("arn:aws:iam::999999999999:role/vend-tvm/vend-tvm"), true},
		{"workload-iam-user", "AssumeRole", protected, map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::" + guardrailsWorkload + ":user/bob"}, true},
		{"security-iam-user", "AssumeRole", protected, map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::" + guardrailsSecurity + ":user/eve"}, true},
		{"saml", "AssumeRoleWithSAML", protected, map[string]any{"type": "SAMLUser", "principalId": "idp:alice"}, true},
		{"web-identity", "AssumeRoleWithWebIdentity", protected, map[string]any{"type": "WebIdentityUser", "principalId": "token.actions.githubusercontent.com:repo"}, true},
		{"owner-copy-tvm-account", "AssumeRole", protected, map[string]any{"type": "AWSAccount", "accountId": guardrailsSecurity, "principalId": "AROAEXAMPLE:vend"}, false},
		{"owner-copy-other-account", "AssumeRole", protected, map[string]any{"type": "AWSAccount", "accountId": "999999999999", "principalId": "AROAOTHER:x"}, true},
		{"unprotected-role", "AssumeRole", "arn:aws:iam::" + guardrailsWorkload + ":role/app", map[string]any{"type": "IAMUser"}, false},
	}
	var entries []map[string]string
	for _, c := range cases {
		detail, err := json.Marshal(map[string]any{
			"eventID":           c.id,
			"eventSource":       "sts.amazonaws.com",
			"eventName":         c.event,
			"requestParameters": map[string]any{"roleArn": c.role, "roleSessionName": c.id},
			"userIdentity":      c.identity,
		})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, map[string]string{"Source": "aws.sts", "DetailType": "AWS API Call via CloudTrail", "Detail": string(detail), "EventBusName": bus})
	}
	// PutEvents takes at most 10 entries.
	if len(entries) > 10 {
		t.Fatalf("%d events, PutEvents takes 10", len(entries))
	}
	b, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	var put struct{ FailedEntryCount int }
	cli.run(t, ctx, guardrailsRegion, &put, "events", "put-events", "--entries", string(b))
	if put.FailedEntryCount != 0 {
		t.Fatalf("put-events failed for %d entries", put.FailedEntryCount)
	}

	var got []string
	for {
		var msgs struct{ Messages []struct{ Body string } }
		cli.run(t, ctx, guardrailsRegion, &msgs, "sqs", "receive-message", "--queue-url", queue.QueueURL, "--max-number-of-messages", "10")
		if len(msgs.Messages) == 0 {
			break
		}
		for _, m := range msgs.Messages {
			var ev struct{ Detail struct{ EventID string } }
			if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
				t.Fatalf("decode delivered event %q: %v", m.Body, err)
			}
			got = append(got, ev.Detail.EventID)
		}
	}
	var want []string
	for _, c := range cases {
		if c.alert {
			want = append(want, c.id)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("events matched by the audit rules = %v, want %v", got, want)
	}
}

// awsCLI runs the AWS CLI against the local AWS with static test credentials, blind to
// the machine's AWS configuration.
type awsCLI struct {
	endpoint string
	env      []string
}

func newAWSCLI(t *testing.T, endpoint string) *awsCLI {
	t.Helper()
	env := []string{
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "credentials"),
		"AWS_PAGER=",
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return &awsCLI{endpoint: endpoint, env: env}
}

// run runs one aws command in region and decodes its JSON output into v (nil: ignore).
func (c *awsCLI) run(t *testing.T, ctx context.Context, region string, v any, args ...string) {
	t.Helper()
	args = append(args, "--endpoint-url", c.endpoint, "--region", region, "--output", "json")
	cmd := exec.CommandContext(ctx, awsCLIBinary, args...)
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if v == nil || stdout.Len() == 0 {
		return
	}
	if err := json.Unmarshal(stdout.Bytes(), v); err != nil {
		t.Fatalf("aws %s: decode %q: %v", strings.Join(args, " "), stdout.String(), err)
	}
}
