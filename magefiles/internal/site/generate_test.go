package site

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/internal/testkit"
)

const sampleReadme = `# tvm

The vend token vending machine (TVM): a Lambda function.

See [the notes](../../README.md) for more.

<!-- BEGIN_TF_DOCS -->
## Inputs

| Name | Description |
|------|-------------|
| ` + "`name`" + ` | Name of the function. |
<!-- END_TF_DOCS -->
`

func TestExtractTFDocs(t *testing.T) {
	tests := []struct {
		name, readme, want, err string
	}{
		{name: "ok", readme: sampleReadme, want: "## Inputs\n\n| Name | Description |"},
		{name: "crlf", readme: strings.ReplaceAll(sampleReadme, "\n", "\r\n"), want: "## Inputs\n\n| Name"},
		{name: "no begin", readme: "# x\n", err: "no <!-- BEGIN_TF_DOCS --> marker"},
		{name: "no end", readme: "<!-- BEGIN_TF_DOCS -->\nx\n", err: "no <!-- END_TF_DOCS --> marker"},
		{name: "empty", readme: "<!-- BEGIN_TF_DOCS -->\n\n<!-- END_TF_DOCS -->", err: "nothing between"},
		{name: "nested", readme: "<!-- BEGIN_TF_DOCS -->\n<!-- BEGIN_TF_DOCS -->\n<!-- END_TF_DOCS -->", err: "two"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExtractTFDocs([]byte(tt.readme))
			if testkit.ErrCase(t, err, tt.err) {
				return
			}
			if !strings.HasPrefix(got, tt.want) || strings.Contains(got, "TF_DOCS") {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestReadmeSummary(t *testing.T) {
	if got, want := ReadmeSummary([]byte(sampleReadme)), "The vend token vending machine (TVM): a Lambda function."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := ReadmeSummary([]byte("# x\n\nSee [y](./y.md).\n\n<!-- BEGIN_TF_DOCS -->")); got != "" {
		t.Errorf("a paragraph with a relative link was used: %q", got)
	}
}

func TestTerraformPages(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, TerraformModDir, "tvm", "README.md"), sampleReadme)
	write(t, filepath.Join(root, TerraformModDir, "wip", "main.tf"), "# a module without a README yet\n")
	pages, err := TerraformPages(root)
	if err != nil {
		t.Fatal(err)
	}
	keys := mapKeys(pages)
	if want := []string{"terraform/_index.md", "terraform/tvm.md"}; !slices.Equal(keys, want) {
		t.Fatalf("pages %v, want %v", keys, want)
	}
	tvm := string(pages["terraform/tvm.md"])
	for _, want := range []string{`title: "tvm module"`, "generated: true", "| `name` | Name of the function. |", "The vend token vending machine"} {
		if !strings.Contains(tvm, want) {
			t.Errorf("tvm page lacks %q:\n%s", want, tvm)
		}
	}
	if strings.Contains(tvm, "../../README.md") {
		t.Error("a repository-relative link leaked into the page")
	}
	if !strings.Contains(string(pages["terraform/_index.md"]), "[tvm](/reference/terraform/tvm/)") {
		t.Error("the index does not link the module")
	}

	write(t, filepath.Join(root, TerraformModDir, "broken", "README.md"), "# broken\n")
	if _, err := TerraformPages(root); err == nil || !strings.Contains(err.Error(), "broken/README.md") {
		t.Fatalf("err = %v, want one naming the README without markers", err)
	}
}

func TestChangelogPage(t *testing.T) {
	page, err := ChangelogPage([]byte("# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Added\n- lambda: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	fm, body, ok := splitFrontMatter(page)
	if !ok || !strings.Contains(fm, `title: "Changelog"`) || !strings.Contains(fm, "generated: true") {
		t.Fatalf("front matter %q", fm)
	}
	if strings.Contains(body, "# Changelog") || !strings.HasPrefix(strings.TrimSpace(body), "Intro.") || !strings.Contains(body, "### Added\n- lambda: x") {
		t.Fatalf("body %q", body)
	}
	if _, err := ChangelogPage([]byte("# Changelog\n")); err == nil {
		t.Fatal("want an error for a changelog without entries")
	}
}

func TestIsGenerated(t *testing.T) {
	tests := []struct {
		name, content string
		want          bool
	}{
		{"rendered", string(Page{Title: "x"}.render("body")), true},
		{"vend docs style", "---\ntitle: vend\ngenerated: true\nweight: 1\n---\nbody\n", true},
		{"hand-written", "---\ntitle: Policy\n---\nbody\n", false},
		{"false", "---\ngenerated: false\n---\n", false},
		{"in the body only", "---\ntitle: x\n---\ngenerated: true\n", false},
		{"no front matter", "generated: true\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsGenerated([]byte(tt.content)); got != tt.want {
				t.Errorf("IsGenerated = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPageRenderQuotes(t *testing.T) {
	page := string(Page{Title: `a "quoted": title`, Description: "d"}.render("b"))
	if !strings.Contains(page, `title: "a \"quoted\": title"`) {
		t.Fatalf("title not quoted safely:\n%s", page)
	}
}

func TestCompare(t *testing.T) {
	existing := map[string][]byte{
		"errors.md":        []byte("old"),
		"changelog.md":     []byte("same"),
		"terraform/old.md": []byte("gone"),
		"cli/vend.md":      []byte("kept while skipped"),
	}
	want := map[string][]byte{
		"errors.md":        []byte("new"),
		"changelog.md":     []byte("same"),
		"terraform/tvm.md": []byte("added"),
	}
	d := Compare(existing, want, []string{"cli/"})
	if !slices.Equal(d.Changed, []string{"errors.md"}) || !slices.Equal(d.Missing, []string{"terraform/tvm.md"}) || !slices.Equal(d.Extra, []string{"terraform/old.md"}) {
		t.Fatalf("drift %+v", d)
	}
	if d.Empty() || !strings.Contains(d.String(), "site/content/reference/errors.md") {
		t.Fatalf("drift string %q", d.String())
	}
	if !Compare(want, want, nil).Empty() {
		t.Fatal("identical pages drift")
	}
}

func TestExistingPagesSkipsHandWritten(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "policy.md"), "---\ntitle: Policy\n---\nhand-written\n")
	write(t, filepath.Join(dir, "terraform", "tvm.md"), string(Page{Title: "tvm"}.render("x")))
	got, err := ExistingPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if keys := mapKeys(got); !slices.Equal(keys, []string{"terraform/tvm.md"}) {
		t.Fatalf("got %v", keys)
	}
	if got, err := ExistingPages(filepath.Join(dir, "missing")); err != nil || len(got) != 0 {
		t.Fatalf("missing folder: %v, %v", got, err)
	}
}

func TestCollectCLIPages(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "vend.md"), "---\ntitle: vend\ngenerated: true\n---\n[exec](/reference/cli/vend_exec/)\n")
	write(t, filepath.Join(dir, "vend_exec.md"), "---\ntitle: vend exec\ngenerated: true\n---\nx\n")
	pages, err := collectCLIPages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if keys := mapKeys(pages); !slices.Equal(keys, []string{"cli/_index.md", "cli/vend.md", "cli/vend_exec.md"}) {
		t.Fatalf("got %v", keys)
	}
	write(t, filepath.Join(dir, "vend_bad.md"), "---\ntitle: bad\n---\n")
	if _, err := collectCLIPages(dir); err == nil || !strings.Contains(err.Error(), "vend_bad.md") {
		t.Fatalf("err = %v, want one naming the page without the marker", err)
	}
}

func TestIsUnknownDocs(t *testing.T) {
	if !isUnknownDocs("vend: unknown command \"docs\" for \"vend\"\nRun 'vend --help' for usage.\n") {
		t.Error("cobra's unknown-command message not recognised")
	}
	if isUnknownDocs("vend: open /x: permission denied\n") {
		t.Error("a real failure taken for a missing command")
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mapKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
