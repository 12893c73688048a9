package scpcheck

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestOutcomeDecision(t *testing.T) {
	tests := []struct {
		o    Outcome
		want string
	}{
		{Outcome{ResultType: "single", OverallResult: "Allowed"}, "ALLOW"},
		{Outcome{ResultType: "single", OverallResult: "ExplicitlyDenied"}, "DENY"},
		{Outcome{ResultType: "wildcard", OverallResult: "ImplicitlyDenied"}, "DENY"},
		// An error must never read as a DENY that happens to agree with vend.
		{Outcome{ResultType: "error", OverallResult: "ExplicitlyDenied"}, "ERROR"},
		{Outcome{ResultType: "single", OverallResult: "Maybe"}, "UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.want+"/"+tt.o.OverallResult, func(t *testing.T) {
			if got := tt.o.Decision(); got != tt.want {
				t.Errorf("Decision() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	cases := []Case{
		{Name: "agrees", Mode: "enforce", Got: "DENY", Want: "DENY"},
		{Name: "differs", Mode: "enforce", Got: "ALLOW", Want: "ALLOW"},
		{Name: "differs but listed", Mode: "enforce", Got: "DENY", Want: "DENY"},
		{Name: "simulator error", Mode: "enforce", Got: "DENY", Want: "DENY"},
		{Name: "unanswered", Mode: "tag-gated", Got: "ALLOW", Want: "ALLOW"},
		{Name: "agrees but listed", Mode: "tag-gated", Got: "ALLOW", Want: "ALLOW"},
		{Name: "matrix itself fails", Mode: "enforce", Got: "ALLOW", Want: "DENY"},
	}
	out := Output{Simulator: "sim@1", Outcomes: []Outcome{
		{ID: 0, ResultType: "single", OverallResult: "ExplicitlyDenied", BlockedBy: []string{"scp"}},
		{ID: 1, ResultType: "single", OverallResult: "ImplicitlyDenied", IgnoredContextKeys: []string{"lambda:Foo"}},
		{ID: 2, ResultType: "single", OverallResult: "Allowed"},
		{ID: 3, ResultType: "error", Errors: json.RawMessage(`{ "message": "invalid.action" }`)},
		{ID: 5, ResultType: "single", OverallResult: "Allowed"},
		{ID: 6, ResultType: "single", OverallResult: "Allowed"},
	}}
	known := AllowList{
		key("enforce", "differs but listed"):  {Mode: "enforce", Case: "differs but listed", Reason: "modelled differently", Line: 3},
		key("tag-gated", "agrees but listed"): {Mode: "tag-gated", Case: "agrees but listed", Reason: "was different once", Line: 5},
		key("enforce", "no such case"):        {Mode: "enforce", Case: "no such case", Reason: "renamed since", Line: 4},
	}
	rep := Compare(cases, out, known)

	want := []struct {
		status       Status
		theirs, note string
	}{
		{StatusAgree, "DENY", ""},
		{StatusDiffer, "DENY", "ignored keys: lambda:Foo"},
		{StatusKnown, "ALLOW", "known: modelled differently"},
		{StatusDiffer, "ERROR", `simulator error: {"message":"invalid.action"}`},
		{StatusDiffer, "MISSING", ""},
		{StatusAgree, "ALLOW", ""},
		{StatusAgree, "ALLOW", "vend's matrix expected DENY"},
	}
	if len(rep.Rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rep.Rows), len(want))
	}
	for i, w := range want {
		row := rep.Rows[i]
		t.Run(row.Case, func(t *testing.T) {
			if row.Status != w.status || row.Theirs != w.theirs || row.Note != w.note {
				t.Errorf("row = %+v, want status %s, simulator %s, note %q", row, w.status, w.theirs, w.note)
			}
			if row.Ours != cases[i].Got {
				t.Errorf("Ours = %q, want vend's decision %q", row.Ours, cases[i].Got)
			}
		})
	}
	if got := rep.Count(StatusDiffer); got != 3 {
		t.Errorf("Count(differ) = %d, want 3", got)
	}
	if len(rep.Stale) != 2 || rep.Stale[0].Line != 4 || rep.Stale[1].Line != 5 {
		t.Errorf("Stale = %+v, want lines 4 and 5 in order", rep.Stale)
	}
	err := rep.Err()
	if err == nil {
		t.Fatal("Err() = nil with differences and stale entries")
	}
	for _, s := range []string{"3 case(s)", "line 4", "line 5"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Err() = %v, want it to mention %q", err, s)
		}
	}
}

func TestReportErrOnlyKnownDifferences(t *testing.T) {
	cases := []Case{{Name: "a", Mode: "enforce", Got: "ALLOW"}, {Name: "b", Mode: "enforce", Got: "DENY"}}
	out := Output{Outcomes: []Outcome{
		{ID: 0, ResultType: "single", OverallResult: "Allowed"},
		{ID: 1, ResultType: "single", OverallResult: "Allowed"},
	}}
	known := AllowList{key("enforce", "b"): {Mode: "enforce", Case: "b", Reason: "why", Line: 1}}
	rep := Compare(cases, out, known)
	if err := rep.Err(); err != nil {
		t.Fatalf("Err() = %v, want nil when every difference is allow-listed", err)
	}
	if rep.Count(StatusAgree) != 1 || rep.Count(StatusKnown) != 1 {
		t.Errorf("counts agree=%d known=%d, want 1 and 1", rep.Count(StatusAgree), rep.Count(StatusKnown))
	}
}

func TestWriteTable(t *testing.T) {
	rep := Report{Simulator: "sim@1", Rows: []Row{
		{Mode: "enforce", Case: "TVM assumes", Ours: "ALLOW", Theirs: "ALLOW", Status: StatusAgree},
		{Mode: "enforce", Case: "admin assumes", Ours: "DENY", Theirs: "ALLOW", Status: StatusDiffer, BlockedBy: []string{"scp", "rcp"}, Note: "n"},
	}}
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want header, 2 rows, summary:\n%s", len(lines), b.String())
	}
	if f := strings.Fields(lines[1]); f[0] != "agree" || f[4] != "-" {
		t.Errorf("row 1 = %q", lines[1])
	}
	if f := strings.Fields(lines[2]); f[0] != "DIFFER" || f[4] != "scp,rcp" || f[len(f)-1] != "n" {
		t.Errorf("row 2 = %q", lines[2])
	}
	if want := "2 cases: 1 agree, 0 known differences, 1 unexplained differences (vend vs sim@1)"; lines[3] != want {
		t.Errorf("summary = %q, want %q", lines[3], want)
	}
}
