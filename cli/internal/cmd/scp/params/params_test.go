package params

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/scp"
)

var paramsFile = filepath.Join("..", "testdata", "params.json")

// parse registers the flags on a fresh set and parses args, as a command would.
func parse(t *testing.T, args ...string) *Flags {
	t.Helper()
	var f Flags
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return &f
}

func writeTemp(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const flagOnly = "--tvm-role-arn=arn:aws:iam::111111111111:role/vend-tvm/vend-tvm"

func TestLoad(t *testing.T) {
	full := []string{
		flagOnly, "--protected-role-path", "/vend/",
		"--deployer-arn", "arn:aws:iam::111111111111:role/vend-deployer",
		"--tvm-function-arn", "arn:aws:lambda:eu-west-1:111111111111:function:vend-tvm",
		"--policy-parameter-arn", "arn:aws:ssm:eu-west-1:111111111111:parameter/vend/policy",
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		check func(t *testing.T, p scp.Params)
	}{
		{
			name: "file alone, with defaults",
			args: []string{"--params", paramsFile},
			check: func(t *testing.T, p scp.Params) {
				if p.ProtectedRolePath != "/vend/" || len(p.ProtectedAccountIDs) != 2 || p.OrgID != "o-abcdef1234" ||
					p.SourceIdentityPrefix != scp.DefaultSourceIdentityPrefix || p.ProtectedRoleTagKey != scp.DefaultProtectedRoleTagKey {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "flags win over the file, lists replace",
			args: []string{"--params", paramsFile, "--source-identity-prefix", "acme-", "--protected-account-id", "444444444444",
				"--break-glass-arn", "arn:aws:iam::444444444444:role/BreakGlass", "--break-glass-arn", "arn:aws:iam::444444444444:user/root,ops"},
			check: func(t *testing.T, p scp.Params) {
				if p.SourceIdentityPrefix != "acme-" || !reflect.DeepEqual(p.ProtectedAccountIDs, []string{"444444444444"}) ||
					len(p.BreakGlassARNs) != 2 || p.BreakGlassARNs[1] != "arn:aws:iam::444444444444:user/root,ops" {
					t.Errorf("got %+v", p)
				}
				if len(p.TVMRoleARNs) != 1 || p.TVMFunctionARN == "" {
					t.Errorf("file values lost: %+v", p)
				}
			},
		},
		{
			name: "flags alone",
			args: full,
			check: func(t *testing.T, p scp.Params) {
				if p.ProtectedAccountIDs == nil || len(p.ProtectedAccountIDs) != 0 || p.OrgID != "" {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name:  "stdin",
			args:  []string{"--params", "-", "--org-id", "o-zyxwvu9876"},
			stdin: mustRead(t, paramsFile),
			check: func(t *testing.T, p scp.Params) {
				if p.OrgID != "o-zyxwvu9876" || len(p.TVMRoleARNs) != 1 {
					t.Errorf("got %+v", p)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parse(t, tt.args...).Load(strings.NewReader(tt.stdin))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name      string
		file      string // content of a temporary params file
		args      []string
		wantUsage bool
		want      []string
	}{
		{name: "nothing given", wantUsage: true, want: []string{"--params FILE"}},
		{name: "missing file", args: []string{"--params", "/nonexistent/p.json"}, want: []string{"read parameters"}},
		{name: "misspelt variable", file: `{"tvm_role_arn": []}`, want: []string{`unknown field "tvm_role_arn"`}},
		{name: "trailing data", file: `{} {}`, want: []string{"trailing data"}},
		{name: "not JSON", file: `tvm_role_arns = []`, want: []string{"parse parameters"}},
		{
			name: "every problem, with its flag", args: []string{flagOnly, "--org-id", "acme"},
			want: []string{"invalid parameters from flags:", "org_id: \"acme\"", "(--org-id)", "deployer_arns: at least one", "(--deployer-arn)", "(--tvm-function-arn)"},
		},
		{
			name: "names the file and the flags", file: mustRead(t, paramsFile), args: []string{"--tvm-role-arn", "arn:aws:sts::111111111111:assumed-role/x/y"},
			want: []string{" and flags:", "tvm_role_arns[0]", "(--tvm-role-arn)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != "" {
				args = append([]string{"--params", writeTemp(t, "p.json", tt.file)}, args...)
			}
			_, err := parse(t, args...).Load(strings.NewReader(""))
			if err == nil {
				t.Fatal("no error")
			}
			var usage *status.UsageError
			if errors.As(err, &usage) != tt.wantUsage {
				t.Errorf("usage error = %v, want %v: %v", !tt.wantUsage, tt.wantUsage, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestInvalidErrorUnwrapsParamErrors(t *testing.T) {
	_, err := parse(t, flagOnly).Load(strings.NewReader(""))
	var ie *InvalidError
	var pe *scp.ParamError
	if !errors.As(err, &ie) || !errors.As(err, &pe) || len(ie.Errs) < 3 {
		t.Fatalf("got %T %v", err, err)
	}
}

// TestFieldsCoverParams pins the flag table to scp.Params: a new parameter needs a flag.
func TestFieldsCoverParams(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	new(Flags).Register(fs)
	typ := reflect.TypeFor[scp.Params]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		flag := FlagFor(name)
		if flag == "" {
			t.Errorf("parameter %s has no flag", name)
			continue
		}
		if fs.Lookup(flag) == nil {
			t.Errorf("flag --%s of %s is not registered", flag, name)
		}
		if fs.Lookup(flag) != nil && !strings.Contains(fs.Lookup(flag).Usage, name) {
			t.Errorf("help of --%s does not name %s", flag, name)
		}
	}
	if got := FlagFor("break_glass_arns[3]"); got != "break-glass-arn" {
		t.Errorf("FlagFor indexed field = %q", got)
	}
	if got := FlagFor("partition"); got != "" {
		t.Errorf("FlagFor(partition) = %q", got)
	}
}

func TestParseMode(t *testing.T) {
	for _, s := range []string{"enforce", "tag-gated"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMode("audit"); status.Code(err) != status.Usage {
		t.Errorf("ParseMode(audit) = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(mustReadF(f, paramsFile))
	f.Add(`{"tvm_role_arns": null, "org_id": "o-x"}`)
	f.Add(`{} x`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, data string) {
		p, err := Decode([]byte(data))
		if err != nil {
			return
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := Decode(again)
		if err != nil {
			t.Fatalf("re-decode %s: %v", again, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Errorf("round trip changed %+v to %+v", p, q)
		}
	})
}

func mustReadF(f *testing.F, path string) string {
	f.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}
