package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// DeployTools are what a local deploy needs beyond Go.
var DeployTools = []Tool{Tools.Terraform, Tools.MotoServer, Tools.AWSCLI}

// DeployLocal builds everything, starts the local AWS, applies the local example, runs
// the TVM under the Lambda Runtime Interface Emulator behind the SigV4-verifying front,
// smoke-tests it with the AWS CLI through vend, and writes .vend/local.env.
func (r *Runner) DeployLocal(ctx context.Context) error {
	if missing := r.MissingTools(ctx, DeployTools); len(missing) > 0 {
		return errors.New("deploy needs tools this machine lacks:\n" + DescribeMissing(missing))
	}
	if runtime.GOOS != "linux" {
		return errors.New("the local deploy runs the Linux bootstrap under the Lambda Runtime Interface Emulator: run it on Linux, or deploy to AWS with VEND_TARGET=aws")
	}
	if err := r.BuildAll(ctx); err != nil {
		return err
	}
	rie := r.path(filepath.Join(BinDir, "aws-lambda-rie"))
	if err := r.Step("build Lambda Runtime Interface Emulator", func() error {
		return r.Run(ctx, Cmd{Dir: "magefiles", Args: []string{"go", "build", "-o", rie, "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"}})
	}); err != nil {
		return err
	}
	state, err := r.loadState()
	if err != nil && !errors.Is(err, errNoState) {
		return err
	}
	if err := r.Step("start local AWS (moto_server)", func() error { return r.startMoto(ctx, &state) }); err != nil {
		return err
	}
	if err := r.Step("terraform apply "+localOrgExample+" (management, security and two workload accounts)", func() error {
		return r.applyOrganization(ctx, state.Moto.URL)
	}); err != nil {
		return err
	}
	var out LocalOutputs
	if err := r.Step("terraform apply "+localExample+" (the TVM in security, roles in dev and prod, guardrails from management)", func() error {
		var err error
		out, err = r.applyLocal(ctx, state.Moto.URL)
		return err
	}); err != nil {
		return err
	}
	if err := r.Step("subscribe a queue to the events topic", func() error {
		var err error
		out.EventsQueueURL, err = r.subscribeEventsQueue(ctx, state.Moto.URL, &out)
		return err
	}); err != nil {
		return err
	}
	if err := r.Step("check the attached guardrails against vend scp render", func() error {
		return r.checkGuardrails(ctx, state.Moto.URL, out)
	}); err != nil {
		return err
	}
	if err := r.Step("start the TVM under the Runtime Interface Emulator, as its role in the security account", func() error {
		return r.startRIE(ctx, &state, rie, out)
	}); err != nil {
		return err
	}
	if err := r.Step("start the Function URL front", func() error { return r.startFront(ctx, &state, out) }); err != nil {
		return err
	}
	if err := r.Step("write "+LocalEnvFile, func() error { return r.writeLocalEnv(state, out) }); err != nil {
		return err
	}
	if err := r.Step("smoke test with the AWS CLI through vend exec", func() error {
		return r.SmokeTest(ctx, r.path(LocalEnvFile), out.ProtectedRoleARNs[out.AllowedProfile])
	}); err != nil {
		return err
	}
	if err := r.Step("sweep through the emulator, as EventBridge's schedule would", func() error {
		return r.smokeSweep(ctx, state.RIE.URL)
	}); err != nil {
		return err
	}
	r.printLocalHowTo(state, out)
	return nil
}

// subscribeEventsQueue makes a queue on the local AWS and subscribes it, with raw
// delivery, to the TVM's events topic, so that the demo and the smoke test can read the
// events. It is a reader for the demo, not part of the stack: Terraform's AWS provider
// waits 25 seconds after creating any queue for AWS to settle
// (hashicorp/terraform-provider-aws#27393), which the local AWS never needs, so the
// deploy makes it with the AWS CLI. In a real account, subscribe what your team reads.
func (r *Runner) subscribeEventsQueue(ctx context.Context, endpoint string, out *LocalOutputs) (string, error) {
	env, err := r.accountEnv(ctx, endpoint, out.Region, out.SecurityAccountID)
	if err != nil {
		return "", err
	}
	out.SecurityEnv = env
	aws := func(args ...string) (string, error) {
		return r.Output(ctx, Cmd{Env: env, Args: append([]string{"aws", "--endpoint-url", endpoint, "--output", "text"}, args...)})
	}
	name := out.FunctionName + "-events"
	url, err := aws("sqs", "create-queue", "--queue-name", name, "--query", "QueueUrl")
	if err != nil {
		return "", err
	}
	queueARN := "arn:aws:sqs:" + out.Region + ":" + out.SecurityAccountID + ":" + name
	_, err = aws("sns", "subscribe", "--topic-arn", out.EventsTopicARN, "--protocol", "sqs", "--notification-endpoint", queueARN,
		"--attributes", "RawMessageDelivery=true")
	return strings.TrimSpace(url), err
}

func (r *Runner) printLocalHowTo(s LocalState, out LocalOutputs) {
	fmt.Fprintf(r.Stdout, `
vend is running on the local AWS, in an organisation (management %[6]s):
  TVM (Function URL front): %[1]s, in the security account %[7]s
  protected roles:          in the workload accounts %[8]s; demo callers in %[9]s
  local AWS (moto_server):  %[2]s
  logs:                     %[3]s/logs/

Try it:
  . %[4]s
  %[5]s exec "$VEND_DEMO_ALLOWED_PROFILE" -- aws sts get-caller-identity   # dev
  %[5]s exec %[10]s -- aws sts get-caller-identity   # prod, through the same TVM
  %[5]s exec "$VEND_DEMO_DENIED_PROFILE" -- aws sts get-caller-identity   # denied, with the rule and reason
  %[5]s exec --reason 'INC-1: the demo' "$VEND_DEMO_BREAKGLASS_PROFILE" -- aws sts get-caller-identity   # break-glass
  %[5]s request "$VEND_DEMO_APPROVAL_PROFILE" --reason 'CHG-1: the demo'   # prints the request ID; then, as the approver:
  AWS_ACCESS_KEY_ID=$VEND_DEMO_APPROVER_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$VEND_DEMO_APPROVER_SECRET_ACCESS_KEY %[5]s approve ID
  %[5]s exec "$VEND_DEMO_APPROVAL_PROFILE" -- aws sts get-caller-identity   # within the grant
  AWS_ACCESS_KEY_ID=$VEND_DEMO_APPROVER_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$VEND_DEMO_APPROVER_SECRET_ACCESS_KEY %[5]s revoke --request ID   # ends the grant and its sessions
  AWS_ACCESS_KEY_ID=$VEND_DEMO_SECURITY_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$VEND_DEMO_SECURITY_SECRET_ACCESS_KEY AWS_SESSION_TOKEN=$VEND_DEMO_SECURITY_SESSION_TOKEN \
    aws sqs receive-message --endpoint-url "$AWS_ENDPOINT_URL" --queue-url "$VEND_DEMO_EVENTS_QUEUE_URL"   # its alert, in the security account (AWS CLI v1 ignores AWS_ENDPOINT_URL for SQS: aws/aws-cli#8737)
  %[5]s profiles
  %[5]s whoami

Stop and remove it: go tool mage destroy
`, s.Front.URL, s.Moto.URL, StateDir, LocalEnvFile, rel(r.CLIPath(), r.Root),
		out.ManagementAccountID, out.SecurityAccountID, strings.Join(out.WorkloadAccountIDs, ", "), out.CallerAccountID, workloadProfiles(out)[len(out.WorkloadAccountIDs)-1])
}

// destroyExample runs terraform destroy on example with its state and variables.
func (r *Runner) destroyExample(ctx context.Context, example, endpoint, state string, vars []string) error {
	env, err := r.terraformEnv(example)
	if err != nil {
		return err
	}
	env = append(env, "AWS_ENDPOINT_URL="+endpoint)
	chdir := "-chdir=" + example
	if err := r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "init", "-input=false", "-no-color"}}); err != nil {
		return err
	}
	return r.Run(ctx, Cmd{Env: env, Args: append([]string{"terraform", chdir, "destroy", "-input=false", "-auto-approve", "-no-color", "-state=" + state}, vars...)})
}

// accountEnv is an AWS CLI environment acting in account of the local organisation,
// as OrganizationAccountAccessRole there (what the deploy's Terraform assumes).
func (r *Runner) accountEnv(ctx context.Context, endpoint, region, account string) ([]string, error) {
	return r.sessionEnv(ctx, endpoint, region, "arn:aws:iam::"+account+":role/OrganizationAccountAccessRole", "vend-deploy")
}

// sessionEnv is an AWS CLI environment with a session of roleARN, got from the local
// AWS's STS with the management account's test credentials.
func (r *Runner) sessionEnv(ctx context.Context, endpoint, region, roleARN, session string) ([]string, error) {
	base := []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region, "AWS_ENDPOINT_URL=" + endpoint}
	out, err := r.Output(ctx, Cmd{Env: base, Args: []string{"aws", "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", session,
		"--query", "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]", "--output", "text"}})
	if err != nil {
		return nil, fmt.Errorf("assume %s: %w", roleARN, err)
	}
	f := strings.Fields(out)
	if len(f) != 3 {
		return nil, fmt.Errorf("assume %s: want three credential fields from STS", roleARN)
	}
	return []string{"AWS_ACCESS_KEY_ID=" + f[0], "AWS_SECRET_ACCESS_KEY=" + f[1], "AWS_SESSION_TOKEN=" + f[2],
		"AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region, "AWS_ENDPOINT_URL=" + endpoint}, nil
}

func rel(path, root string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}

// DestroyLocal destroys the local example's resources and stops every process deploy
// started. It works after a failed or partial deploy too.
func (r *Runner) DestroyLocal(ctx context.Context) error {
	state, err := r.loadState()
	if errors.Is(err, errNoState) {
		fmt.Fprintln(r.Stdout, "no local stack state: nothing to destroy")
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	alive := state.Moto != nil && state.Moto.Alive()
	_, orgErr := os.Stat(r.organizationVars())
	if _, statErr := os.Stat(r.localTFState()); statErr == nil && orgErr == nil && alive {
		errs = append(errs, r.Step("terraform destroy "+localExample, func() error {
			vars, err := r.localVars(state.Moto.URL)
			if err != nil {
				return err
			}
			return r.destroyExample(ctx, localExample, state.Moto.URL, r.localTFState(), vars)
		}))
	}
	if _, statErr := os.Stat(r.organizationTFState()); statErr == nil && alive && errors.Join(errs...) == nil {
		errs = append(errs, r.Step("terraform destroy "+localOrgExample, func() error {
			return r.destroyExample(ctx, localOrgExample, state.Moto.URL, r.organizationTFState(), []string{"-var", "endpoint=" + state.Moto.URL})
		}))
	}
	for _, p := range []*Proc{state.Front, state.RIE, state.Moto} {
		if p == nil {
			continue
		}
		errs = append(errs, r.Step("stop "+p.Name, func() error { return p.Stop(10 * time.Second) }))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, f := range []string{stateFile, LocalEnvFile, ".vend/identities.json", ".vend/front.url", ".vend/terraform/terraform.tfstate", ".vend/terraform/terraform.tfstate.backup",
		".vend/terraform/organization.tfstate", ".vend/terraform/organization.tfstate.backup", ".vend/terraform/organization.tfvars.json"} {
		_ = os.Remove(r.path(f))
	}
	fmt.Fprintln(r.Stdout, "local stack destroyed")
	return nil
}
