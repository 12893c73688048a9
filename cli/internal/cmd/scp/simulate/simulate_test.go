package simulate

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/scp"
)

var paramsFile = filepath.Join("..", "testdata", "params.json")

// Names from the test parameters: protected roles under /vend/ in 222222222222 and
// 333333333333, the TVM role in 111111111111. The simulation picks 999999999999 as
// management, 888888888888 as another member and 777777777777 as outside.
const (
	tvmRole   = "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm"
	protected = "arn:aws:iam::222222222222:role/vend/reader"
	assume    = "sts:AssumeRole"
)

func TestNewCmdSimulateFlags(t *testing.T) {
	cmdtest.RunFlagCases(t, NewCmdSimulate, []cmdtest.FlagCase[SimulateOptions]{
		{
			Name: "matrix of both modes", Args: []string{"--params", paramsFile},
			Check: func(t *testing.T, o *SimulateOptions) {
				if o.Single || o.Mode != "" || o.Output == output.FormatJSON || o.RunMatrix == nil {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			Name: "matrix of one mode", Args: []string{"--params", paramsFile, "--mode", "tag-gated", "--json"},
			Check: func(t *testing.T, o *SimulateOptions) {
				if o.Single || o.Mode != scp.ModeTagGated || o.Output != output.FormatJSON {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			Name: "question",
			Args: []string{"--params", paramsFile, "--principal", "arn:aws:iam:::role/Admin", "--principal-account", "external",
				"--action", assume, "--resource", protected, "--source-identity", "vend-alice",
				"--resource-tag", "vend:enforce=true", "--context", "aws:TagKeys=a", "--context", "aws:TagKeys=b=c"},
			Check: func(t *testing.T, o *SimulateOptions) {
				if !o.Single || o.PrincipalAccount != "external" || o.SourceIdentity != "vend-alice" ||
					!reflect.DeepEqual(o.ResourceTags, map[string]string{"vend:enforce": "true"}) ||
					!reflect.DeepEqual(o.Context, map[string][]string{"aws:TagKeys": {"a", "b=c"}}) {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			Name: "federation needs no principal", Args: []string{"--params", paramsFile, "--action", "sts:AssumeRoleWithSAML", "--resource", protected},
			Check: func(t *testing.T, o *SimulateOptions) {
				if !o.Single || o.Principal != "" {
					t.Errorf("got %+v", o)
				}
			},
		},
		{Name: "no parameters", Args: []string{"--action", assume, "--resource", protected, "--principal", tvmRole}, WantCode: status.Usage},
		{Name: "question without resource", Args: []string{"--params", paramsFile, "--principal", tvmRole, "--action", assume}, WantCode: status.Usage},
		{Name: "question without principal", Args: []string{"--params", paramsFile, "--action", assume, "--resource", protected}, WantCode: status.Usage},
		{Name: "question detail without question", Args: []string{"--params", paramsFile, "--source-identity", "vend-x"}, WantCode: status.Usage},
		{
			Name: "unknown principal account", WantCode: status.Usage,
			Args: []string{"--params", paramsFile, "--principal", tvmRole, "--principal-account", "sandbox", "--action", assume, "--resource", protected},
		},
		{
			Name: "principal account for a service principal", WantCode: status.Usage,
			Args: []string{"--params", paramsFile, "--principal", "lambda.amazonaws.com", "--principal-account", "member", "--action", assume, "--resource", protected},
		},
		{
			Name: "tag without value", WantCode: status.Usage,
			Args: []string{"--params", paramsFile, "--principal", tvmRole, "--action", assume, "--resource", protected, "--resource-tag", "vend:enforce"},
		},
		{
			Name: "tag twice", WantCode: status.Usage,
			Args: []string{"--params", paramsFile, "--principal", tvmRole, "--action", assume, "--resource", protected, "--resource-tag", "k=a", "--resource-tag", "k=b"},
		},
		{
			Name: "context key without service", WantCode: status.Usage,
			Args: []string{"--params", paramsFile, "--principal", tvmRole, "--action", assume, "--resource", protected, "--context", "SourceIdentity=x"},
		},
		{Name: "unknown mode", Args: []string{"--params", paramsFile, "--mode", "audit"}, WantCode: status.Usage},
		{Name: "argument", Args: []string{paramsFile}, WantCode: status.Usage},
	})
}

func TestMatrixTable(t *testing.T) {
	e := cmdtest.New(t)
	if err := e.Run(t, NewCmdSimulate(e.F, nil), "--params", paramsFile); err != nil {
		t.Fatalf("%v\n%s", err, e.Out)
	}
	lines := strings.Split(strings.TrimSpace(e.Out.String()), "\n")
	if !strings.Contains(lines[0], "management 999999999999, another member 888888888888, outside 777777777777") {
		t.Errorf("no legend: %q", lines[0])
	}
	header := lines[2]
	cols := []string{"CASE", "ACTION", "PRINCIPAL", "RESOURCE", "WANT", "GOT", "DECIDED BY"}
	last := -1
	for _, c := range cols {
		i := strings.Index(header, c)
		if i <= last {
			t.Fatalf("header %q: %s out of place", header, c)
		}
		last = i
	}
	// Aligned: every row has WANT and GOT in the header's columns.
	wantCol, gotCol := strings.Index(header, "WANT"), strings.Index(header, "GOT")
	rows := 0
	for _, l := range lines[3:] {
		if l == "" {
			break
		}
		rows++
		r := []rune(l)
		if w := string(r[wantCol : wantCol+4]); w != "ALLO" && w != "DENY" {
			t.Errorf("WANT column misaligned in %q", l)
		}
		if g := string(r[gotCol : gotCol+4]); g != "ALLO" && g != "DENY" {
			t.Errorf("GOT column misaligned in %q", l)
		}
	}
	p := loadParams(t)
	if n := len(scp.Matrix(p)); rows != n {
		t.Errorf("%d rows, want %d", rows, n)
	}
	if !strings.HasSuffix(e.Out.String(), "all "+strconv.Itoa(rows)+" cases decided as they should be\n") {
		t.Errorf("no summary:\n%s", e.Out)
	}
	for _, w := range []string{"(unauthenticated)", "[tag-gated] ", "protect-tvm-function-and-role/DenyTVMFunctionChanges"} {
		if !strings.Contains(e.Out.String(), w) {
			t.Errorf("table lacks %q", w)
		}
	}
}

func loadParams(t *testing.T) scp.Params {
	t.Helper()
	e := cmdtest.New(t)
	var o *SimulateOptions
	if err := e.Run(t, NewCmdSimulate(e.F, func(so *SimulateOptions) error { o = so; return nil }), "--params", paramsFile); err != nil {
		t.Fatal(err)
	}
	p, err := o.Params.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMatrixJSONOneMode(t *testing.T) {
	e := cmdtest.New(t)
	if err := e.Run(t, NewCmdSimulate(e.F, nil), "--params", paramsFile, "--mode", "tag-gated", "--json"); err != nil {
		t.Fatal(err)
	}
	var rows []Row
	if err := json.Unmarshal([]byte(e.Out.String()), &rows); err != nil {
		t.Fatalf("%v\n%s", err, e.Out)
	}
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	for _, r := range rows {
		if r.Mode != scp.ModeTagGated || !r.Pass || r.Got != r.Want || r.Case == "" || r.Request.Action == "" || r.Reason == "" {
			t.Errorf("got %+v", r)
		}
		if r.DecidedBy == nil || r.WantDecidedBy != (scp.StatementRef{Policy: r.DecidedBy.Policy, Sid: r.DecidedBy.Sid}).String() {
			t.Errorf("%s: decided by %+v, want %s", r.Case, r.DecidedBy, r.WantDecidedBy)
		}
	}
}

// withoutTemplate runs the matrix against the embedded templates minus one, as a
// template edit that drops a guardrail would.
func withoutTemplate(name string) func(scp.Params) ([]scp.CaseResult, error) {
	return func(p scp.Params) ([]scp.CaseResult, error) {
		var ts []scp.Template
		for _, t := range scp.Templates() {
			if t.Name != name {
				ts = append(ts, t)
			}
		}
		return scp.RunMatrixWith(p, ts)
	}
}

func TestMatrixFailsWhenAGuardrailIsMissing(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		t.Run("json="+strconv.FormatBool(asJSON), func(t *testing.T) {
			e := cmdtest.New(t)
			cmd := NewCmdSimulate(e.F, func(o *SimulateOptions) error {
				o.RunMatrix = withoutTemplate(scp.TemplateProtectTVM)
				return simulateRun(o)
			})
			args := []string{"--params", paramsFile}
			if asJSON {
				args = append(args, "--json")
			}
			err := e.Run(t, cmd, args...)
			if status.Code(err) != status.Error || !strings.Contains(err.Error(), "cases are not decided as they should be") {
				t.Fatalf("got %v", err)
			}
			out := e.Out.String()
			if asJSON {
				var rows []Row
				if err := json.Unmarshal([]byte(out), &rows); err != nil {
					t.Fatal(err)
				}
				failed := 0
				for _, r := range rows {
					if !r.Pass {
						failed++
					}
				}
				if failed == 0 {
					t.Error("every row passes")
				}
				return
			}
			for _, w := range []string{"DENY   ALLOW ✗", "FAIL admin passes the TVM role to a new function: want DENY by protect-tvm-function-and-role/DenyPassTVMRole, got ALLOW"} {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestQuestion(t *testing.T) {
	base := []string{"--params", paramsFile}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{
			name:     "management admin is stopped by the RCP",
			args:     []string{"--principal", "arn:aws:iam:::role/Admin", "--principal-account", "management", "--action", assume, "--resource", protected},
			wantCode: status.Denied,
			want: []string{"DENY  sts:AssumeRole on " + protected, "arn:aws:iam::999999999999:role/Admin (management account)",
				"decided by:   rcp-deny-assume-protected-roles-except-tvm/DenyAssumeProtectedRolesExceptTVM (RCP attached to r-vend)",
				"SCPs do not apply to the management account", "mode:         enforce"},
		},
		{
			name:     "member admin is stopped by the SCP",
			args:     []string{"--principal", "arn:aws:iam::123456789012:role/Admin", "--principal-account", "member", "--action", assume, "--resource", protected},
			wantCode: status.Denied,
			want: []string{"arn:aws:iam::888888888888:role/Admin (another member account)",
				"decided by:   deny-assume-protected-roles-except-tvm/DenyAssumeProtectedRolesExceptTVM (SCP attached to ou-vend-guardrails)",
				"denied by:    deny-assume-protected-roles-except-tvm/DenyAssumeProtectedRolesExceptTVM, rcp-deny-assume-protected-roles-except-tvm/DenyAssumeProtectedRolesExceptTVM"},
		},
		{
			name:     "the TVM passes",
			args:     []string{"--principal", tvmRole, "--action", assume, "--resource", protected, "--source-identity", "vend-alice"},
			wantCode: status.OK,
			want: []string{"ALLOW  sts:AssumeRole", tvmRole + " (member account from the parameters)",
				"decided by:   deny-assume-protected-roles-except-tvm/DenyAssumeProtectedRolesExceptTVM", "exempts the request", "exempted by:"},
		},
		{
			name:     "SourceIdentity spoofing",
			args:     []string{"--principal", "arn:aws:iam::333333333333:role/Admin", "--action", assume, "--resource", "arn:aws:iam::333333333333:role/app", "--source-identity", "vend-alice"},
			wantCode: status.Denied,
			want:     []string{"deny-vend-source-identity-spoofing/DenyVendSourceIdentityExceptTVM"},
		},
		{
			name: "a chained vended session keeps its SourceIdentity",
			args: []string{"--principal", protected, "--action", assume, "--resource", "arn:aws:iam::333333333333:role/app",
				"--source-identity", "vend-alice", "--context", "aws:SourceIdentity=vend-alice"},
			wantCode: status.OK,
		},
		{
			name:     "tag-gated: untagged role in audit",
			args:     []string{"--mode", "tag-gated", "--principal", "arn:aws:iam::222222222222:role/Admin", "--action", assume, "--resource", protected},
			wantCode: status.OK,
			want:     []string{"ALLOW", "mode:         tag-gated"},
		},
		{
			name: "tag-gated: tagged role enforced",
			args: []string{"--mode", "tag-gated", "--principal", "arn:aws:iam::222222222222:role/Admin", "--action", assume, "--resource", protected,
				"--resource-tag", "vend:enforce=true"},
			wantCode: status.Denied,
			want:     []string{"deny-assume-protected-roles-except-tvm-tagged/DenyAssumeTaggedProtectedRolesExceptTVM"},
		},
		{
			name:     "web identity federation",
			args:     []string{"--action", "sts:AssumeRoleWithWebIdentity", "--resource", protected},
			wantCode: status.Denied,
			want:     []string{"(unauthenticated federation call)", "rcp-deny-assume-protected-roles-except-tvm/"},
		},
		{
			name:     "assumed-role session as principal",
			args:     []string{"--principal", "arn:aws:sts::222222222222:assumed-role/Admin/alice", "--action", assume, "--resource", protected},
			wantCode: status.Usage,
		},
		{
			name:     "action without service",
			args:     []string{"--principal", tvmRole, "--action", "AssumeRole", "--resource", protected},
			wantCode: status.Usage,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			err := e.Run(t, NewCmdSimulate(e.F, nil), append(base, tt.args...)...)
			e.Expect(t, err, tt.wantCode, tt.want...)
		})
	}
}

func TestQuestionSessionPrincipalHint(t *testing.T) {
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdSimulate(e.F, nil), "--params", paramsFile,
		"--principal", "arn:aws:sts::222222222222:assumed-role/Admin/alice", "--action", assume, "--resource", protected)
	if !strings.Contains(err.Error(), "arn:aws:iam::222222222222:role/PATH/NAME") {
		t.Errorf("no hint: %v", err)
	}
}

func TestQuestionJSON(t *testing.T) {
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdSimulate(e.F, nil), "--params", paramsFile, "--json",
		"--principal", "arn:aws:iam:::role/vend-tvm/vend-tvm", "--principal-account", "external", "--action", assume, "--resource", protected)
	if status.Code(err) != status.Denied {
		t.Fatalf("got %v", err)
	}
	var a Answer
	if err := json.Unmarshal([]byte(e.Out.String()), &a); err != nil {
		t.Fatalf("%v\n%s", err, e.Out)
	}
	want := Answer{
		Decision: scp.Deny,
		DecidedBy: &Statement{Policy: scp.TemplateRCPDenyAssume, Kind: scp.KindRCP, Target: scp.SimulationRoot, Index: 0,
			Sid: scp.SidDenyAssume},
		Mode:         scp.ModeEnforce,
		Request:      Request{Principal: "arn:aws:iam::777777777777:role/vend-tvm/vend-tvm", Action: assume, Resource: protected},
		Organisation: Organisation{ID: "o-abcdef1234", ManagementAccount: "999999999999", MemberAccount: "888888888888", ExternalAccount: "777777777777"},
	}
	if a.Reason == "" || len(a.Denies) != 1 || a.Exempted == nil {
		t.Errorf("got %+v", a)
	}
	a.Reason, a.Denies, a.Exempted = "", nil, nil
	if !reflect.DeepEqual(a, want) {
		t.Errorf("got  %+v\nwant %+v", a, want)
	}
}

func FuzzParseKV(f *testing.F) {
	for _, s := range []string{"a=b", "aws:TagKeys=x=y", "=v", "k", "", " =x", "k="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, v, err := parseKV("context", s)
		if err != nil {
			return
		}
		if k+"="+v != s || strings.Contains(k, "=") || strings.TrimSpace(k) == "" {
			t.Errorf("parseKV(%q) = %q, %q", s, k, v)
		}
	})
}
