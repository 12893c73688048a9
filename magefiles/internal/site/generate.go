package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// Generated is the output of every page generator.
type Generated struct {
	// Pages are keyed by slash-separated path relative to ReferenceDir.
	Pages map[string][]byte
	// Skipped are the folders (relative to ReferenceDir, ending in "/") whose generator
	// did not run; their pages are neither rewritten, removed nor checked.
	Skipped []string
	// Notes say why generators were skipped, for the user.
	Notes []string
}

// GeneratePages runs every generator. The error-code, Terraform and changelog pages come
// from files; the CLI reference runs the CLI, so it needs the Go toolchain.
func GeneratePages(ctx context.Context, r *project.Runner) (*Generated, error) {
	g := &Generated{Pages: map[string][]byte{}}
	var errs []error

	wire, err := os.ReadFile(filepath.Join(r.Root, WireFile))
	if err != nil {
		return nil, err
	}
	fixesData, err := os.ReadFile(filepath.Join(r.Root, ErrorFixesFile))
	if err != nil {
		return nil, err
	}
	codes, err := ParseErrorCodes(wire)
	if err == nil {
		var fixes map[string]ErrorFix
		if fixes, err = ParseErrorFixes(fixesData); err == nil {
			var page []byte
			if page, err = ErrorPage(codes, fixes); err == nil {
				g.Pages["errors.md"] = page
			}
		}
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("error codes: %w", err))
	}

	tf, err := TerraformPages(r.Root)
	if err != nil {
		errs = append(errs, fmt.Errorf("terraform reference: %w", err))
	}
	for k, v := range tf {
		g.Pages[k] = v
	}

	changelog, err := os.ReadFile(filepath.Join(r.Root, ChangelogFile))
	if err == nil {
		var page []byte
		if page, err = ChangelogPage(changelog); err == nil {
			g.Pages["changelog.md"] = page
		}
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("changelog: %w", err))
	}

	cli, err := CLIPages(ctx, r)
	switch {
	case errors.Is(err, ErrNoDocsCommand):
		g.Skipped = append(g.Skipped, "cli/")
		g.Notes = append(g.Notes, "CLI reference skipped: `vend docs` does not exist yet")
	case err != nil:
		errs = append(errs, fmt.Errorf("cli reference: %w", err))
	}
	for k, v := range cli {
		g.Pages[k] = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return g, nil
}

// ExistingPages reads the generated pages under dir (ReferenceDir), keyed like
// Generated.Pages. Hand-written pages there are left out.
func ExistingPages(dir string) (map[string][]byte, error) {
	pages := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == dir {
			return fs.SkipAll
		}
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if IsGenerated(data) {
			rel, _ := filepath.Rel(dir, path)
			pages[filepath.ToSlash(rel)] = data
		}
		return nil
	})
	return pages, err
}

// Drift is how the generated pages on disk differ from what the generators produce.
type Drift struct {
	Changed []string // on disk, with other content
	Missing []string // not on disk
	Extra   []string // generated pages on disk that no generator produces any more
}

// Empty reports whether the pages are current.
func (d Drift) Empty() bool { return len(d.Changed)+len(d.Missing)+len(d.Extra) == 0 }

func (d Drift) String() string {
	var b strings.Builder
	for _, s := range []struct {
		label string
		paths []string
	}{{"changed", d.Changed}, {"missing", d.Missing}, {"no longer generated", d.Extra}} {
		for _, p := range s.paths {
			fmt.Fprintf(&b, "  %s: %s\n", s.label, filepath.ToSlash(filepath.Join(ReferenceDir, p)))
		}
	}
	return b.String()
}

// Compare computes the drift between the pages on disk and the wanted ones, ignoring the
// skipped folders.
func Compare(existing, want map[string][]byte, skipped []string) Drift {
	skip := func(p string) bool {
		return slices.ContainsFunc(skipped, func(prefix string) bool { return strings.HasPrefix(p, prefix) })
	}
	var d Drift
	for p, w := range want {
		got, ok := existing[p]
		switch {
		case !ok:
			d.Missing = append(d.Missing, p)
		case !bytes.Equal(got, w):
			d.Changed = append(d.Changed, p)
		}
	}
	for p := range existing {
		if _, ok := want[p]; !ok && !skip(p) {
			d.Extra = append(d.Extra, p)
		}
	}
	slices.Sort(d.Changed)
	slices.Sort(d.Missing)
	slices.Sort(d.Extra)
	return d
}

// ErrStale is wrapped by Check's error when generated pages are not current.
var ErrStale = errors.New("generated site pages are stale; run go tool mage site:generate and commit the result")

// Generate writes the generated pages under ReferenceDir and removes the generated pages
// no generator produces any more. Unchanged files are not touched.
func Generate(ctx context.Context, r *project.Runner) error {
	g, err := GeneratePages(ctx, r)
	if err != nil {
		return err
	}
	dir := filepath.Join(r.Root, ReferenceDir)
	existing, err := ExistingPages(dir)
	if err != nil {
		return err
	}
	d := Compare(existing, g.Pages, g.Skipped)
	for _, p := range append(d.Changed, d.Missing...) {
		path := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, g.Pages[p], 0o644); err != nil {
			return err
		}
	}
	for _, p := range d.Extra {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			return err
		}
	}
	for _, n := range g.Notes {
		fmt.Fprintln(r.Stdout, "note:", n)
	}
	if d.Empty() {
		fmt.Fprintf(r.Stdout, "%d generated pages are current\n", len(g.Pages))
	} else {
		fmt.Fprintf(r.Stdout, "updated generated pages:\n%s", d)
	}
	return nil
}

// Check fails with ErrStale, naming the pages, when the generated pages on disk differ
// from what the generators produce. CI runs it so that a code change cannot leave the
// reference behind.
func Check(ctx context.Context, r *project.Runner) error {
	g, err := GeneratePages(ctx, r)
	if err != nil {
		return err
	}
	existing, err := ExistingPages(filepath.Join(r.Root, ReferenceDir))
	if err != nil {
		return err
	}
	for _, n := range g.Notes {
		fmt.Fprintln(r.Stdout, "note:", n)
	}
	if d := Compare(existing, g.Pages, g.Skipped); !d.Empty() {
		return fmt.Errorf("%w:\n%s", ErrStale, d)
	}
	return nil
}
