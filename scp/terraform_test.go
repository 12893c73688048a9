package scp

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestTerraformRendersLikeGo applies testdata/terraform (no providers, outputs only)
// with each parameter set and checks that Terraform derives the same template variables
// and that templatefile() renders every template to the same JSON as the Go renderer.
func TestTerraformRendersLikeGo(t *testing.T) {
	tf, err := exec.LookPath("terraform")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("terraform is required when CI=true: %v", err)
		}
		t.Skipf("terraform not on PATH: %v", err)
	}
	templatesDir, err := filepath.Abs("templates")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "terraform", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	cliConfig := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(cliConfig, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(ctx, tf, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(),
			"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0", "TF_CLI_CONFIG_FILE="+cliConfig)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("terraform %v: %v\n%s%s", args, err, stdout.Bytes(), stderr.Bytes())
		}
		return stdout.Bytes()
	}
	run("init", "-input=false", "-no-color")

	for _, file := range paramFiles {
		t.Run(filepath.Base(file), func(t *testing.T) {
			p := loadParams(t, file).WithDefaults()
			tfvars, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			varFile := filepath.Join(dir, "params.tfvars.json")
			if err := os.WriteFile(varFile, tfvars, 0o644); err != nil {
				t.Fatal(err)
			}
			run("apply", "-auto-approve", "-input=false", "-no-color", "-var-file="+varFile, "-var", "templates_dir="+templatesDir)
			var outputs struct {
				TemplateVars struct{ Value map[string]any } `json:"template_vars"`
				Rendered     struct{ Value map[string]string }
			}
			if err := json.Unmarshal(run("output", "-json", "-no-color"), &outputs); err != nil {
				t.Fatal(err)
			}

			vars, err := TemplateVars(p)
			if err != nil {
				t.Fatal(err)
			}
			goVars, _ := json.Marshal(vars)
			tfVars, _ := json.Marshal(outputs.TemplateVars.Value)
			if !jsonEqual(t, goVars, tfVars) {
				t.Errorf("template variables differ\n    go: %s\nterraform: %s", goVars, tfVars)
			}

			ts := Templates()
			if len(outputs.Rendered.Value) != len(ts) {
				t.Errorf("terraform rendered %d templates, Go embeds %d", len(outputs.Rendered.Value), len(ts))
			}
			for _, tmpl := range ts {
				doc, err := Render(tmpl, p)
				if err != nil {
					t.Fatal(err)
				}
				tfDoc, ok := outputs.Rendered.Value[tmpl.Path]
				if !ok {
					t.Errorf("terraform did not render %s", tmpl.Path)
					continue
				}
				if !jsonEqual(t, doc.JSON, []byte(tfDoc)) {
					t.Errorf("%s renders differently\n       go: %s\nterraform: %s", tmpl.Path, doc.JSON, tfDoc)
				}
			}
		})
	}
}
