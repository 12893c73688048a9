package e2e

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// trustCheckConfig is a root module, applied next to the modules: a protected role made
// by the protected-role module for a TVM in another account, and a principal of the
// role's own account that may call sts:AssumeRole on anything, with a control role that
// trusts it.
const trustCheckConfig = `
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}

variable "endpoint" { type = string }

module "protected" {
  source       = "../modules/protected-role"
  name         = "vend-tvm-admin"
  tvm_role_arn = "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm"
}

resource "aws_iam_user" "insider" {
  name = "insider"
}

resource "aws_iam_user_policy" "insider" {
  name   = "assume-anything"
  user   = aws_iam_user.insider.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Resource = "*" }] })
}

resource "aws_iam_access_key" "insider" {
  user = aws_iam_user.insider.name
}

resource "aws_iam_role" "control" {
  name               = "control"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { AWS = aws_iam_user.insider.arn }, Action = "sts:AssumeRole" }] })
}

output "protected_role_arn" { value = module.protected.role_arn }
output "control_role_arn" { value = aws_iam_role.control.arn }
output "access_key_id" { value = aws_iam_access_key.insider.id }
output "secret_access_key" {
  value     = aws_iam_access_key.insider.secret
  sensitive = true
}
`

// TestTrustPolicyRefusesDirectAssume turns on the local AWS's request authorisation
// (moto's auth enforcement, which evaluates the caller's identity policies and, for
// sts:AssumeRole on a role of the caller's own account, the role's trust policy) and
// shows that a principal of a workload account allowed sts:AssumeRole on everything is
// still refused a protected role, because the protected-role module's trust policy names
// only the TVM; while the same principal gets a role that trusts it. The local AWS
// checks no trust policy across accounts and evaluates no SCP or RCP: the offline
// evaluator (vend scp simulate) and scp:crosscheck cover those with the same documents.
func TestTrustPolicyRefusesDirectAssume(t *testing.T) {
	ctx, srv, ws := startApply(t, 5*time.Minute)
	dir := filepath.Join(ws, "trustcheck")
	must(t, "mkdir", os.MkdirAll(dir, 0o755))
	must(t, "write config", os.WriteFile(filepath.Join(dir, "main.tf"), []byte(trustCheckConfig), 0o644))
	tf := newRunner(t, dir)
	vars := map[string]string{"endpoint": srv.Endpoint()}
	must(t, "init", tf.Init(ctx))
	must(t, "apply", tf.Apply(ctx, vars))
	outputs, err := tf.Outputs(ctx)
	must(t, "outputs", err)
	var protected, control, keyID, secret string
	output(t, outputs, "protected_role_arn", &protected)
	output(t, outputs, "control_role_arn", &control)
	output(t, outputs, "access_key_id", &keyID)
	output(t, outputs, "secret_access_key", &secret)

	// From here on this test's local AWS authorises every request.
	setAuth(t, ctx, srv.Endpoint(), "0")

	insider := sts.NewFromConfig(awsConfigFor(srv.Endpoint(), keyID, secret))
	_, err = insider.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(protected), RoleSessionName: aws.String("direct")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Errorf("the insider assuming %s directly: err = %v, want AccessDenied from the trust policy", protected, err)
	}
	if _, err := insider.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(control), RoleSessionName: aws.String("control")}); err != nil {
		t.Errorf("the insider assuming the control role that trusts it: %v (the check would then prove nothing)", err)
	}
}

// setAuth sets how many more requests moto serves before it authorises every request
// ("0": from now on), through its moto-api.
func setAuth(t *testing.T, ctx context.Context, endpoint, count string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/moto-api/reset-auth", strings.NewReader(count))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("moto-api reset-auth: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moto-api reset-auth answered %s", resp.Status)
	}
}
