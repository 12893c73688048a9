package tfcli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMirror(t *testing.T) {
	tests := []struct {
		name  string
		set   bool
		value string
		want  func(string) bool
	}{
		{name: "explicit directory", set: true, value: "/srv/mirror", want: func(s string) bool { return s == "/srv/mirror" }},
		{name: "set but empty means normal installation", set: true, value: "", want: func(s string) bool { return s == "" }},
		{name: "unset falls back to the machine mirror when present", want: func(s string) bool {
			_, err := os.Stat(filepath.Join(DefaultMirror, "registry.terraform.io", "hashicorp", "aws"))
			return (err == nil) == (s == DefaultMirror) && (s == "" || s == DefaultMirror)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.set {
				t.Setenv(MirrorEnv, tt.value)
			} else {
				t.Setenv(MirrorEnv, "")
				os.Unsetenv(MirrorEnv)
			}
			if got := Mirror(); !tt.want(got) {
				t.Errorf("Mirror() = %q", got)
			}
		})
	}
}

func TestNewWritesCLIConfig(t *testing.T) {
	t.Setenv(MirrorEnv, "/srv/mirror")
	scratch := t.TempDir()
	r, err := New("dir", scratch)
	if err != nil {
		t.Fatal(err)
	}
	want := "TF_CLI_CONFIG_FILE=" + filepath.Join(scratch, "terraform.rc")
	if !slices.Contains(r.Env, want) || !slices.Contains(r.Env, "CHECKPOINT_DISABLE=1") || !slices.Contains(r.Env, "TF_IN_AUTOMATION=1") {
		t.Fatalf("Env = %v, want %s, CHECKPOINT_DISABLE and TF_IN_AUTOMATION", r.Env, want)
	}
	b, err := os.ReadFile(filepath.Join(scratch, "terraform.rc"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `path    = "/srv/mirror"`) || !strings.Contains(string(b), "filesystem_mirror") {
		t.Errorf("CLI config lacks the mirror:\n%s", b)
	}

	t.Setenv(MirrorEnv, "")
	r, err = New("dir", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Env {
		if strings.HasPrefix(e, "TF_CLI_CONFIG_FILE=") {
			t.Errorf("without a mirror Env must not set a CLI config: %v", r.Env)
		}
	}
}

func TestCopyTree(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"modules/m/main.tf":                   "# main",
		"modules/m/tests/testdata/a.zip":      "zip",
		"modules/m/.terraform/providers/x":    "skip",
		"modules/m/.terraform.lock.hcl":       "skip",
		"examples/e/terraform.tfstate":        "skip",
		"examples/e/terraform.tfstate.backup": "skip",
		"examples/e/terraform.tfvars":         "skip",
		"examples/e/policy.yaml":              "keep",
	}
	for name, content := range files {
		path := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "copy")
	if err := CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		b, err := os.ReadFile(filepath.Join(dst, name))
		if content == "skip" {
			if err == nil {
				t.Errorf("%s was copied", name)
			}
			continue
		}
		if err != nil || string(b) != content {
			t.Errorf("%s = %q, %v; want %q", name, b, err, content)
		}
	}
}

// TestRunner drives a provider-less configuration through init, apply, plan, output
// and destroy, so it needs terraform but no provider.
func TestRunner(t *testing.T) {
	if _, err := exec.LookPath(Binary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("terraform is not on PATH and CI=true: %v", err)
		}
		t.Skip("terraform is not on PATH (set CI=true to make this a failure)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	dir := t.TempDir()
	cfg := `variable "greeting" {
  type = string
}
resource "terraform_data" "this" {
  input = var.greeting
}
output "greeting" {
  value = terraform_data.this.output
}
output "secret" {
  value     = "s3cr3t-value"
  sensitive = true
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := New(dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	r.Log = &log
	vars := map[string]string{"greeting": "hello"}

	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if changes, out, err := r.PlanChanges(ctx, vars); err != nil || !changes {
		t.Fatalf("PlanChanges before apply = %v, %v; want changes\n%s", changes, err, out)
	}
	if err := r.Apply(ctx, vars); err != nil {
		t.Fatal(err)
	}
	if changes, out, err := r.PlanChanges(ctx, vars); err != nil || changes {
		t.Fatalf("PlanChanges after apply = %v, %v; want none\n%s", changes, err, out)
	}
	outputs, err := r.Outputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var greeting string
	if err := json.Unmarshal(outputs["greeting"], &greeting); err != nil || greeting != "hello" {
		t.Errorf("output greeting = %q, %v", greeting, err)
	}
	if strings.Contains(log.String(), "s3cr3t-value") {
		t.Error("the log holds a sensitive output value")
	}
	state, err := r.StateList(ctx)
	if err != nil || !slices.Equal(state, []string{"terraform_data.this"}) {
		t.Errorf("StateList = %v, %v", state, err)
	}
	if err := r.Destroy(ctx, vars); err != nil {
		t.Fatal(err)
	}

	_, err = r.Run(ctx, "plan", "-var", "nope=1")
	var tfErr *Error
	if !errors.As(err, &tfErr) || !strings.Contains(tfErr.Error(), "terraform plan") {
		t.Errorf("a failing command returns %v, want *Error naming the command", err)
	}
}
