package profiles

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

var answer = wire.Profiles{
	Caller:     wire.Caller{ARN: "arn:aws:sts::1:assumed-role/r/alice"},
	PolicyHash: "sha256:abcd",
	Profiles: []wire.ProfileStatus{
		{Name: "prod-admin", RoleARN: "arn:aws:iam::111111111111:role/vend/prod-admin", Allowed: false, Rule: "default-deny", Reason: "no rule allows this request"},
		{Name: "staging-readonly", RoleARN: "arn:aws:iam::222222222222:role/vend/staging-readonly", Allowed: true, Rule: "engineers"},
	},
}

func TestProfilesTable(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, answer))
	if err := e.Run(t, NewCmdProfiles(e.F, nil)); err != nil {
		t.Fatalf("exit: %v (denied profiles must not fail the command)", err)
	}
	lines := strings.Split(strings.TrimSpace(e.Out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", e.Out)
	}
	if f := strings.Fields(lines[0]); strings.Join(f, " ") != "NAME ALLOWED RULE ROLE REASON" {
		t.Errorf("header %q", lines[0])
	}
	if f := strings.Fields(lines[1]); f[0] != "prod-admin" || f[1] != "no" || f[2] != "default-deny" || f[3] != answer.Profiles[0].RoleARN ||
		!strings.HasSuffix(lines[1], "no rule allows this request") {
		t.Errorf("row %q", lines[1])
	}
	if f := strings.Fields(lines[2]); f[0] != "staging-readonly" || f[1] != "yes" || f[2] != "engineers" || f[4] != "-" {
		t.Errorf("row %q", lines[2])
	}
}

// A TVM names the role only for profiles the caller may use: a denied row without a
// role must keep its columns, or the reason shifts under ROLE.
func TestProfilesTableWithoutDeniedRole(t *testing.T) {
	withheld := answer
	withheld.Profiles = append([]wire.ProfileStatus(nil), answer.Profiles...)
	withheld.Profiles[0].RoleARN = ""
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, withheld))
	if err := e.Run(t, NewCmdProfiles(e.F, nil)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(e.Out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", e.Out)
	}
	if f := strings.Fields(lines[1]); len(f) < 5 || f[0] != "prod-admin" || f[1] != "no" || f[2] != "default-deny" || f[3] != "-" ||
		strings.Join(f[4:], " ") != "no rule allows this request" {
		t.Errorf("denied row %q, want ROLE \"-\" and the reason under REASON", lines[1])
	}
	if f := strings.Fields(lines[2]); f[3] != withheld.Profiles[1].RoleARN {
		t.Errorf("allowed row %q lost its role", lines[2])
	}
	if strings.Contains(e.Out.String(), answer.Profiles[0].RoleARN) {
		t.Errorf("output names a role the TVM did not send:\n%s", e.Out)
	}
}

func TestProfilesJSON(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, answer))
	if err := e.Run(t, NewCmdProfiles(e.F, nil), "--json"); err != nil {
		t.Fatal(err)
	}
	var got wire.Profiles
	if err := json.Unmarshal([]byte(e.Out.String()), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Profiles) != 2 || got.Profiles[1] != answer.Profiles[1] {
		t.Errorf("got %+v", got)
	}
}

func TestProfilesEmpty(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, wire.Profiles{}))
	if err := e.Run(t, NewCmdProfiles(e.F, nil)); err != nil {
		t.Fatal(err)
	}
	if e.Out.String() != "" || !strings.Contains(e.ErrOut.String(), "no profiles") {
		t.Errorf("stdout %q stderr %q", e.Out, e.ErrOut)
	}
}
