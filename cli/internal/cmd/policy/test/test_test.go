package test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
)

var file = filepath.Join("testdata", "policy.yaml")

const ciARN = "arn:aws:sts::444444444444:assumed-role/github-actions-deploy/run-1"

func TestNewCmdTestFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		check    func(t *testing.T, o *TestOptions)
	}{
		{
			name: "account defaults to the ARN's", args: []string{file, "--principal", ciARN, "--profile", "prod-deploy"},
			check: func(t *testing.T, o *TestOptions) {
				if o.AccountID != "444444444444" || o.File != file || !o.At.IsZero() {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			name: "explicit account, org and time",
			args: []string{file, "--principal", ciARN, "--profile", "p", "--account", "999999999999", "--org-id", "o-x", "--at", "2025-06-07T10:00:00+02:00", "--json"},
			check: func(t *testing.T, o *TestOptions) {
				if o.AccountID != "999999999999" || o.OrgID != "o-x" || o.Output != output.FormatJSON || !o.At.Equal(time.Date(2025, 6, 7, 8, 0, 0, 0, time.UTC)) {
					t.Errorf("got %+v", o)
				}
			},
		},
		{name: "missing principal", args: []string{file, "--profile", "p"}, wantCode: status.Usage},
		{name: "missing profile", args: []string{file, "--principal", ciARN}, wantCode: status.Usage},
		{name: "not an ARN", args: []string{file, "--principal", "alice", "--profile", "p"}, wantCode: status.Usage},
		{name: "ARN without account", args: []string{file, "--principal", "arn:aws:s3:::bucket", "--profile", "p"}, wantCode: status.Usage},
		{name: "account not 12 digits", args: []string{file, "--principal", "arn:aws:sts::4:assumed-role/r/s", "--profile", "p"}, wantCode: status.Usage},
		{name: "bad time", args: []string{file, "--principal", ciARN, "--profile", "p", "--at", "tomorrow"}, wantCode: status.Usage},
		{name: "no file", args: []string{"--principal", ciARN, "--profile", "p"}, wantCode: status.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			var got *TestOptions
			err := e.Run(t, NewCmdTest(e.F, func(o *TestOptions) error { got = o; return nil }), tt.args...)
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.wantCode)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestPolicyTest(t *testing.T) {
	saturday, monday := "2025-06-07T10:00:00Z", "2025-06-09T10:00:00Z"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{
			name: "allow", args: []string{"--principal", ciARN, "--profile", "prod-deploy", "--at", monday},
			wantCode: status.OK,
			want: []string{"ALLOW  prod-deploy for " + ciARN, "rule:    ci-deploy", "reason:  CI deploys production",
				"→  ci-deploy", "decides: matches", "weekend-freeze", "outside its time windows"},
		},
		{
			name: "deny by rule", args: []string{"--principal", ciARN, "--profile", "prod-deploy", "--at", saturday},
			wantCode: status.Denied,
			want:     []string{"DENY  prod-deploy", "rule:    weekend-freeze", "frozen over the weekend", "→  weekend-freeze"},
		},
		{
			name:     "default deny names the failed condition",
			args:     []string{"--principal", "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Engineer_x/bob", "--profile", "staging-readonly", "--at", monday},
			wantCode: status.Denied,
			want:     []string{"DENY", "default-deny", "organisation none", "no organisation"},
		},
		{
			name:     "org makes it allowed",
			args:     []string{"--principal", "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Engineer_x/bob", "--profile", "staging-readonly", "--org-id", "o-abc123def4", "--at", monday},
			wantCode: status.OK,
			want:     []string{"ALLOW", "engineers-read"},
		},
		{
			name: "unknown profile", args: []string{"--principal", ciARN, "--profile", "nope", "--at", monday},
			wantCode: status.Denied,
			want:     []string{"DENY", `profile "nope" is not defined in the policy`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			err := e.Run(t, NewCmdTest(e.F, nil), append([]string{file}, tt.args...)...)
			e.Expect(t, err, tt.wantCode, tt.want...)
		})
	}
}

func TestPolicyTestJSON(t *testing.T) {
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdTest(e.F, nil), file, "--principal", ciARN, "--profile", "prod-deploy", "--at", "2025-06-07T10:00:00Z", "--json")
	if status.Code(err) != status.Denied {
		t.Fatalf("got %v", err)
	}
	var r Result
	if err := json.Unmarshal([]byte(e.Out.String()), &r); err != nil {
		t.Fatalf("%v\n%s", err, e.Out)
	}
	if r.Allowed || r.Effect != "deny" || r.Rule != "weekend-freeze" || r.AccountID != "444444444444" ||
		!strings.HasPrefix(r.PolicyHash, "sha256:") || len(r.Rules) != 3 || !r.Rules[0].Decided || r.Rules[0].Line != 11 {
		t.Errorf("got %+v", r)
	}
}

func TestPolicyTestUsesNow(t *testing.T) {
	e := cmdtest.New(t)
	e.F.Now = func() time.Time { return time.Date(2025, 6, 8, 12, 0, 0, 0, time.UTC) } // a Sunday
	err := e.Run(t, NewCmdTest(e.F, nil), file, "--principal", ciARN, "--profile", "prod-deploy")
	if status.Code(err) != status.Denied || !strings.Contains(e.Out.String(), "weekend-freeze") {
		t.Errorf("got %v\n%s", err, e.Out)
	}
}

func TestPolicyTestInvalidFile(t *testing.T) {
	e := cmdtest.New(t)
	bad := filepath.Join(e.Dir, "bad.yaml")
	cmdtest.WriteFile(t, bad, "version: 2\n")
	err := e.Run(t, NewCmdTest(e.F, nil), bad, "--principal", ciARN, "--profile", "p")
	if status.Code(err) != status.Error || !strings.Contains(err.Error(), "vend policy validate") {
		t.Errorf("got %v", err)
	}
}
