package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "outputs.tf"), "output \"url\" {\n  description = \"The URL.\"\n  value       = 1\n}\n")
	mustWrite(t, filepath.Join(dir, "README.md"), "# m\n<!-- BEGIN_TF_DOCS -->\n<!-- END_TF_DOCS -->\n")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "check reports a stale README", args: []string{"-check", dir}, wantCode: 1, wantOut: "stale: "},
		{name: "update rewrites it", args: []string{dir}, wantCode: 0, wantOut: "updated: "},
		{name: "check passes afterwards", args: []string{"-check", dir}, wantCode: 0, wantOut: ""},
		{name: "bad flag", args: []string{"-nope"}, wantCode: 2},
		{name: "missing README", args: []string{t.TempDir()}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("run(%v) = %d, want %d; stderr: %s", tt.args, code, tt.wantCode, stderr.String())
			}
			if tt.wantOut != "" && !strings.HasPrefix(stdout.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want prefix %q", stdout.String(), tt.wantOut)
			}
			if tt.wantOut == "" && stdout.Len() > 0 && code == 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
	b, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "| `url` | The URL. |") {
		t.Errorf("README not regenerated:\n%s", b)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
