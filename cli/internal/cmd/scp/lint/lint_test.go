package lint

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/scp"
)

var paramsFile = filepath.Join("..", "testdata", "params.json")

// Policies for the file mode. The bypass compares aws:PrincipalArn with a String
// operator and leaves the account out, two mistakes the linter exists for.
const (
	goodSCP = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyDetachPolicy","Effect":"Deny","Action":"organizations:DetachPolicy","Resource":"*"}]}`
	bypass  = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAssume","Effect":"Deny","Action":"sts:AssumeRole",
		"Resource":"arn:aws:iam::*:role/vend/*","Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/vend-tvm"}}}]}`
	goodRCP = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyExternalSTS","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole",
		"Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abcdef1234"},"Bool":{"aws:PrincipalIsAWSService":"false"}}}]}`
)

func TestNewCmdLintFlags(t *testing.T) {
	cmdtest.RunFlagCases(t, NewCmdLint, []cmdtest.FlagCase[LintOptions]{
		{
			Name: "rendered templates", Args: []string{"--params", paramsFile},
			Check: func(t *testing.T, o *LintOptions) {
				if len(o.Files) != 0 || o.Kind != "auto" || o.Params.File != paramsFile {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			Name: "files", Args: []string{"a.json", "b.json", "--kind", "rcp", "--json"},
			Check: func(t *testing.T, o *LintOptions) {
				if strings.Join(o.Files, ",") != "a.json,b.json" || o.Kind != "rcp" || o.Output != output.FormatJSON {
					t.Errorf("got %+v", o)
				}
			},
		},
		{Name: "nothing to lint", WantCode: status.Usage},
		{Name: "files and parameters", Args: []string{"a.json", "--params", paramsFile}, WantCode: status.Usage},
		{Name: "kind without files", Args: []string{"--params", paramsFile, "--kind", "scp"}, WantCode: status.Usage},
		{Name: "unknown kind", Args: []string{"a.json", "--kind", "tag"}, WantCode: status.Usage},
	})
}

func TestLintRenderedTemplates(t *testing.T) {
	e := cmdtest.New(t)
	if err := e.Run(t, NewCmdLint(e.F, nil), "--params", paramsFile); err != nil {
		t.Fatalf("%v\n%s", err, e.Out)
	}
	if e.Out.String() != "" || e.ErrOut.String() != "7 documents: no findings\n" {
		t.Errorf("stdout %q, stderr %q", e.Out, e.ErrOut)
	}
}

func TestLintFiles(t *testing.T) {
	tests := []struct {
		name       string
		files      map[string]string // relative name → content
		args       []string
		wantCode   int
		want       []string
		wantAbsent []string
	}{
		{name: "clean SCP", files: map[string]string{"guard.json": goodSCP}},
		{name: "RCP recognised by its name", files: map[string]string{"rcp-external.json": goodRCP}},
		{name: "RCP recognised by its directory", files: map[string]string{filepath.Join("rcp", "external.json"): goodRCP}},
		{
			name: "an RCP linted as an SCP", files: map[string]string{"external.json": goodRCP},
			wantCode: status.Error, want: []string{"external.json/DenyExternalSTS: " + scp.RuleSCPPrincipal + ": "},
		},
		{
			name: "--kind wins over the name", files: map[string]string{"external.json": goodRCP}, args: []string{"--kind", "rcp"},
		},
		{
			name: "bypass", files: map[string]string{"guard.json": goodSCP, "bypass.json": bypass},
			wantCode:   status.Error,
			want:       []string{"bypass.json/DenyAssume: " + scp.RuleExemptionOperator + ": ", "bypass.json/DenyAssume: " + scp.RuleExemptionAccount + ": "},
			wantAbsent: []string{"guard.json"},
		},
		{
			name: "not JSON", files: map[string]string{"broken.json": `{"Version":`},
			wantCode: status.Error, want: []string{"broken.json: " + scp.RuleJSON + ": "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			var args []string
			for name, content := range tt.files {
				path := filepath.Join(e.Dir, name)
				cmdtest.WriteFile(t, path, content)
				args = append(args, path)
			}
			err := e.Run(t, NewCmdLint(e.F, nil), append(args, tt.args...)...)
			e.Expect(t, err, tt.wantCode, tt.want...)
			for _, w := range tt.wantAbsent {
				if strings.Contains(e.Out.String(), w) {
					t.Errorf("output has %q:\n%s", w, e.Out)
				}
			}
			if tt.wantCode == status.OK && e.Out.String() != "" {
				t.Errorf("findings for a clean file:\n%s", e.Out)
			}
			if tt.wantCode != status.OK && !strings.Contains(err.Error(), "in "+plural(len(tt.files), "document")) {
				t.Errorf("error %q does not count the documents", err)
			}
		})
	}
}

func TestLintJSON(t *testing.T) {
	e := cmdtest.New(t)
	path := filepath.Join(e.Dir, "bypass.json")
	cmdtest.WriteFile(t, path, bypass)
	err := e.Run(t, NewCmdLint(e.F, nil), path, "--json")
	if status.Code(err) != status.Error {
		t.Fatalf("got %v", err)
	}
	var got []Finding
	if err := json.Unmarshal([]byte(e.Out.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, e.Out)
	}
	rules := map[string]bool{}
	for _, f := range got {
		rules[f.Rule] = true
		if f.Policy != path || f.Sid != "DenyAssume" || f.Index != 0 || f.Message == "" {
			t.Errorf("got %+v", f)
		}
	}
	if !rules[scp.RuleExemptionOperator] || !rules[scp.RuleExemptionAccount] {
		t.Errorf("rules %v", rules)
	}
}

func TestLintCleanJSONIsAnEmptyArray(t *testing.T) {
	e := cmdtest.New(t)
	if err := e.Run(t, NewCmdLint(e.F, nil), "--params", paramsFile, "--json"); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(e.Out.String()) != "[]" {
		t.Errorf("got %s", e.Out)
	}
}

func TestLintMissingFile(t *testing.T) {
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdLint(e.F, nil), filepath.Join(e.Dir, "nope.json"))
	if status.Code(err) != status.Error || !strings.Contains(err.Error(), "read policy") {
		t.Errorf("got %v", err)
	}
}

func TestHelpListsEveryRule(t *testing.T) {
	e := cmdtest.New(t)
	long := NewCmdLint(e.F, nil).Long
	for _, r := range scp.LintRules() {
		if !strings.Contains(long, r.ID+" ") {
			t.Errorf("help lacks rule %s", r.ID)
		}
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		flag, file string
		want       scp.Kind
	}{
		{"auto", "policies/deny-leave.json", scp.KindSCP},
		{"auto", "rcp-deny.json", scp.KindRCP},
		{"auto", "RCP_deny.json", scp.KindRCP},
		{"auto", "templates/rcp/deny.json", scp.KindRCP},
		{"auto", "org/rcps/deny.json", scp.KindRCP},
		{"auto", "rcpish.json", scp.KindSCP},
		{"scp", "rcp-deny.json", scp.KindSCP},
		{"rcp", "deny.json", scp.KindRCP},
	}
	for _, tt := range tests {
		t.Run(tt.flag+" "+tt.file, func(t *testing.T) {
			if got := kindOf(tt.flag, tt.file); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
