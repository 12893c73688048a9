package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vend-tvm/vend/internal/tfenv"
)

const completeExample = "terraform/examples/complete"

// AWSDeployTools are what a deploy to real AWS needs beyond Go (no local AWS).
var AWSDeployTools = []Tool{Tools.Terraform, Tools.AWSCLI}

// awsSettings are what a deploy to real AWS needs from the user's environment.
type awsSettings struct {
	TFVars       string // VEND_TFVARS: a tfvars file for examples/complete
	SmokeProfile string // VEND_SMOKE_PROFILE: a profile the deploying identity may get
	State        string // where the Terraform state lives
}

func (r *Runner) awsSettings() (awsSettings, error) {
	s := awsSettings{TFVars: os.Getenv("VEND_TFVARS"), SmokeProfile: os.Getenv("VEND_SMOKE_PROFILE"),
		State: r.path(filepath.Join(StateDir, "aws", "terraform.tfstate"))}
	var problems []string
	if s.TFVars == "" {
		problems = append(problems, "set VEND_TFVARS to a tfvars file for terraform/examples/complete: security_account_role_arn and workload_account_role_arns (the roles to deploy as in each account), region, ...")
	} else if _, err := os.Stat(s.TFVars); err != nil {
		problems = append(problems, fmt.Sprintf("VEND_TFVARS=%s: %v", s.TFVars, err))
	}
	if len(problems) > 0 {
		return s, errors.New("VEND_TARGET=aws deploys to real AWS accounts (run it with the management account's credentials):\n  - " + strings.Join(problems, "\n  - "))
	}
	return s, nil
}

// DeployAWS applies examples/complete to the AWS account of the caller's credentials,
// then smoke-tests the real Function URL through vend exec when VEND_SMOKE_PROFILE is set.
func (r *Runner) DeployAWS(ctx context.Context) error {
	s, err := r.awsSettings()
	if err != nil {
		return err
	}
	if missing := r.MissingTools(ctx, AWSDeployTools); len(missing) > 0 {
		return errors.New("deploy needs:\n" + DescribeMissing(missing))
	}
	if err := r.Step("check AWS credentials", func() error {
		return r.Run(ctx, Cmd{Args: []string{"aws", "sts", "get-caller-identity", "--output", "text"}})
	}); err != nil {
		return fmt.Errorf("%w\nset AWS credentials for the account to deploy to (AWS_PROFILE, SSO or keys)", err)
	}
	if err := r.BuildAll(ctx); err != nil {
		return err
	}
	env := append(tfenv.Base(), "TF_DATA_DIR="+r.path(filepath.Join(StateDir, "aws", "data")))
	chdir := "-chdir=" + completeExample
	if err := r.Step("terraform apply "+completeExample, func() error {
		if err := os.MkdirAll(filepath.Dir(s.State), 0o700); err != nil {
			return err
		}
		if err := r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "init", "-input=false"}}); err != nil {
			return err
		}
		// Real resources in a real account: Terraform shows the plan and asks, unless the
		// user says VEND_AUTO_APPROVE=true (for pipelines that reviewed the plan).
		args := []string{"terraform", chdir, "apply", "-state=" + s.State,
			"-var-file=" + s.TFVars, "-var", "lambda_zip=" + r.LambdaZipPath("arm64"), "-var", "architecture=arm64"}
		if os.Getenv("VEND_AUTO_APPROVE") == "true" {
			args = append(args, "-auto-approve", "-input=false")
		}
		return r.Run(ctx, Cmd{Env: awsApplyEnv(env), Args: args, Interactive: true})
	}); err != nil {
		return err
	}
	url, err := r.Output(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "output", "-raw", "-state=" + s.State, "url"}})
	if err != nil {
		return err
	}
	if s.SmokeProfile == "" {
		fmt.Fprintf(r.Stdout, "\nvend is deployed: %s\nset VEND_SMOKE_PROFILE to a profile you may get to smoke-test it, or run:\n  %s exec --remote-server %s PROFILE -- aws sts get-caller-identity\n", url, rel(r.CLIPath(), r.Root), url)
		return nil
	}
	return r.Step("smoke test through the Function URL", func() error {
		out, err := r.Output(ctx, Cmd{Args: []string{r.CLIPath(), "exec", "--remote-server", url, s.SmokeProfile, "--", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"}})
		if err != nil {
			return err
		}
		if !strings.Contains(out, ":assumed-role/") {
			return fmt.Errorf("the AWS CLI saw %q, not an assumed-role session", out)
		}
		fmt.Fprintf(r.Stdout, "    %s → %s\nvend is deployed: %s\n", s.SmokeProfile, out, url)
		return nil
	})
}

// DestroyAWS destroys what DeployAWS applied.
func (r *Runner) DestroyAWS(ctx context.Context) error {
	s, err := r.awsSettings()
	if err != nil {
		return err
	}
	env := append(tfenv.Base(), "TF_DATA_DIR="+r.path(filepath.Join(StateDir, "aws", "data")))
	return r.Step("terraform destroy "+completeExample, func() error {
		args := []string{"terraform", "-chdir=" + completeExample, "destroy", "-state=" + s.State,
			"-var-file=" + s.TFVars, "-var", "lambda_zip=" + r.LambdaZipPath("arm64"), "-var", "architecture=arm64"}
		if os.Getenv("VEND_AUTO_APPROVE") == "true" {
			args = append(args, "-auto-approve", "-input=false")
		}
		return r.Run(ctx, Cmd{Env: awsApplyEnv(env), Args: args, Interactive: true})
	})
}

// awsApplyEnv drops TF_INPUT=0 so that Terraform can ask for approval.
func awsApplyEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if kv != "TF_INPUT=0" {
			out = append(out, kv)
		}
	}
	return out
}
