package docs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"go.yaml.in/yaml/v3"

	"github.com/vend-tvm/vend/cli/internal/build"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
)

// Output formats.
const (
	FormatMarkdown = "markdown"
	FormatMan      = "man"
)

// DefaultBaseURL is where the site serves the CLI reference.
const DefaultBaseURL = "/reference/cli/"

// DocsOptions are the dependencies and flags of `vend docs`.
type DocsOptions struct {
	IO     *iostreams.IOStreams
	Root   *cobra.Command
	Now    func() time.Time
	Getenv func(string) string

	Dir     string
	Format  string
	BaseURL string
}

// NewCmdDocs returns the hidden docs command. runF, when set, replaces docsRun.
func NewCmdDocs(f *factory.Factory, runF func(*DocsOptions) error) *cobra.Command {
	opts := &DocsOptions{IO: f.IOStreams, Now: f.Now, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "docs --dir DIR [--format markdown|man]",
		Short: "Generate the CLI reference from the command tree",
		Long: `Generate vend's command reference: one page per command that is not hidden.

--format markdown (the default) writes Hugo pages for the documentation site, with
front matter (title, description, generated: true, weight) and links under --base-url.
--format man writes section 1 man pages for packages; SOURCE_DATE_EPOCH sets their
date, for reproducible builds.

Generated pages of commands that no longer exist are removed; other files in DIR,
such as a hand-written _index.md, are kept.`,
		Example: `  vend docs --dir site/content/reference/cli
  vend docs --dir dist/man --format man`,
		Hidden: true,
		Args:   output.NoArgs("docs"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Dir == "" {
				return status.Usagef("--dir is required\n\nExample:\n  vend docs --dir site/content/reference/cli")
			}
			if opts.Format != FormatMarkdown && opts.Format != FormatMan {
				return status.Usagef("unknown format %q: use markdown or man", opts.Format)
			}
			if !strings.HasPrefix(opts.BaseURL, "/") || !strings.HasSuffix(opts.BaseURL, "/") {
				return status.Usagef("--base-url %q must start and end with /", opts.BaseURL)
			}
			opts.Root = cmd.Root()
			if runF != nil {
				return runF(opts)
			}
			return docsRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "directory to write the pages to (created if missing)")
	cmd.Flags().StringVar(&opts.Format, "format", FormatMarkdown, "markdown (Hugo pages) or man (section 1)")
	cmd.Flags().StringVar(&opts.BaseURL, "base-url", DefaultBaseURL, "site path the markdown pages are served under")
	return cmd
}

func docsRun(opts *DocsOptions) error {
	cmds := documented(opts.Root)
	// Reproducible output: cobra would stamp today's date into every page.
	for _, c := range cmds {
		c.DisableAutoGenTag = true
	}
	// Help texts are written for a terminal; both outputs read them as Markdown.
	longs := make([]string, len(cmds))
	for i, c := range cmds {
		longs[i] = c.Long
		c.Long = helpMarkdown(c.Long)
	}
	defer func() {
		for i, c := range cmds {
			c.Long = longs[i]
		}
	}()
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return fmt.Errorf("create docs directory: %w", err)
	}
	var err error
	if opts.Format == FormatMan {
		err = writeMan(opts, cmds)
	} else {
		err = writeMarkdown(opts, cmds)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "wrote %d %s pages to %s\n", len(cmds), opts.Format, opts.Dir)
	return nil
}

// documented lists root and its descendants that get a page, depth first with
// subcommands sorted by name: the order of the site's navigation.
func documented(root *cobra.Command) []*cobra.Command {
	// cobra adds its help command on Execute; add it now so that it is recognised
	// and skipped when the tree did not go through Execute.
	root.InitDefaultHelpCmd()
	return walk(root)
}

func walk(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() { // sorted by name
		if !sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
			continue
		}
		out = append(out, walk(sub)...)
	}
	return out
}

// MarkdownName is the file name of a command's markdown page, as cobra's link
// handler names it ("vend_scp_render.md").
func MarkdownName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "_") + ".md"
}

// ManName is the file name of a command's man page ("vend-scp-render.1"), matching
// the vend-scp-render(1) references cobra writes under SEE ALSO.
func ManName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
}

// frontMatter is the Hugo front matter of a generated page. Generated marks the page
// for the site's freshness check and for removal when its command goes away.
type frontMatter struct {
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	Generated   bool   `yaml:"generated"`
	Weight      int    `yaml:"weight"`
}

func writeMarkdown(opts *DocsOptions, cmds []*cobra.Command) error {
	keep := map[string]bool{}
	for _, c := range cmds {
		keep[MarkdownName(c)] = true
	}
	if err := removeStale(opts.Dir, ".md", keep, isGeneratedMarkdown); err != nil {
		return err
	}
	link := func(name string) string {
		return opts.BaseURL + strings.TrimSuffix(name, ".md") + "/"
	}
	for i, c := range cmds {
		var body bytes.Buffer
		if err := doc.GenMarkdownCustom(c, &body, link); err != nil {
			return fmt.Errorf("generate %s: %w", c.CommandPath(), err)
		}
		// The title comes from the front matter; cobra's own heading would repeat it.
		page := headings(strings.TrimPrefix(body.String(), "## "+c.CommandPath()+"\n\n"))
		fm, err := yaml.Marshal(frontMatter{Title: c.CommandPath(), Description: c.Short, Generated: true, Weight: (i + 1) * 10})
		if err != nil {
			return fmt.Errorf("front matter of %s: %w", c.CommandPath(), err)
		}
		content := "---\n# Generated by vend docs from the command tree: do not edit.\n" + string(fm) + "---\n\n" + page
		if err := os.WriteFile(filepath.Join(opts.Dir, MarkdownName(c)), []byte(content), 0o644); err != nil {
			return fmt.Errorf("write page: %w", err)
		}
	}
	return nil
}

// headings moves cobra's section headings up a level, under the page title, in the
// site's sentence case.
func headings(page string) string {
	lines := strings.Split(page, "\n")
	fenced := false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "```"):
			fenced = !fenced
		case !fenced && strings.HasPrefix(l, "### "):
			title := strings.TrimPrefix(l, "### ")
			if title == "SEE ALSO" {
				title = "See also"
			}
			lines[i] = "## " + title
		}
	}
	return strings.Join(lines, "\n")
}

func writeMan(opts *DocsOptions, cmds []*cobra.Command) error {
	date, err := sourceDate(opts)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, c := range cmds {
		keep[ManName(c)] = true
	}
	// Every vend*.1 file in the directory is ours: man pages are not written by hand here.
	if err := removeStale(opts.Dir, ".1", keep, func(string) (bool, error) { return true, nil }); err != nil {
		return err
	}
	for _, c := range cmds {
		header := &doc.GenManHeader{
			Section: "1",
			Date:    &date,
			Source:  "vend " + build.Version,
			Manual:  "vend manual",
		}
		var page bytes.Buffer
		if err := doc.GenMan(c, header, &page); err != nil {
			return fmt.Errorf("generate %s: %w", c.CommandPath(), err)
		}
		if err := os.WriteFile(filepath.Join(opts.Dir, ManName(c)), page.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write man page: %w", err)
		}
	}
	return nil
}

// sourceDate is SOURCE_DATE_EPOCH when set (reproducible builds), else now.
func sourceDate(opts *DocsOptions) (time.Time, error) {
	if s := opts.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid SOURCE_DATE_EPOCH %q: want seconds since 1970", s)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	return opts.Now().UTC(), nil
}

// removeStale deletes generated pages (vend*EXT for which generated reports true) that
// are not in keep: the pages of commands removed or hidden since the last run.
func removeStale(dir, ext string, keep map[string]bool, generated func(path string) (bool, error)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read docs directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || keep[name] || !strings.HasPrefix(name, "vend") || !strings.HasSuffix(name, ext) {
			continue
		}
		path := filepath.Join(dir, name)
		ok, err := generated(path)
		if err != nil {
			return err
		}
		if ok {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("remove stale page: %w", err)
			}
		}
	}
	return nil
}

// isGeneratedMarkdown reports whether a page's front matter says generated: true.
func isGeneratedMarkdown(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("read page: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() || sc.Text() != "---" {
		return false, nil
	}
	for sc.Scan() {
		switch line := sc.Text(); {
		case line == "---":
			return false, nil
		case line == "generated: true":
			return true, nil
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return false, fmt.Errorf("read page: %w", err)
	}
	return false, nil
}
