package dist

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// debAccess is how a .deb's files were made available for checking.
type debAccess string

const (
	// debInstalled is a real `dpkg -i`, maintainer scripts and all, undone afterwards.
	debInstalled debAccess = "installed with dpkg -i"
	// debExtracted is `dpkg-deb -x` into a temporary folder: the files only.
	debExtracted debAccess = "extracted with dpkg-deb -x"
)

// debFrontend keeps dpkg from asking questions: verification runs unattended.
var debEnv = []string{"DEBIAN_FRONTEND=noninteractive"}

// withDeb makes the files of the package deb available under a root folder and calls fn
// with that root. As root, and when no package of that name is installed, it installs
// the package for real with `dpkg -i` and purges it afterwards, whatever fn returns;
// otherwise it extracts the package into a temporary folder, so that a user's own
// installation of vend is never replaced. install=false forces the extraction.
func withDeb(ctx context.Context, r *project.Runner, deb string, install bool, fn func(root string) error) (debAccess, error) {
	name, err := r.Output(ctx, project.Cmd{Args: []string{"dpkg-deb", "--field", deb, "Package"}})
	if err != nil {
		return "", fmt.Errorf("read the package name of %s: %w", deb, err)
	}
	if install && os.Geteuid() == 0 && !debIsInstalled(ctx, name) {
		if err := r.Run(ctx, project.Cmd{Env: debEnv, Args: []string{"dpkg", "--install", deb}}); err != nil {
			// A half-configured package must not stay behind either.
			purgeDeb(ctx, r, name)
			return debInstalled, err
		}
		err := fn("/")
		if perr := purgeDeb(ctx, r, name); perr != nil && err == nil {
			err = perr
		}
		return debInstalled, err
	}
	dir, err := os.MkdirTemp("", "vend-deb-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := r.Run(ctx, project.Cmd{Args: []string{"dpkg-deb", "--extract", deb, dir}}); err != nil {
		return debExtracted, err
	}
	return debExtracted, fn(dir)
}

// debIsInstalled reports whether dpkg knows the package as installed (in any state but
// "not installed"), so that it is left alone.
func debIsInstalled(ctx context.Context, name string) bool {
	out, err := exec.CommandContext(ctx, "dpkg-query", "--show", "--showformat=${db:Status-Status}", name).Output()
	if err != nil {
		return false // dpkg-query fails for a package it has never seen
	}
	s := strings.TrimSpace(string(out))
	return s != "" && s != "not-installed"
}

// purgeDeb removes the package and its configuration. It runs even when the context of
// the verification has been cancelled: a test must not leave a package installed.
func purgeDeb(ctx context.Context, r *project.Runner, name string) error {
	return r.Run(context.WithoutCancel(ctx), project.Cmd{Env: debEnv, Args: []string{"dpkg", "--purge", name}})
}
