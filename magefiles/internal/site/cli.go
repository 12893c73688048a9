package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// ErrNoDocsCommand says the vend CLI has no `docs` command yet, so the CLI reference is
// not generated (and not checked).
var ErrNoDocsCommand = errors.New("vend has no docs command yet")

// CLIPages runs `vend docs --dir DIR` (from source, so the reference always matches the
// code) and returns its pages keyed by path relative to ReferenceDir, under cli/.
func CLIPages(ctx context.Context, r *project.Runner) (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "vend-cli-docs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var stderr bytes.Buffer
	rr := *r
	rr.Stdout, rr.Stderr = &stderr, &stderr
	err = rr.Run(ctx, project.Cmd{Dir: "cli", Args: []string{"go", "run", "./cmd/vend", "docs", "--dir", dir}})
	if err != nil {
		if isUnknownDocs(stderr.String()) {
			return nil, ErrNoDocsCommand
		}
		return nil, fmt.Errorf("%w\n%s", err, stderr.String())
	}
	return collectCLIPages(dir)
}

// isUnknownDocs recognises cobra's answer to a command vend does not have yet.
func isUnknownDocs(out string) bool {
	return strings.Contains(out, `unknown command "docs"`)
}

// collectCLIPages reads the Markdown pages `vend docs` wrote. Each must carry the
// generated marker, which is how Generate knows it may replace or remove them later.
func collectCLIPages(dir string) (map[string][]byte, error) {
	pages := map[string][]byte{}
	var errs []error
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if !IsGenerated(data) {
			errs = append(errs, fmt.Errorf("vend docs wrote %s without %q in its front matter", rel, GeneratedKey+": true"))
			return nil
		}
		pages["cli/"+filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(pages) == 0 {
		return nil, errors.New("vend docs wrote no Markdown pages")
	}
	if _, ok := pages["cli/_index.md"]; !ok {
		pages["cli/_index.md"] = Page{
			Title:       "CLI reference",
			Description: "Every vend command and flag, generated from the CLI's command tree.",
			Weight:      10,
			Source:      "cli (vend docs)",
		}.render("Every `vend` command with its flags and examples, generated from the command tree " +
			"(`vend docs`). Run `vend COMMAND --help` for the same text in your terminal.")
	}
	return pages, nil
}
