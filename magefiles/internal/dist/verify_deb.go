package dist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// debBashCompletion is where the .deb installs the bash completion, relative to /.
const debBashCompletion = "usr/share/bash-completion/completions/vend"

// DebFiles are what the .deb installs besides /usr/bin/vend, relative to /.
var DebFiles = []string{
	debBashCompletion,
	"usr/share/zsh/vendor-completions/_vend",
	"usr/share/fish/vendor_completions.d/vend.fish",
	"usr/share/man/man1/vend.1.gz",
	"usr/share/doc/vend/copyright",
}

// CheckDeb installs the .deb built for this machine (see withDeb; install=false only
// extracts it) and checks the installed files and that the installed vend runs: `vend
// version` reports the release's version and commit, and `vend completion bash`
// prints what the package installed and bash accepts it.
func (rel *Release) CheckDeb(ctx context.Context, r *project.Runner, install bool) error {
	if runtime.GOOS != "linux" {
		fmt.Fprintf(r.Stdout, "    skipped: a .deb installs only on Linux\n")
		return nil
	}
	if missing := r.MissingTools(ctx, dpkgTools); len(missing) > 0 {
		msg := "checking the .deb needs tools this machine lacks:\n" + project.DescribeMissing(missing)
		if project.InCI() {
			return errors.New(msg)
		}
		fmt.Fprintf(r.Stderr, "warning: %sthe .deb check skips outside CI\n", msg)
		return nil
	}
	a, err := rel.one(typePackage, idCLI, "linux", runtime.GOARCH, "deb")
	if err != nil {
		return err
	}
	deb := rel.path(a)
	how, err := withDeb(ctx, r, deb, install, func(root string) error { return rel.checkInstalled(ctx, r, root) })
	fmt.Fprintf(r.Stdout, "    %s: %s\n", filepath.Base(deb), how)
	return err
}

var dpkgTools = []project.Tool{
	{Name: "dpkg", Check: []string{"dpkg", "--version"}, Fix: "a Debian-based machine"},
	{Name: "dpkg-deb", Check: []string{"dpkg-deb", "--version"}, Fix: "a Debian-based machine"},
}

// checkInstalled checks a vend package's files under root and runs its vend.
func (rel *Release) checkInstalled(ctx context.Context, r *project.Runner, root string) error {
	bin := filepath.Join(root, "usr", "bin", "vend")
	var errs []error
	for _, name := range DebFiles {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err == nil {
			err = checkContent(name, data)
		}
		if err == nil && strings.HasSuffix(name, ".1.gz") {
			err = checkManVersion(data, rel.Metadata.Version)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("/%s: %w", name, err))
		}
	}
	out, err := r.Output(ctx, project.Cmd{Args: []string{bin, "version", "-o", "json"}})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	var info struct{ Version, Commit string }
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		errs = append(errs, fmt.Errorf("vend version -o json: %w", err))
	}
	if info.Version != rel.Metadata.Version || info.Commit != rel.Metadata.Commit {
		errs = append(errs, fmt.Errorf("installed vend reports version %q commit %q, want %q %q",
			info.Version, info.Commit, rel.Metadata.Version, rel.Metadata.Commit))
	}
	text, err := r.Output(ctx, project.Cmd{Args: []string{bin, "version"}})
	if err != nil || !strings.HasPrefix(text, "vend "+rel.Metadata.Version) {
		errs = append(errs, fmt.Errorf("vend version printed %q (%v), want it to start with %q", text, err, "vend "+rel.Metadata.Version))
	}
	comp, err := r.Output(ctx, project.Cmd{Args: []string{bin, "completion", "bash"}})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	installed, _ := os.ReadFile(filepath.Join(root, debBashCompletion))
	if strings.TrimSpace(string(installed)) != comp {
		errs = append(errs, errors.New("vend completion bash differs from the completion file the package installed"))
	}
	if _, err := exec.LookPath("bash"); err == nil {
		// Load the completion as a bash user would and ask bash what it registered.
		script := `source "$1" && complete -p vend`
		reg, err := r.Output(ctx, project.Cmd{Args: []string{"bash", "--norc", "--noprofile", "-c", script, "bash", filepath.Join(root, debBashCompletion)}})
		if err != nil || !strings.Contains(reg, "__start_vend") {
			errs = append(errs, fmt.Errorf("bash does not register the vend completion: %q (%v)", reg, err))
		}
	}
	return errors.Join(errs...)
}
