package project

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vend-tvm/vend/internal/tfenv"
)

// terraformEnv runs Terraform offline from the provider mirror when one is configured,
// with its working data under .vend/.
func (r *Runner) terraformEnv() ([]string, error) {
	dir := r.path(filepath.Join(StateDir, "terraform"))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	env, err := tfenv.Env(dir)
	if err != nil {
		return nil, err
	}
	return append(env, "TF_DATA_DIR="+filepath.Join(dir, "data")), nil
}

func (r *Runner) localTFState() string {
	return r.path(filepath.Join(StateDir, "terraform", "terraform.tfstate"))
}

// LocalOutputs are the outputs of terraform/examples/local that the runner uses.
type LocalOutputs struct {
	Region            string            `json:"region"`
	FunctionName      string            `json:"function_name"`
	AccountID         string            `json:"account_id"`
	Environment       map[string]string `json:"environment"`
	ProtectedRoleARNs map[string]string `json:"protected_role_arns"`
	AllowedProfile    string            `json:"allowed_profile"`
	DeniedProfile     string            `json:"denied_profile"`
	BreakglassProfile string            `json:"breakglass_profile"`
	ApprovalProfile   string            `json:"approval_profile"`
	EventsTopicARN    string            `json:"events_topic_arn"`
	// EventsQueueURL is the demo queue subscribed to the topic (subscribeEventsQueue).
	EventsQueueURL string `json:"-"`
	DemoIdentities map[string]struct {
		ARN             string `json:"arn"`
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
	} `json:"demo_identities"`
}

func (r *Runner) applyLocal(ctx context.Context, endpoint string) (LocalOutputs, error) {
	var out LocalOutputs
	env, err := r.terraformEnv()
	if err != nil {
		return out, err
	}
	env = append(env, "AWS_ENDPOINT_URL="+endpoint)
	chdir := "-chdir=" + localExample
	if err := r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "init", "-input=false", "-no-color"}}); err != nil {
		return out, err
	}
	arch := runtime.GOARCH
	vars := []string{"-var", "endpoint=" + endpoint, "-var", "lambda_zip=" + r.LambdaZipPath(arch), "-var", "architecture=" + lambdaArch(arch)}
	apply := append([]string{"terraform", chdir, "apply", "-input=false", "-auto-approve", "-no-color", "-state=" + r.localTFState()}, vars...)
	if err := r.Run(ctx, Cmd{Env: env, Args: apply}); err != nil {
		return out, err
	}
	// Outputs hold the demo callers' secret keys: read them, never print them.
	raw, err := r.Output(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "output", "-json", "-no-color", "-state=" + r.localTFState()}})
	if err != nil {
		return out, err
	}
	return parseLocalOutputs([]byte(raw))
}

func lambdaArch(goarch string) string {
	if goarch == "amd64" {
		return "x86_64"
	}
	return goarch
}

func parseLocalOutputs(raw []byte) (LocalOutputs, error) {
	var wrapped map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	var out LocalOutputs
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return out, fmt.Errorf("read terraform outputs: %w", err)
	}
	flat := map[string]json.RawMessage{}
	for k, v := range wrapped {
		flat[k] = v.Value
	}
	data, _ := json.Marshal(flat)
	if err := json.Unmarshal(data, &out); err != nil {
		return out, fmt.Errorf("read terraform outputs: %w", err)
	}
	var missing []string
	if out.AllowedProfile == "" || out.DeniedProfile == "" || out.BreakglassProfile == "" {
		missing = append(missing, "allowed_profile/denied_profile/breakglass_profile")
	}
	if out.ApprovalProfile == "" || out.DemoIdentities["approver"].SecretAccessKey == "" {
		missing = append(missing, "approval_profile/demo_identities.approver")
	}
	if out.EventsTopicARN == "" {
		missing = append(missing, "events_topic_arn")
	}
	if len(out.Environment) == 0 {
		missing = append(missing, "environment")
	}
	if out.DemoIdentities["allowed"].SecretAccessKey == "" || out.DemoIdentities["denied"].SecretAccessKey == "" {
		missing = append(missing, "demo_identities")
	}
	if out.ProtectedRoleARNs[out.AllowedProfile] == "" {
		missing = append(missing, "protected_role_arns")
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("terraform outputs lack %s", strings.Join(missing, ", "))
	}
	return out, nil
}
