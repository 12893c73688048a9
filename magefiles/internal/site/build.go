package site

import (
	"context"
	"os"
	"path/filepath"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// EnvBaseURL overrides the site's base URL (hugo.toml's baseURL, "/") for a build that is
// published under a known address.
const EnvBaseURL = "VEND_SITE_BASE_URL"

// BuildOptions tune a site build.
type BuildOptions struct {
	BaseURL string // empty: $VEND_SITE_BASE_URL, else hugo.toml's
}

// Build generates the reference pages, builds the site with Hugo (minified) and indexes
// it with Pagefind, into PublicDir.
func Build(ctx context.Context, r *project.Runner, opts BuildOptions) error {
	if err := r.Step("generate reference pages", func() error { return Generate(ctx, r) }); err != nil {
		return err
	}
	var hugo string
	if err := r.Step("check hugo", func() (err error) { hugo, err = EnsureHugo(ctx, r); return err }); err != nil {
		return err
	}
	if err := NpmCI(ctx, r); err != nil {
		return err
	}
	public := filepath.Join(r.Root, PublicDir)
	// A fresh folder: files of deleted pages must not linger and get published.
	if err := os.RemoveAll(public); err != nil {
		return err
	}
	args := []string{hugo, "--minify", "--gc", "--destination", "public"}
	base := opts.BaseURL
	if base == "" {
		base = os.Getenv(EnvBaseURL)
	}
	if base != "" {
		args = append(args, "--baseURL", base)
	}
	if err := r.Step("hugo", func() error {
		return r.Run(ctx, project.Cmd{Dir: Dir, Env: []string{"HUGO_ENVIRONMENT=production"}, Args: args})
	}); err != nil {
		return err
	}
	return r.Step("pagefind", func() error {
		return r.Run(ctx, project.Cmd{Dir: Dir, Args: []string{filepath.Join("node_modules", ".bin", "pagefind"), "--site", "public"}})
	})
}
