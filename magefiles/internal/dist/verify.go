package dist

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// Verify checks goreleaser's output in distDir (relative to the repository root, or
// absolute) the way users meet it, and reports every failed check together:
//   - checksums.txt verifies, and lists every archive, package and SBOM;
//   - each platform's vend archive holds a static binary for that platform, stamped with
//     the version and commit, and the README, LICENSE, completions and man page;
//   - each Lambda zip holds only bootstrap, executable, built for its architecture with
//     lambda.norpc and stamped;
//   - the .deb and .rpm packages exist for both Linux architectures, the Homebrew cask
//     names the version and the archives' checksums, and every binary has an SBOM;
//   - the .deb for this machine installs with dpkg -i (as root; otherwise it is
//     extracted), and the installed vend prints its version and bash completions.
//
// Run it after `go tool mage dist`.
func Verify(ctx context.Context, r *project.Runner, distDir string) error {
	dir := distDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(r.Root, dir)
	}
	rel, err := Load(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.Stdout, "    verifying vend %s (commit %s) in %s\n", rel.Metadata.Version, rel.Metadata.Commit, distDir)
	checks := []struct {
		name string
		fn   func() error
	}{
		{"checksums verify", rel.CheckChecksums},
		{"vend archives", rel.CheckArchives},
		{"Lambda zips", rel.CheckLambdaZips},
		{"Linux packages", rel.CheckPackages},
		{"Homebrew cask", rel.CheckCask},
		{"SBOMs", rel.CheckSBOMs},
		{".deb installs and runs", func() error { return rel.CheckDeb(ctx, r, true) }},
	}
	var errs []error
	for _, c := range checks {
		errs = append(errs, r.Step("dist: "+c.name, c.fn))
	}
	return errors.Join(errs...)
}
