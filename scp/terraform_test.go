package scp

import (
	"bytes"
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

	"github.com/vend-tvm/vend/internal/tfenv"
)

// guardrailsModule is the org-guardrails module, relative to this package.
const guardrailsModule = "../terraform/modules/org-guardrails"

// TestTerraformRendersLikeGo plans the org-guardrails module itself (through the root
// configuration testdata/terraform) with each parameter set, untagged and tag-gated, and
// checks that it selects the templates TemplatesFor selects and renders each one to
// exactly the Go renderer's bytes (both write keys sorted, see canonicalJSON). Without
// tvm_function_arn, which Go refuses to render with, the module must render nothing
// either.
func TestTerraformRendersLikeGo(t *testing.T) {
	tf, err := exec.LookPath(tfenv.Binary)
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
	scratch := t.TempDir()
	dir := filepath.Join(scratch, "scp", "testdata", "terraform")
	copyTerraformFiles(t, filepath.Join("testdata", "terraform"), dir)
	copyTerraformFiles(t, guardrailsModule, filepath.Join(scratch, "terraform", "modules", "org-guardrails"))

	env, err := tfenv.Env(scratch)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	run := func(t *testing.T, args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(ctx, tf, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("terraform %v: %v\n%s%s", args, err, stdout.Bytes(), stderr.Bytes())
		}
		return stdout.Bytes()
	}
	run(t, "init", "-input=false", "-no-color", "-backend=false")

	// plan plans the module with vars and returns its outputs.
	plan := func(t *testing.T, vars map[string]any) (rendered map[string]string, templates []string) {
		t.Helper()
		vars["templates_dir"] = templatesDir
		b, err := json.Marshal(vars)
		if err != nil {
			t.Fatal(err)
		}
		varFile := filepath.Join(scratch, "test.tfvars.json")
		if err := os.WriteFile(varFile, b, 0o644); err != nil {
			t.Fatal(err)
		}
		planFile := filepath.Join(scratch, "test.tfplan")
		run(t, "plan", "-input=false", "-no-color", "-var-file="+varFile, "-out="+planFile)
		var shown struct {
			PlannedValues struct {
				Outputs struct {
					Rendered  struct{ Value map[string]string }
					Templates struct{ Value []string }
				}
			} `json:"planned_values"`
		}
		if err := json.Unmarshal(run(t, "show", "-json", "-no-color", planFile), &shown); err != nil {
			t.Fatal(err)
		}
		return shown.PlannedValues.Outputs.Rendered.Value, shown.PlannedValues.Outputs.Templates.Value
	}

	for _, file := range paramFiles {
		for _, mode := range []Mode{ModeEnforce, ModeTagGated} {
			t.Run(filepath.Base(file)+"/"+string(mode), func(t *testing.T) {
				p := loadParams(t, file)
				rendered, templates := plan(t, map[string]any{"params": rawParams(t, file), "tag_gated": mode == ModeTagGated})

				want := TemplatesFor(mode)
				var wantPaths []string
				for _, tmpl := range want {
					wantPaths = append(wantPaths, tmpl.Path)
				}
				slices.Sort(templates)
				slices.Sort(wantPaths)
				if !slices.Equal(templates, wantPaths) {
					t.Errorf("terraform selects %v, Go %v", templates, wantPaths)
				}
				if len(rendered) != len(want) {
					t.Errorf("terraform rendered %d documents, Go %d", len(rendered), len(want))
				}
				for _, tmpl := range want {
					doc, err := Render(tmpl, p)
					if err != nil {
						t.Fatal(err)
					}
					got, ok := rendered[tmpl.Path]
					if !ok {
						t.Errorf("terraform did not render %s", tmpl.Path)
						continue
					}
					if want := string(doc.JSON); got != want {
						t.Errorf("%s renders differently\n       go: %s\nterraform: %s", tmpl.Path, want, got)
					}
				}
			})
		}
	}

	// Audit mode takes parameters without the function ARN; Go refuses to render them.
	t.Run("no tvm_function_arn", func(t *testing.T) {
		params := rawParams(t, paramFiles[0])
		delete(params, "tvm_function_arn")
		rendered, _ := plan(t, map[string]any{"params": params, "tag_gated": false, "mode": "audit"})
		if len(rendered) != 0 {
			t.Errorf("terraform rendered %d documents without tvm_function_arn, want none", len(rendered))
		}

		p := loadParams(t, paramFiles[0])
		p.TVMFunctionARN = ""
		var perr *ParamError
		if _, err := RenderAll(p); !errors.As(err, &perr) || perr.Field != "tvm_function_arn" {
			t.Errorf("Go renders without tvm_function_arn: err = %v, want a tvm_function_arn ParamError", err)
		}
	})
}

// rawParams reads a params file as the JSON object Terraform receives: no Go defaults
// filled in, so the module's own defaults are compared too.
func rawParams(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

// copyTerraformFiles copies the .tf files of src (not its tests) into dst, so that
// terraform writes its lock file and .terraform folder into the scratch tree only.
func copyTerraformFiles(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("no .tf files in %s", src)
	}
}
