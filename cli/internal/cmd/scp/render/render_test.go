package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/scp"
)

var paramsFile = filepath.Join("..", "testdata", "params.json")

// want renders the templates of a mode with the test parameters through the library,
// which the command must reproduce byte for byte.
func want(t *testing.T, m scp.Mode) []scp.Document {
	t.Helper()
	data, err := os.ReadFile(paramsFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := scp.ParseParams(data)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := scp.RenderTemplates(scp.TemplatesFor(m), p)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestNewCmdRenderFlags(t *testing.T) {
	cmdtest.RunFlagCases(t, NewCmdRender, []cmdtest.FlagCase[RenderOptions]{
		{
			Name: "defaults", Args: []string{"--params", paramsFile},
			Check: func(t *testing.T, o *RenderOptions) {
				if o.Mode != scp.ModeEnforce || o.OutDir != "" || o.Template != "" || o.Output == output.FormatJSON || o.Params.File != paramsFile {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			Name: "mode, out and parameter flags", Args: []string{"--mode", "tag-gated", "--out", "dir", "--tvm-role-arn", "a", "--tvm-role-arn", "b"},
			Check: func(t *testing.T, o *RenderOptions) {
				if o.Mode != scp.ModeTagGated || o.OutDir != "dir" || !slices.Equal(o.Params.TVMRoleARNs, []string{"a", "b"}) {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			Name: "template", Args: []string{"--params", paramsFile, "--template", scp.TemplateProtectTVM},
			Check: func(t *testing.T, o *RenderOptions) {
				if o.Template != scp.TemplateProtectTVM {
					t.Errorf("got %+v", o)
				}
			},
		},
		{Name: "no parameters", Args: nil, WantCode: status.Usage},
		{Name: "unknown mode", Args: []string{"--params", paramsFile, "--mode", "audit"}, WantCode: status.Usage},
		{Name: "unknown template", Args: []string{"--params", paramsFile, "--template", "nope"}, WantCode: status.Usage},
		{Name: "template and mode", Args: []string{"--params", paramsFile, "--template", scp.TemplateProtectTVM, "--mode", "enforce"}, WantCode: status.Usage},
		{Name: "template and out", Args: []string{"--params", paramsFile, "--template", scp.TemplateProtectTVM, "--out", "d"}, WantCode: status.Usage},
		{Name: "out and json", Args: []string{"--params", paramsFile, "--out", "d", "--json"}, WantCode: status.Usage},
		{Name: "argument", Args: []string{paramsFile}, WantCode: status.Usage},
	})
}

func TestRenderPrints(t *testing.T) {
	for _, m := range []scp.Mode{scp.ModeEnforce, scp.ModeTagGated} {
		t.Run(string(m), func(t *testing.T) {
			e := cmdtest.New(t)
			if err := e.Run(t, NewCmdRender(e.F, nil), "--params", paramsFile, "--mode", string(m)); err != nil {
				t.Fatal(err)
			}
			var wantOut strings.Builder
			for i, d := range want(t, m) {
				if i > 0 {
					wantOut.WriteString("\n")
				}
				fmt.Fprintf(&wantOut, "# %s (%s, %d/5120 characters)\n%s\n", d.Name, d.Kind, d.Size(), d.JSON)
			}
			if e.Out.String() != wantOut.String() {
				t.Errorf("got\n%s\nwant\n%s", e.Out, wantOut.String())
			}
		})
	}
}

func TestRenderTemplateAlone(t *testing.T) {
	e := cmdtest.New(t)
	if err := e.Run(t, NewCmdRender(e.F, nil), "--params", paramsFile, "--template", scp.TemplateRCPDenyAssumeTagged); err != nil {
		t.Fatal(err)
	}
	var d scp.Document
	for _, doc := range want(t, scp.ModeTagGated) {
		if doc.Name == scp.TemplateRCPDenyAssumeTagged {
			d = doc
		}
	}
	if e.Out.String() != string(d.JSON)+"\n" {
		t.Errorf("got %q, want the minified document alone", e.Out)
	}
}

func TestRenderWritesFiles(t *testing.T) {
	e := cmdtest.New(t)
	dir := filepath.Join(e.Dir, "out", "policies")
	if err := e.Run(t, NewCmdRender(e.F, nil), "--params", paramsFile, "--mode", "tag-gated", "--out", dir); err != nil {
		t.Fatal(err)
	}
	docs := want(t, scp.ModeTagGated)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(docs) {
		t.Errorf("%d files, want %d", len(entries), len(docs))
	}
	for _, d := range docs {
		path := filepath.Join(dir, d.Name+".json")
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(d.JSON)+"\n" {
			t.Errorf("%s differs from the library's rendering", path)
		}
		if !strings.Contains(e.Out.String(), "wrote "+path+" ("+string(d.Kind)) {
			t.Errorf("output does not list %s:\n%s", path, e.Out)
		}
	}
	if !strings.Contains(e.Out.String(), scp.TemplateDenyAssumeTagged+".json") || strings.Contains(e.Out.String(), scp.TemplateDenyAssume+".json") {
		t.Errorf("tag-gated mode wrote the wrong variant:\n%s", e.Out)
	}
}

func TestRenderJSON(t *testing.T) {
	e := cmdtest.New(t)
	if err := e.Run(t, NewCmdRender(e.F, nil), "--params", paramsFile, "--json"); err != nil {
		t.Fatal(err)
	}
	var got []Rendered
	if err := json.Unmarshal([]byte(e.Out.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, e.Out)
	}
	docs := want(t, scp.ModeEnforce)
	if len(got) != len(docs) {
		t.Fatalf("%d documents, want %d", len(got), len(docs))
	}
	for i, d := range docs {
		g := got[i]
		if g.Name != d.Name || g.Kind != d.Kind || g.Size != d.Size() || g.Description == "" || !strings.HasSuffix(g.Path, d.Name+".json") {
			t.Errorf("document %d: got %+v", i, g)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, g.Document); err != nil || compact.String() != string(d.JSON) {
			t.Errorf("%s: document differs", d.Name)
		}
	}
}

func TestRenderParameterFlags(t *testing.T) {
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdRender(e.F, nil), "--params", paramsFile, "--source-identity-prefix", "acme-", "--template", scp.TemplateDenySpoofing)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Out.String(), `"acme-*"`) || strings.Contains(e.Out.String(), `"vend-*"`) {
		t.Errorf("flag did not win over the default: %s", e.Out)
	}
}

func TestRenderParamsFromStdin(t *testing.T) {
	e := cmdtest.New(t)
	data, err := os.ReadFile(paramsFile)
	if err != nil {
		t.Fatal(err)
	}
	e.In.Write(data)
	if err := e.Run(t, NewCmdRender(e.F, nil), "--params", "-", "--template", scp.TemplateProtectTVM); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Out.String(), "vend-deployer") {
		t.Errorf("got %s", e.Out)
	}
}

func TestRenderInvalidParameters(t *testing.T) {
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdRender(e.F, nil), "--params", paramsFile, "--deployer-arn", "arn:aws:iam::222222222222:role/vend/deployer")
	if status.Code(err) != status.Error {
		t.Fatalf("got %v", err)
	}
	for _, w := range []string{"deployer_arns[0]", "lies inside the protected roles", "(--deployer-arn)"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if e.Out.String() != "" {
		t.Errorf("printed documents for invalid parameters: %s", e.Out)
	}
}

func TestRenderRefusesOversizedDocuments(t *testing.T) {
	e := cmdtest.New(t)
	args := []string{"--params", paramsFile}
	// Enough break-glass roles to push the protection SCP past the AWS limit.
	for i := range 80 {
		args = append(args, "--break-glass-arn", "arn:aws:iam::222222222222:role/break-glass/BreakGlassOperator"+strconv.Itoa(i))
	}
	err := e.Run(t, NewCmdRender(e.F, nil), args...)
	if status.Code(err) != status.Error || !strings.Contains(err.Error(), "over the AWS limit") || !strings.Contains(err.Error(), scp.TemplateProtectTVM) {
		t.Fatalf("got %v", err)
	}
}
