package scp_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/cmd/root"
	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/status"
)

var paramsFile = filepath.Join("testdata", "params.json")

// TestThroughRoot runs the scp commands as a user does, to pin their registration and
// how their outcomes map to exit statuses and messages.
func TestThroughRoot(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		file       string // written to the env's directory as bad.json when set
		want       int
		wantOut    []string
		wantStderr []string
	}{
		{
			name: "render", args: []string{"scp", "render", "--params", paramsFile, "--template", "protect-tvm-function-and-role"},
			want: status.OK, wantOut: []string{`"Sid":"DenyTVMFunctionChanges"`},
		},
		{
			name: "lint findings exit 1", file: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}`,
			args: []string{"scp", "lint"}, want: status.Error,
			wantOut: []string{": sid: "}, wantStderr: []string{"vend: 1 finding in 1 document"},
		},
		{
			name: "simulate matrix", args: []string{"scp", "simulate", "--params", paramsFile},
			want: status.OK, wantOut: []string{"cases decided as they should be"},
		},
		{
			name: "simulate denial exits 3",
			args: []string{"scp", "simulate", "--params", paramsFile, "--principal", "arn:aws:iam::222222222222:role/Admin",
				"--action", "sts:AssumeRole", "--resource", "arn:aws:iam::222222222222:role/vend/reader"},
			want: status.Denied, wantOut: []string{"DENY"},
		},
		{
			name: "usage error points at help", args: []string{"scp", "render"},
			want: status.Usage, wantStderr: []string{"no guardrail parameters", "Run 'vend scp render --help' for usage."},
		},
		{
			name: "invalid parameters", args: []string{"scp", "render", "--params", paramsFile, "--org-id", "nope"},
			want: status.Error, wantStderr: []string{"vend: invalid parameters from " + paramsFile + " and flags:\n  org_id: ", "(--org-id)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			args := tt.args
			if tt.file != "" {
				path := filepath.Join(e.Dir, "bad.json")
				cmdtest.WriteFile(t, path, tt.file)
				args = append(args, path)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if got := root.Run(ctx, e.F, args); got != tt.want {
				t.Errorf("exit %d, want %d\nstderr: %s", got, tt.want, e.ErrOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(e.Out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, e.Out)
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(e.ErrOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, e.ErrOut)
				}
			}
		})
	}
}
