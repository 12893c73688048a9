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
// with the working data of the root module example under .vend/.
func (r *Runner) terraformEnv(example string) ([]string, error) {
	dir := r.path(filepath.Join(StateDir, "terraform"))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	env, err := tfenv.Env(dir)
	if err != nil {
		return nil, err
	}
	data := "data"
	if example != localExample {
		data += "-" + filepath.Base(example)
	}
	return append(env, "TF_DATA_DIR="+filepath.Join(dir, data)), nil
}

func (r *Runner) localTFState() string {
	return r.path(filepath.Join(StateDir, "terraform", "terraform.tfstate"))
}

func (r *Runner) organizationTFState() string {
	return r.path(filepath.Join(StateDir, "terraform", "organization.tfstate"))
}

// organizationVars is the var file that hands examples/local-organization's outputs to
// examples/local, for apply and destroy alike.
func (r *Runner) organizationVars() string {
	return r.path(filepath.Join(StateDir, "terraform", "organization.tfvars.json"))
}

// applyOrganization makes the local organisation (examples/local-organization) and
// writes its outputs as examples/local's organization variable.
func (r *Runner) applyOrganization(ctx context.Context, endpoint string) error {
	env, err := r.terraformEnv(localOrgExample)
	if err != nil {
		return err
	}
	env = append(env, "AWS_ENDPOINT_URL="+endpoint)
	chdir := "-chdir=" + localOrgExample
	if err := r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "init", "-input=false", "-no-color"}}); err != nil {
		return err
	}
	if err := r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "apply", "-input=false", "-auto-approve", "-no-color",
		"-state=" + r.organizationTFState(), "-var", "endpoint=" + endpoint}}); err != nil {
		return err
	}
	raw, err := r.Output(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "output", "-json", "-no-color", "-state=" + r.organizationTFState()}})
	if err != nil {
		return err
	}
	var outs map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(raw), &outs); err != nil {
		return fmt.Errorf("read the organisation's outputs: %w", err)
	}
	org := map[string]json.RawMessage{}
	for _, k := range []string{"management_account_id", "security_account_id", "workload_account_ids", "organization_id", "root_id", "security_ou_id", "workloads_ou_id"} {
		v, ok := outs[k]
		if !ok {
			return fmt.Errorf("%s has no output %s", localOrgExample, k)
		}
		org[k] = v.Value
	}
	data, err := json.MarshalIndent(map[string]any{"organization": org}, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(r.organizationVars(), data)
}

// guardrailsMode is VEND_GUARDRAILS_MODE (audit or enforce), enforce by default.
func guardrailsMode() (string, error) {
	switch m := os.Getenv("VEND_GUARDRAILS_MODE"); m {
	case "":
		return "enforce", nil
	case "audit", "enforce":
		return m, nil
	default:
		return "", fmt.Errorf("VEND_GUARDRAILS_MODE=%q: want audit (the guardrails only report) or enforce (the SCPs and RCPs attached, the default)", m)
	}
}

// localVars are the variables go tool mage deploy passes to examples/local.
func (r *Runner) localVars(endpoint string) ([]string, error) {
	mode, err := guardrailsMode()
	if err != nil {
		return nil, err
	}
	arch := runtime.GOARCH
	return []string{"-var", "endpoint=" + endpoint, "-var", "lambda_zip=" + r.LambdaZipPath(arch), "-var", "architecture=" + lambdaArch(arch),
		"-var-file=" + r.organizationVars(), "-var", "guardrails_mode=" + mode}, nil
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
	TVMRoleARN        string            `json:"tvm_role_arn"`
	// The organisation: the TVM in the security account, roles in the workload
	// accounts, the demo callers in the caller account (dev).
	ManagementAccountID string            `json:"management_account_id"`
	SecurityAccountID   string            `json:"security_account_id"`
	WorkloadAccountIDs  []string          `json:"workload_account_ids"`
	WorkloadProfiles    map[string]string `json:"workload_profiles"`
	CallerAccountID     string            `json:"caller_account_id"`
	Guardrails          struct {
		Mode             string            `json:"mode"`
		Params           json.RawMessage   `json:"params"`
		PolicyIDs        map[string]string `json:"policy_ids"`
		RenderedPolicies map[string]string `json:"rendered_policies"`
		TargetIDs        []string          `json:"target_ids"`
		RCPTargetIDs     []string          `json:"rcp_target_ids"`
	} `json:"guardrails"`
	// EventsQueueURL is the demo queue subscribed to the topic (subscribeEventsQueue),
	// in the security account; SecurityEnv a session there that reads it.
	EventsQueueURL string   `json:"-"`
	SecurityEnv    []string `json:"-"`
	DemoIdentities map[string]struct {
		ARN             string `json:"arn"`
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
	} `json:"demo_identities"`
}

func (r *Runner) applyLocal(ctx context.Context, endpoint string) (LocalOutputs, error) {
	var out LocalOutputs
	env, err := r.terraformEnv(localExample)
	if err != nil {
		return out, err
	}
	env = append(env, "AWS_ENDPOINT_URL="+endpoint)
	chdir := "-chdir=" + localExample
	if err := r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "init", "-input=false", "-no-color"}}); err != nil {
		return out, err
	}
	vars, err := r.localVars(endpoint)
	if err != nil {
		return out, err
	}
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
	if out.SecurityAccountID == "" || out.CallerAccountID == "" || len(out.WorkloadAccountIDs) < 2 || len(out.WorkloadProfiles) != len(out.WorkloadAccountIDs) || out.TVMRoleARN == "" {
		missing = append(missing, "security_account_id/caller_account_id/workload_account_ids/workload_profiles/tvm_role_arn")
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("terraform outputs lack %s", strings.Join(missing, ", "))
	}
	return out, nil
}
