package e2e

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/terraform/internal/tfcli"
	"github.com/vend-tvm/vend/terraform/internal/tfdocs"
)

// roots lists every module and example (modules/*, examples/*), relative to the
// terraform folder, so that a new one is checked without editing this file.
func roots(t *testing.T) []string {
	t.Helper()
	dirs, err := tfdocs.Dirs("..")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(dirs))
	for _, d := range dirs {
		rel, err := filepath.Rel("..", d)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	for _, want := range []string{"modules/tvm", "modules/protected-role", "modules/revocation-writer", "examples/complete", "examples/local"} {
		if !slices.Contains(out, want) {
			t.Fatalf("%s missing from %v", want, out)
		}
	}
	return out
}

// minRuns is the least number of `terraform test` runs a module's suite must report, so
// that a suite cannot silently shrink; modules not listed need at least one.
var minRuns = map[string]int{"modules/tvm": 25, "modules/protected-role": 15}

func TestFormat(t *testing.T) {
	requireTool(t, tfcli.Binary)
	t.Parallel()
	ctx := testContext(t, 2*time.Minute)

	ws := workspace(t)
	tf := newRunner(t, ws)
	if out, err := tf.Run(ctx, "fmt", "-check", "-recursive", "-diff"); err != nil {
		t.Fatalf("terraform fmt -check found unformatted files (run terraform fmt -recursive in terraform/):\n%s\n%v", out, err)
	}
}

func TestValidate(t *testing.T) {
	requireTool(t, tfcli.Binary)
	t.Parallel()
	ws := workspace(t)

	for _, root := range roots(t) {
		t.Run(root, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t, 3*time.Minute)
			tf := newRunner(t, filepath.Join(ws, root))
			_, err := tf.Run(ctx, "init", "-input=false", "-backend=false")
			must(t, "init", err)
			out, err := tf.Run(ctx, "validate", "-json")
			var res struct {
				Valid        bool `json:"valid"`
				ErrorCount   int  `json:"error_count"`
				WarningCount int  `json:"warning_count"`
				Diagnostics  []struct {
					Severity string `json:"severity"`
					Summary  string `json:"summary"`
					Detail   string `json:"detail"`
				} `json:"diagnostics"`
			}
			if jerr := json.Unmarshal([]byte(out), &res); jerr != nil {
				t.Fatalf("validate: %v; output %q (decode: %v)", err, out, jerr)
			}
			if !res.Valid || res.ErrorCount > 0 || res.WarningCount > 0 {
				t.Errorf("terraform validate: valid=%v errors=%d warnings=%d: %+v", res.Valid, res.ErrorCount, res.WarningCount, res.Diagnostics)
			}
		})
	}
}

var testSummary = regexp.MustCompile(`(\d+) passed, (\d+) failed`)

// TestModules runs each module's mocked `terraform test` suite.
func TestModules(t *testing.T) {
	requireTool(t, tfcli.Binary)
	t.Parallel()
	ws := workspace(t)

	for _, root := range roots(t) {
		suites, err := filepath.Glob(filepath.Join("..", root, "tests", "*.tftest.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		if len(suites) == 0 {
			if strings.HasPrefix(root, "modules/") {
				t.Errorf("%s has no tests/*.tftest.hcl", root)
			}
			continue
		}
		want := max(1, minRuns[root])
		t.Run(root, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t, 5*time.Minute)
			tf := newRunner(t, filepath.Join(ws, root))
			must(t, "init", tf.Init(ctx))
			out, err := tf.Run(ctx, "test")
			if err != nil {
				t.Fatalf("terraform test: %v", err)
			}
			m := testSummary.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("terraform test printed no summary:\n%s", out)
			}
			passed, _ := strconv.Atoi(m[1])
			if m[2] != "0" || passed < want {
				t.Errorf("terraform test: %s passed, %s failed; want at least %d runs and no failure", m[1], m[2], want)
			}
		})
	}
}
