package project

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// terraformEnv runs Terraform offline from the provider mirror when one is configured,
// with its working data under .vend/.
func (r *Runner) terraformEnv() ([]string, error) {
	env := []string{"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0",
		"TF_DATA_DIR=" + r.path(filepath.Join(StateDir, "terraform", "data"))}
	if mirror := ProviderMirror(); mirror != "" {
		rc := r.path(filepath.Join(StateDir, "terraform", "terraformrc"))
		if err := os.MkdirAll(filepath.Dir(rc), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(rc, []byte(MirrorCLIConfig(mirror)), 0o600); err != nil {
			return nil, err
		}
		env = append(env, "TF_CLI_CONFIG_FILE="+rc)
	}
	return env, nil
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
	DemoIdentities    map[string]struct {
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
	if out.AllowedProfile == "" || out.DeniedProfile == "" {
		missing = append(missing, "allowed_profile/denied_profile")
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

// ProviderMirror is the Terraform provider mirror to install from: VEND_TF_PROVIDER_MIRROR
// when set (empty means "download as usual"), else the machine image's mirror if present.
func ProviderMirror() string {
	if dir, ok := os.LookupEnv("VEND_TF_PROVIDER_MIRROR"); ok {
		return dir
	}
	const imageMirror = "/opt/tf-plugins"
	if st, err := os.Stat(filepath.Join(imageMirror, "registry.terraform.io", "hashicorp", "aws")); err == nil && st.IsDir() {
		return imageMirror
	}
	return ""
}

// MirrorCLIConfig is a Terraform CLI configuration that installs HashiCorp providers
// from mirror and any other provider directly.
func MirrorCLIConfig(mirror string) string {
	return fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
`, mirror)
}
