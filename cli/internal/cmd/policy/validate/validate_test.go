package validate

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/lambda/policy"
)

func TestValidate(t *testing.T) {
	valid := filepath.Join("testdata", "valid.yaml")
	invalid := filepath.Join("testdata", "invalid.yaml")
	missing := filepath.Join("testdata", "missing.yaml")
	tests := []struct {
		name     string
		files    []string
		wantCode int
		want     []string
	}{
		{
			name: "valid file", files: []string{valid}, wantCode: status.OK,
			want: []string{valid + ": ok (sha256:", "2 profiles, 3 rules)"},
		},
		{
			name: "every problem with its line", files: []string{invalid}, wantCode: status.Error,
			want: []string{invalid + ": invalid (3 problems)", "role_arn", "(line 5)", "rules[0].effect", "(line 9)", "rules[0].colour", "(line 12)"},
		},
		{
			name: "one bad file fails the run but all are checked", files: []string{invalid, valid}, wantCode: status.Error,
			want: []string{invalid + ": invalid", valid + ": ok"},
		},
		{
			name: "unreadable file", files: []string{missing}, wantCode: status.Error,
			want: []string{missing + ": invalid (1 problem)", "no such file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			err := e.Run(t, NewCmdValidate(e.F, nil), tt.files...)
			e.Expect(t, err, tt.wantCode, tt.want...)
		})
	}
}

// TestValidateWarnings pins that warnings go to stderr with the file and line, one a
// line, and leave a valid file valid (exit 0).
func TestValidateWarnings(t *testing.T) {
	valid := filepath.Join("testdata", "valid.yaml")
	warn := filepath.Join("testdata", "warn.yaml")
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdValidate(e.F, nil), valid, warn)
	if got := status.Code(err); got != status.OK {
		t.Fatalf("exit %d (%v), want %d", got, err, status.OK)
	}
	if out := e.Out.String(); !strings.Contains(out, valid+": ok (") || !strings.Contains(out, warn+": ok (") || strings.Contains(out, "warning") {
		t.Errorf("stdout:\n%s", out)
	}
	want := "vend: warning: " + warn + ":12: rules[0].principals[0]: principal pattern " +
		`"arn:aws:sts::*:assumed-role/AWSReservedSSO_Engineer_*/*" matches IAM Identity Center (AWSReservedSSO_*) sessions in any account; ` +
		"anyone who can create a role with that name in any AWS account can choose its session name, such as alice@example.com: " +
		"pin the account in the pattern, or list accounts in the rule\n"
	if got := e.ErrOut.String(); got != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
	}
}

func TestValidateNeedsFiles(t *testing.T) {
	e := cmdtest.New(t)
	if err := e.Run(t, NewCmdValidate(e.F, nil)); status.Code(err) != status.Usage {
		t.Errorf("got %v", err)
	}
}

func TestProblems(t *testing.T) {
	a, b := errors.New("a (line 1)"), errors.New("b (line 2)")
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"plain error", errors.New("read policy: denied"), []string{"read policy: denied"}},
		{"joined under ErrInvalid", fmt.Errorf("f.yaml: %w", fmt.Errorf("%w: %w", policy.ErrInvalid, errors.Join(a, b))), []string{"a (line 1)", "b (line 2)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Problems(tt.err)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
