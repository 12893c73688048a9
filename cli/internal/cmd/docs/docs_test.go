package docs_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/vend-tvm/vend/cli/internal/cmd/docs"
	"github.com/vend-tvm/vend/cli/internal/cmd/root"
	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/status"
)

func TestNewCmdDocsFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		check    func(t *testing.T, o *docs.DocsOptions)
	}{
		{
			name: "defaults", args: []string{"--dir", "out"},
			check: func(t *testing.T, o *docs.DocsOptions) {
				if o.Dir != "out" || o.Format != docs.FormatMarkdown || o.BaseURL != docs.DefaultBaseURL || o.Root == nil {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			name: "man", args: []string{"--dir", "out", "--format", "man"},
			check: func(t *testing.T, o *docs.DocsOptions) {
				if o.Format != docs.FormatMan {
					t.Errorf("got %+v", o)
				}
			},
		},
		{name: "no dir", args: nil, wantCode: status.Usage},
		{name: "unknown format", args: []string{"--dir", "out", "--format", "html"}, wantCode: status.Usage},
		{name: "relative base URL", args: []string{"--dir", "out", "--base-url", "reference/cli/"}, wantCode: status.Usage},
		{name: "argument", args: []string{"out"}, wantCode: status.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			var got *docs.DocsOptions
			err := e.Run(t, docs.NewCmdDocs(e.F, func(o *docs.DocsOptions) error { got = o; return nil }), tt.args...)
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.wantCode)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

// visible lists the commands a reader can see: not hidden, not help, and not under a
// hidden command.
func visible(c *cobra.Command) []*cobra.Command {
	if c.Hidden || c.Name() == "help" {
		return nil
	}
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		out = append(out, visible(sub)...)
	}
	return out
}

func hidden(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		if sub.Hidden {
			out = append(out, sub)
		}
		out = append(out, hidden(sub)...)
	}
	return out
}

// generate runs `vend docs` through the root command, as the site build does.
func generate(t *testing.T, e *cmdtest.Env, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if code := root.Run(ctx, e.F, append([]string{"docs"}, args...)); code != 0 {
		t.Fatalf("exit %d: %s", code, e.ErrOut)
	}
}

func files(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	slices.Sort(m)
	return m
}

type frontMatter struct {
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	Generated   bool   `yaml:"generated"`
	Weight      int    `yaml:"weight"`
}

func parsePage(t *testing.T, path string) (frontMatter, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := strings.CutPrefix(string(data), "---\n")
	if !ok {
		t.Fatalf("%s: no front matter", path)
	}
	head, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		t.Fatalf("%s: front matter not closed", path)
	}
	var fm frontMatter
	dec := yaml.NewDecoder(strings.NewReader(head))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil {
		t.Fatalf("%s: front matter: %v", path, err)
	}
	return fm, body
}

var linkRE = regexp.MustCompile(`\]\(([^)]*)\)`)

func TestMarkdownPages(t *testing.T) {
	e := cmdtest.New(t)
	dir := filepath.Join(e.Dir, "site", "content", "reference", "cli")
	generate(t, e, "--dir", dir)

	tree := root.NewCmdRoot(e.F)
	cmds := visible(tree)
	var want []string
	byFile := map[string]*cobra.Command{}
	for _, c := range cmds {
		name := docs.MarkdownName(c)
		want = append(want, name)
		byFile[name] = c
	}
	slices.Sort(want)
	if got := files(t, dir, "*"); !slices.Equal(got, want) {
		t.Fatalf("pages %v\nwant  %v", got, want)
	}
	if len(want) < 10 || !slices.Contains(want, "vend_scp_simulate.md") {
		t.Errorf("suspiciously few pages: %v", want)
	}
	for _, h := range hidden(tree) {
		if _, err := os.Stat(filepath.Join(dir, docs.MarkdownName(h))); err == nil {
			t.Errorf("hidden command %s has a page", h.CommandPath())
		}
	}

	weights := map[int]string{}
	for _, name := range want {
		c := byFile[name]
		fm, body := parsePage(t, filepath.Join(dir, name))
		if fm.Title != c.CommandPath() || fm.Description != c.Short || !fm.Generated || fm.Weight <= 0 {
			t.Errorf("%s: front matter %+v", name, fm)
		}
		if other, dup := weights[fm.Weight]; dup {
			t.Errorf("%s and %s share weight %d", name, other, fm.Weight)
		}
		weights[fm.Weight] = name
		if strings.Contains(body, "## "+c.CommandPath()+"\n") || strings.Contains(body, "Auto generated") {
			t.Errorf("%s: cobra's heading or date stamp left in", name)
		}
		if c.Example != "" && !strings.Contains(body, "## Examples") {
			t.Errorf("%s: no examples section", name)
		}

		links := linkRE.FindAllStringSubmatch(body, -1)
		if c.HasParent() && len(links) == 0 {
			t.Errorf("%s: no links", name)
		}
		for _, l := range links {
			target := l[1]
			page, ok := strings.CutPrefix(target, docs.DefaultBaseURL)
			if !ok || !strings.HasSuffix(page, "/") {
				t.Errorf("%s: link %q is not under %s", name, target, docs.DefaultBaseURL)
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(page, "/")+".md")); err != nil {
				t.Errorf("%s: link %q resolves to no generated page", name, target)
			}
		}
		if c.HasParent() && !strings.Contains(body, "("+docs.DefaultBaseURL+strings.TrimSuffix(docs.MarkdownName(c.Parent()), ".md")+"/)") {
			t.Errorf("%s: no link to its parent", name)
		}
	}
	if !strings.Contains(e.Out.String(), "wrote ") {
		t.Errorf("stdout: %s", e.Out)
	}
}

func TestMarkdownPagesCustomBaseURL(t *testing.T) {
	e := cmdtest.New(t)
	dir := filepath.Join(e.Dir, "cli")
	generate(t, e, "--dir", dir, "--base-url", "/docs/cli/")
	_, body := parsePage(t, filepath.Join(dir, "vend_scp.md"))
	if !strings.Contains(body, "(/docs/cli/vend_scp_render/)") {
		t.Errorf("links ignore --base-url:\n%s", body)
	}
}

func TestFlagsInProseAreCode(t *testing.T) {
	e := cmdtest.New(t)
	dir := filepath.Join(e.Dir, "cli")
	generate(t, e, "--dir", dir)
	_, body := parsePage(t, filepath.Join(dir, "vend.md"))
	// Hugo's typographer would turn a bare --remote-server into an en dash.
	if !strings.Contains(body, "`--remote-server`") {
		t.Errorf("flag not set as code:\n%s", body)
	}
}

func TestStalePagesGoHandWrittenStay(t *testing.T) {
	e := cmdtest.New(t)
	dir := filepath.Join(e.Dir, "cli")
	cmdtest.WriteFile(t, filepath.Join(dir, "vend_removed.md"), "---\ntitle: vend removed\ngenerated: true\n---\n")
	cmdtest.WriteFile(t, filepath.Join(dir, "vend_guide.md"), "---\ntitle: A guide\n---\ngenerated: true\n")
	cmdtest.WriteFile(t, filepath.Join(dir, "_index.md"), "---\ntitle: CLI reference\n---\n")
	cmdtest.WriteFile(t, filepath.Join(dir, "vend-removed.1"), ".TH x\n")
	generate(t, e, "--dir", dir)
	for name, want := range map[string]bool{"vend_removed.md": false, "vend_guide.md": true, "_index.md": true, "vend-removed.1": true} {
		_, err := os.Stat(filepath.Join(dir, name))
		if exists := err == nil; exists != want {
			t.Errorf("%s exists = %v, want %v", name, exists, want)
		}
	}
}

func TestManPages(t *testing.T) {
	e := cmdtest.New(t)
	e.SetVar("SOURCE_DATE_EPOCH", "1736000000") // 2025-01-04
	dir := filepath.Join(e.Dir, "man")
	cmdtest.WriteFile(t, filepath.Join(dir, "vend-removed.1"), ".TH x\n")
	generate(t, e, "--dir", dir, "--format", "man")

	var want []string
	for _, c := range visible(root.NewCmdRoot(e.F)) {
		want = append(want, docs.ManName(c))
	}
	slices.Sort(want)
	if got := files(t, dir, "*"); !slices.Equal(got, want) {
		t.Fatalf("man pages %v\nwant      %v", got, want)
	}
	page, err := os.ReadFile(filepath.Join(dir, "vend-scp-render.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`.TH "VEND-SCP-RENDER" "1" "Jan 2025" "vend `, ".SH NAME", ".SH SEE ALSO", `\fBvend-scp(1)\fP`, ".SH EXAMPLE"} {
		if !strings.Contains(string(page), w) {
			t.Errorf("man page lacks %q:\n%s", w, page)
		}
	}
	if strings.Contains(string(page), "Auto generated") {
		t.Error("man page carries cobra's stamp")
	}
}

func TestManPagesBadSourceDate(t *testing.T) {
	e := cmdtest.New(t)
	e.SetVar("SOURCE_DATE_EPOCH", "yesterday")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if code := root.Run(ctx, e.F, []string{"docs", "--dir", e.Dir, "--format", "man"}); code != status.Error {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(e.ErrOut.String(), "SOURCE_DATE_EPOCH") {
		t.Errorf("stderr: %s", e.ErrOut)
	}
}
