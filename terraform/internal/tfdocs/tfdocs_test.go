package tfdocs

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite stale README tables instead of failing")

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    Module
		wantErr string
	}{
		{
			name: "required and optional inputs",
			src: `
variable "zip" {
  description = "Path to the zip."
  type        = string
}
variable "tags" {
  type    = map(string)
  default = { a = "b" }
}
variable "secret" {
  description = "Hidden."
  type        = string
  default     = null
  sensitive   = true
}
variable "untyped" {}
`,
			want: Module{Inputs: []Input{
				{Name: "secret", Description: "Hidden.", Type: "string", Default: "null", Sensitive: true},
				{Name: "tags", Type: "map(string)", Default: `{ a = "b" }`},
				{Name: "untyped", Type: "any", Required: true},
				{Name: "zip", Description: "Path to the zip.", Type: "string", Required: true},
			}},
		},
		{
			name: "outputs and requirements",
			src: `
terraform {
  required_version = ">= 1.9.0"
  required_providers {
    aws  = { source = "hashicorp/aws", version = ">= 5.100.0" }
    null = "~> 3.0"
    tls  = { source = "hashicorp/tls" }
  }
}
output "url" {
  description = "The URL."
  value       = aws_lambda_function_url.this.function_url
}
output "key" {
  value     = "x"
  sensitive = true
}
`,
			want: Module{
				Requirements: []Requirement{
					{Name: "terraform", Version: ">= 1.9.0"},
					{Name: "aws", Version: ">= 5.100.0"},
					{Name: "null", Version: "~> 3.0"},
					{Name: "tls", Version: "any"},
				},
				Outputs: []Output{
					{Name: "key", Sensitive: true},
					{Name: "url", Description: "The URL."},
				},
			},
		},
		{
			name:    "description must be literal",
			src:     `variable "x" { description = "a ${var.y}" }`,
			wantErr: `variable "x": description must be a literal string`,
		},
		{
			name:    "sensitive must be literal",
			src:     `output "x" { sensitive = var.y }`,
			wantErr: `output "x": sensitive must be a literal bool`,
		},
		{
			name:    "duplicate variable",
			src:     "variable \"x\" {}\nvariable \"x\" {}\n",
			wantErr: `variable "x" declared twice`,
		},
		{
			name:    "syntax error names the file",
			src:     `variable "x" {`,
			wantErr: "main.tf:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(map[string][]byte{"main.tf": []byte(tt.src)})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			assertModule(t, got, &tt.want)
		})
	}
}

func assertModule(t *testing.T, got, want *Module) {
	t.Helper()
	if len(got.Inputs) != len(want.Inputs) || len(got.Outputs) != len(want.Outputs) || len(got.Requirements) != len(want.Requirements) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want.Inputs {
		if got.Inputs[i] != want.Inputs[i] {
			t.Errorf("input %d = %+v, want %+v", i, got.Inputs[i], want.Inputs[i])
		}
	}
	for i := range want.Outputs {
		if got.Outputs[i] != want.Outputs[i] {
			t.Errorf("output %d = %+v, want %+v", i, got.Outputs[i], want.Outputs[i])
		}
	}
	for i := range want.Requirements {
		if got.Requirements[i] != want.Requirements[i] {
			t.Errorf("requirement %d = %+v, want %+v", i, got.Requirements[i], want.Requirements[i])
		}
	}
}

func TestMarkdown(t *testing.T) {
	m := &Module{
		Requirements: []Requirement{{Name: "terraform", Version: ">= 1.9.0"}},
		Inputs: []Input{
			{Name: "a", Description: "Pipes | and\nnewlines.", Type: "string", Required: true},
			{Name: "b", Description: "Map.", Type: "map(string)", Default: "{\n  x = \"`y`\"\n}"},
			{Name: "c", Type: "string", Default: `""`, Sensitive: true},
		},
		Outputs: []Output{{Name: "o", Description: "Out.", Sensitive: true}},
	}
	want := "## Requirements\n\n| Name | Version |\n|------|---------|\n| terraform | `>= 1.9.0` |\n\n" +
		"## Inputs\n\n| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n" +
		"| `a` | Pipes \\| and newlines. | `string` | n/a | yes |\n" +
		"| `b` | Map. | `map(string)` | ``{ x = \"`y`\" }`` | no |\n" +
		"| `c` |  (sensitive) | `string` | `\"\"` | no |\n\n" +
		"## Outputs\n\n| Name | Description |\n|------|-------------|\n| `o` | Out. (sensitive) |\n"
	if got := m.Markdown(); got != want {
		t.Errorf("Markdown() =\n%s\nwant\n%s", got, want)
	}

	empty := (&Module{}).Markdown()
	if !strings.Contains(empty, "No inputs.") || !strings.Contains(empty, "No outputs.") {
		t.Errorf("empty module Markdown() = %q, want the no-inputs/no-outputs lines", empty)
	}
}

func TestInject(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    string
		wantErr bool
	}{
		{
			name: "replaces between markers",
			doc:  "# T\n\n" + BeginMarker + "\nold\n" + EndMarker + "\ntail\n",
			want: "# T\n\n" + BeginMarker + "\nnew\n" + EndMarker + "\ntail\n",
		},
		{
			name: "adjacent markers",
			doc:  BeginMarker + EndMarker,
			want: BeginMarker + "\nnew\n" + EndMarker,
		},
		{name: "no markers", doc: "# T\n", wantErr: true},
		{name: "only begin", doc: BeginMarker + "\n", wantErr: true},
		{name: "reversed", doc: EndMarker + "\n" + BeginMarker, wantErr: true},
		{name: "twice", doc: BeginMarker + EndMarker + BeginMarker + EndMarker, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Inject(tt.doc, "new\n")
			if tt.wantErr {
				if !errors.Is(err, ErrMarkers) {
					t.Fatalf("Inject error = %v, want ErrMarkers", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Inject: %v", err)
			}
			if got != tt.want {
				t.Errorf("Inject = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "variables.tf"), `variable "x" {
  description = "X."
  type        = number
  default     = 1
}
`)
	writeFile(t, filepath.Join(dir, "README.md"), "# M\n\n"+BeginMarker+"\n"+EndMarker+"\n")

	changed, err := Update(dir, false)
	if err != nil || !changed {
		t.Fatalf("Update(check) = %v, %v; want stale", changed, err)
	}
	changed, err = Update(dir, true)
	if err != nil || !changed {
		t.Fatalf("Update(write) = %v, %v; want rewritten", changed, err)
	}
	changed, err = Update(dir, false)
	if err != nil || changed {
		t.Fatalf("Update(check) after write = %v, %v; want up to date", changed, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "| `x` | X. | `number` | `1` | no |") {
		t.Errorf("README lacks the input row:\n%s", b)
	}
}

// TestREADMEs fails when a module's or example's README tables do not match its code.
// Regenerate with: go test ./internal/tfdocs -run TestREADMEs -update (or go run ./cmd/tfdocs).
func TestREADMEs(t *testing.T) {
	dirs, err := Dirs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 4 {
		t.Fatalf("found %d module/example directories, want at least 4: %v", len(dirs), dirs)
	}
	for _, dir := range dirs {
		t.Run(filepath.ToSlash(dir[len(filepath.Join("..", ".."))+1:]), func(t *testing.T) {
			changed, err := Update(dir, *update)
			if err != nil {
				t.Fatal(err)
			}
			if changed && !*update {
				t.Errorf("%s/README.md is stale: run go run ./cmd/tfdocs (or this test with -update) in the terraform folder", dir)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`variable "x" { type = string }`))
	f.Add([]byte("output \"o\" {\n description = \"d\"\n value = 1\n}\n"))
	f.Add([]byte(`terraform { required_providers { aws = { version = 1 } } }`))
	f.Add([]byte(`variable "d" { description = <<EOT
heredoc | pipe
EOT
}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		m, err := Parse(map[string][]byte{"main.tf": src})
		if err != nil {
			return
		}
		md := m.Markdown()
		for _, in := range m.Inputs {
			if !strings.Contains(md, in.Name) {
				t.Fatalf("input %q missing from Markdown", in.Name)
			}
		}
		// A table row must stay one line whatever the descriptions hold.
		rows := strings.Count(md, "\n| ")
		if want := len(m.Inputs) + len(m.Outputs) + len(m.Requirements); len(m.Inputs) > 0 && len(m.Outputs) > 0 && len(m.Requirements) > 0 && rows != want+3 {
			t.Fatalf("Markdown has %d row lines, want %d:\n%s", rows, want+3, md)
		}
	})
}

func FuzzInject(f *testing.F) {
	f.Add("# T\n"+BeginMarker+"\nx\n"+EndMarker+"\n", "table")
	f.Add(BeginMarker+EndMarker, "")
	f.Add("none", "x")
	f.Fuzz(func(t *testing.T, doc, content string) {
		if strings.Contains(content, BeginMarker) || strings.Contains(content, EndMarker) {
			return
		}
		got, err := Inject(doc, content)
		if err != nil {
			return
		}
		again, err := Inject(got, content)
		if err != nil {
			t.Fatalf("Inject of its own result: %v", err)
		}
		if again != got {
			t.Fatalf("Inject is not idempotent:\n%q\n%q", got, again)
		}
		if !strings.HasPrefix(got, doc[:strings.Index(doc, BeginMarker)]) {
			t.Fatal("Inject changed the text before the begin marker")
		}
	})
}
