package tfenv

import (
	"fmt"
	"os"
	"path/filepath"
)

// MirrorEnv names the environment variable holding the provider mirror directory (a
// folder with registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/ inside). Set but
// empty means "no mirror: install providers the normal way".
const MirrorEnv = "VEND_TF_PROVIDER_MIRROR"

// DefaultMirror is the mirror that ships with the build machines, used when MirrorEnv
// is unset and the directory holds the AWS provider.
const DefaultMirror = "/opt/tf-plugins"

// Binary is the terraform executable looked up on PATH.
const Binary = "terraform"

// Mirror returns the provider mirror directory to use, or "" for normal installation.
func Mirror() string {
	if dir, ok := os.LookupEnv(MirrorEnv); ok {
		return dir
	}
	if st, err := os.Stat(filepath.Join(DefaultMirror, "registry.terraform.io", "hashicorp", "aws")); err == nil && st.IsDir() {
		return DefaultMirror
	}
	return ""
}

// CLIConfig is a Terraform CLI configuration that installs HashiCorp providers from
// mirror and any other provider directly.
func CLIConfig(mirror string) string {
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

// Base is the environment every terraform command gets: no update check, no prompts.
func Base() []string {
	return []string{"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0"}
}

// Env returns Base plus, when a mirror is configured, TF_CLI_CONFIG_FILE pointing at a
// CLI configuration for it, written into dir (a folder the caller owns).
func Env(dir string) ([]string, error) {
	env := Base()
	mirror := Mirror()
	if mirror == "" {
		return env, nil
	}
	path := filepath.Join(dir, "terraform.rc")
	if err := os.WriteFile(path, []byte(CLIConfig(mirror)), 0o600); err != nil {
		return nil, fmt.Errorf("write terraform cli config: %w", err)
	}
	return append(env, "TF_CLI_CONFIG_FILE="+path), nil
}
