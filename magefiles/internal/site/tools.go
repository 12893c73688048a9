package site

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// MinHugo is the oldest Hugo the layouts are written for: Debian bookworm's package.
var MinHugo = Version{0, 111, 3}

// ChromiumPath is Debian's Chromium, which puppeteer-core drives in the browser tests.
const ChromiumPath = "/usr/bin/chromium"

// Version is a semantic version without pre-release parts.
type Version [3]int

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

var hugoVersionRE = regexp.MustCompile(`\bv(\d+)\.(\d+)\.(\d+)`)

// ParseHugoVersion reads the version from `hugo version` output, such as
// "hugo v0.111.3+extended linux/amd64 BuildDate=...".
func ParseHugoVersion(out string) (Version, error) {
	m := hugoVersionRE.FindStringSubmatch(out)
	if m == nil {
		return Version{}, fmt.Errorf("no version in %q", strings.TrimSpace(out))
	}
	var v Version
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	return v, nil
}

// EnsureHugo returns the path of a Hugo at least MinHugo, installing Debian's package
// when none is on the PATH.
func EnsureHugo(ctx context.Context, r *project.Runner) (string, error) {
	path, err := exec.LookPath("hugo")
	if err != nil {
		if err := aptInstall(ctx, r, "hugo"); err != nil {
			return "", err
		}
		if path, err = exec.LookPath("hugo"); err != nil {
			return "", fmt.Errorf("hugo is still not on the PATH after installing it: %w", err)
		}
	}
	out, err := r.Output(ctx, project.Cmd{Args: []string{path, "version"}})
	if err != nil {
		return "", err
	}
	v, err := ParseHugoVersion(out)
	if err != nil {
		return "", err
	}
	if v.Less(MinHugo) {
		return "", fmt.Errorf("%s is Hugo %s; the site needs %s or later (apt-get install hugo, or go install github.com/gohugoio/hugo@v0.165.0)", path, v, MinHugo)
	}
	return path, nil
}

// EnsureChromium returns the path of Debian's Chromium, installing it when missing.
func EnsureChromium(ctx context.Context, r *project.Runner) (string, error) {
	if _, err := os.Stat(ChromiumPath); err == nil {
		return ChromiumPath, nil
	}
	if err := aptInstall(ctx, r, "chromium"); err != nil {
		return "", err
	}
	if _, err := os.Stat(ChromiumPath); err != nil {
		return "", fmt.Errorf("chromium is not at %s after installing it: %w", ChromiumPath, err)
	}
	return ChromiumPath, nil
}

// aptInstall installs a Debian package, refreshing the package lists once if the first
// attempt fails (a fresh machine has none). It needs root, and says how to do it by hand
// otherwise.
func aptInstall(ctx context.Context, r *project.Runner, pkg string) error {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("%s is missing and this machine has no apt-get: install %s yourself", pkg, pkg)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s is missing: run sudo apt-get install -y %s", pkg, pkg)
	}
	install := project.Cmd{Env: []string{"DEBIAN_FRONTEND=noninteractive"}, Args: []string{"apt-get", "install", "-y", "--no-install-recommends", pkg}}
	return r.Step("install "+pkg+" (apt)", func() error {
		if err := r.Run(ctx, install); err == nil {
			return nil
		}
		if err := r.Run(ctx, project.Cmd{Env: install.Env, Args: []string{"apt-get", "update"}}); err != nil {
			return err
		}
		return r.Run(ctx, install)
	})
}

// NpmCI installs the site's pinned npm packages (pagefind, puppeteer-core) from the
// lockfile, unless node_modules already holds exactly that lockfile's packages.
func NpmCI(ctx context.Context, r *project.Runner) error {
	if _, err := exec.LookPath("npm"); err != nil {
		return errors.New("npm is missing: apt-get install -y nodejs npm")
	}
	lock := filepath.Join(r.Root, Dir, "package-lock.json")
	installed := filepath.Join(r.Root, Dir, "node_modules", ".package-lock.json")
	if upToDate(installed, lock) {
		return nil
	}
	return r.Step("npm ci (site)", func() error {
		return r.Run(ctx, project.Cmd{Dir: Dir, Args: []string{"npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"}})
	})
}

// upToDate reports whether target exists and is not older than source.
func upToDate(target, source string) bool {
	t, err := os.Stat(target)
	if err != nil {
		return false
	}
	s, err := os.Stat(source)
	if err != nil {
		return false
	}
	return !t.ModTime().Before(s.ModTime())
}
