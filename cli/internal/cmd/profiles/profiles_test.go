package profiles

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

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
	want := "" +
		"NAME              DECISION  RULE          REASON\n" +
		"prod-admin        DENY      default-deny  no rule allows this request\n" +
		"staging-readonly  ALLOW     engineers\n"
	if e.Out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", e.Out, want)
	}
	if strings.Contains(e.Out.String(), "arn:") || strings.Contains(e.Out.String(), "\x1b") {
		t.Errorf("the table names roles without --wide or has colour without a terminal:\n%s", e.Out)
	}
}

// --wide adds the role, and a TVM names it only for profiles the caller may use: a
// denied row without a role keeps its columns, or the reason would shift under ROLE.
func TestProfilesWideWithoutDeniedRole(t *testing.T) {
	withheld := answer
	withheld.Profiles = append([]wire.ProfileStatus(nil), answer.Profiles...)
	withheld.Profiles[0].RoleARN = ""
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, withheld))
	if err := e.Run(t, NewCmdProfiles(e.F, nil), "--wide"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(e.Out.String()), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "NAME DECISION RULE ROLE REASON" {
		t.Fatalf("output:\n%s", e.Out)
	}
	if f := strings.Fields(lines[1]); len(f) < 5 || f[0] != "prod-admin" || f[1] != "DENY" || f[2] != "default-deny" || f[3] != "-" ||
		strings.Join(f[4:], " ") != "no rule allows this request" {
		t.Errorf("denied row %q, want ROLE \"-\" and the reason under REASON", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) != 4 || f[3] != withheld.Profiles[1].RoleARN {
		t.Errorf("allowed row %q: want its role and no reason", lines[2])
	}
	if strings.Contains(e.Out.String(), answer.Profiles[0].RoleARN) {
		t.Errorf("output names a role the TVM did not send:\n%s", e.Out)
	}
}

// Without --wide a long reason is cut so that every line fits 100 columns; --wide
// keeps it whole.
func TestProfilesTableFits100Columns(t *testing.T) {
	long := answer
	long.Profiles = append([]wire.ProfileStatus(nil), answer.Profiles...)
	long.Profiles[0].Reason = strings.Repeat("the reason goes on ", 12) + "END"
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, long))
	if err := e.Run(t, NewCmdProfiles(e.F, nil)); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(e.Out.String()), "\n") {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("%d columns: %q", n, l)
		}
	}
	if !strings.Contains(e.Out.String(), "…") || strings.Contains(e.Out.String(), "END") {
		t.Errorf("the long reason is not shortened:\n%s", e.Out)
	}
	e = cmdtest.New(t)
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, long))
	if err := e.Run(t, NewCmdProfiles(e.F, nil), "--wide"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Out.String(), long.Profiles[0].Reason) {
		t.Errorf("--wide shortened the reason:\n%s", e.Out)
	}
}

// On a terminal the decision is coloured, and text from the TVM is still escaped: the
// table goes to the raw stream, so an escape in a rule name must not reach it.
func TestProfilesColour(t *testing.T) {
	hostile := answer
	hostile.Profiles = append([]wire.ProfileStatus(nil), answer.Profiles...)
	hostile.Profiles[1].Rule = "eng\x1b[2Jineers"
	e := cmdtest.New(t)
	e.F.IOStreams.SetColorEnabled(true)
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, hostile))
	if err := e.Run(t, NewCmdProfiles(e.F, nil)); err != nil {
		t.Fatal(err)
	}
	out := e.Out.String()
	if !strings.Contains(out, "\x1b[31mDENY\x1b[0m") || !strings.Contains(out, "\x1b[32mALLOW\x1b[0m") {
		t.Errorf("no colour on a terminal:\n%q", out)
	}
	if strings.Contains(out, "\x1b[2J") || !strings.Contains(out, `eng\u001b[2Jineers`) {
		t.Errorf("the TVM's text reached the terminal unescaped:\n%q", out)
	}
}

func TestProfilesJSON(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathProfiles, tvmtest.JSON(200, answer))
	if err := e.Run(t, NewCmdProfiles(e.F, nil), "-o", "json"); err != nil {
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
