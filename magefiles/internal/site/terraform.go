package site

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The markers terraform-docs (and the project's tfdocs generator) put around the tables.
const (
	tfDocsBegin = "<!-- BEGIN_TF_DOCS -->"
	tfDocsEnd   = "<!-- END_TF_DOCS -->"
)

// ExtractTFDocs returns the text between the BEGIN_TF_DOCS and END_TF_DOCS markers of a
// module README, trimmed.
func ExtractTFDocs(readme []byte) (string, error) {
	s := strings.ReplaceAll(string(readme), "\r\n", "\n")
	i := strings.Index(s, tfDocsBegin)
	if i < 0 {
		return "", errors.New("no " + tfDocsBegin + " marker")
	}
	rest := s[i+len(tfDocsBegin):]
	j := strings.Index(rest, tfDocsEnd)
	if j < 0 {
		return "", errors.New("no " + tfDocsEnd + " marker after " + tfDocsBegin)
	}
	if strings.Contains(rest[:j], tfDocsBegin) {
		return "", errors.New("two " + tfDocsBegin + " markers before " + tfDocsEnd)
	}
	body := strings.TrimSpace(rest[:j])
	if body == "" {
		return "", errors.New("nothing between the markers")
	}
	return body, nil
}

// ReadmeSummary returns the first paragraph after the README's title: the module's one
// description. Paragraphs with relative links are skipped: they point into the
// repository, not the site.
func ReadmeSummary(readme []byte) string {
	s := strings.ReplaceAll(string(readme), "\r\n", "\n")
	for _, para := range strings.Split(s, "\n\n") {
		p := strings.TrimSpace(para)
		if p == "" || strings.HasPrefix(p, "#") || strings.HasPrefix(p, "<!--") || strings.HasPrefix(p, "```") {
			continue
		}
		if strings.Contains(p, "](.") || strings.HasPrefix(p, "|") || strings.HasPrefix(p, "- ") {
			continue
		}
		return strings.Join(strings.Fields(p), " ")
	}
	return ""
}

// TerraformPages returns the Terraform module reference: one page per module folder
// under terraform/modules whose README has the terraform-docs markers, plus the
// section's index, keyed by path relative to ReferenceDir.
func TerraformPages(root string) (map[string][]byte, error) {
	entries, err := os.ReadDir(filepath.Join(root, TerraformModDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	pages := map[string][]byte{}
	var index strings.Builder
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		rel := TerraformModDir + "/" + name + "/README.md"
		readme, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if errors.Is(err, os.ErrNotExist) {
			continue // a module still being written
		}
		if err != nil {
			return nil, err
		}
		tables, err := ExtractTFDocs(readme)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rel, err))
			continue
		}
		summary := ReadmeSummary(readme)
		var body strings.Builder
		if summary != "" {
			body.WriteString(summary + "\n\n")
		}
		fmt.Fprintf(&body, "Use it as `source = \"github.com/vend-tvm/vend//terraform/modules/%s\"`. ", name)
		fmt.Fprintf(&body, "The module's README in the repository has usage examples and design notes; "+
			"this page has its inputs and outputs.\n\n%s\n", tables)
		pages["terraform/"+name+".md"] = Page{
			Title:       name + " module",
			Description: summary,
			Source:      rel,
		}.render(body.String())
		fmt.Fprintf(&index, "- [%s](/reference/terraform/%s/): %s\n", name, name, summary)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(pages) == 0 {
		return nil, nil
	}
	pages["terraform/_index.md"] = Page{
		Title:       "Terraform modules",
		Description: "Inputs and outputs of every vend Terraform module, generated from the modules.",
		Weight:      20,
		Source:      TerraformModDir,
	}.render("These pages are generated from the modules' READMEs, whose tables are generated from the " +
		"modules' variables and outputs. See [Deploy](/deploy/) for how the modules fit together.\n\n" + index.String())
	return pages, nil
}
