package dist

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// ArchiveFiles are what every vend archive holds besides the binary.
var ArchiveFiles = []string{
	"README.md", "LICENSE",
	"completions/vend.bash", "completions/vend.zsh", "completions/vend.fish",
	"manpages/vend.1.gz",
}

// CheckArchives checks the vend archive of every platform.
func (rel *Release) CheckArchives() error {
	var errs []error
	for _, p := range CLIPlatforms {
		a, err := rel.one(typeArchive, idCLI, p.OS, p.Arch, "")
		if err == nil {
			err = rel.checkArchive(rel.path(a), p)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

func (rel *Release) checkArchive(path string, p Platform) error {
	wantExt, bin := ".tar.gz", "vend"
	if p.OS == "windows" {
		wantExt, bin = ".zip", "vend.exe"
	}
	if !strings.HasSuffix(path, wantExt) {
		return fmt.Errorf("%s: want a %s archive", filepath.Base(path), wantExt)
	}
	files, err := readArchive(path)
	if err != nil {
		return err
	}
	var errs []error
	f, ok := files[bin]
	switch {
	case !ok:
		errs = append(errs, fmt.Errorf("%s: no %s", filepath.Base(path), bin))
	case p.OS != "windows" && f.Mode.Perm()&0o111 == 0:
		errs = append(errs, fmt.Errorf("%s: %s is not executable (mode %v)", filepath.Base(path), bin, f.Mode))
	}
	if ok {
		if err := checkExecutable(f.Data, p.OS, p.Arch); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", bin, err))
		}
		if err := checkStamped(f.Data, rel.Metadata.Version, rel.Metadata.Commit); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", bin, err))
		}
	}
	for _, name := range ArchiveFiles {
		f, ok := files[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: no %s", filepath.Base(path), name))
			continue
		}
		err := checkContent(name, f.Data)
		if err == nil && strings.HasSuffix(name, ".1.gz") {
			err = checkManVersion(f.Data, rel.Metadata.Version)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", filepath.Base(path), name, err))
		}
	}
	return errors.Join(errs...)
}

// contentMarks are what the start of each generated file must hold, so that an empty
// or wrong file (a shell error message, say) is caught.
var contentMarks = map[string]string{
	"vend.bash": "# bash completion",
	"vend.zsh":  "#compdef vend",
	"vend.fish": "complete -c vend",
	"vend":      "# bash completion", // the bash completion as the .deb installs it
	"_vend":     "#compdef vend",
	"vend.1.gz": ".TH",
	"LICENSE":   "Apache License",
	"copyright": "Apache License",
	"README.md": "# vend",
}

// checkContent checks a generated or copied file by its base name; a man page is
// decompressed first.
func checkContent(name string, data []byte) error {
	base := filepath.Base(name)
	mark, ok := contentMarks[base]
	if !ok {
		return nil
	}
	if strings.HasSuffix(base, ".gz") {
		var err error
		if data, err = gunzip(data); err != nil {
			return err
		}
	}
	if !bytes.Contains(data, []byte(mark)) {
		return fmt.Errorf("does not contain %q", mark)
	}
	return nil
}

func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not gzip: %w", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("not gzip: %w", err)
	}
	return out, nil
}

// checkManVersion checks that a gzipped man page names the release in its header, as
// `man` shows it in the page's footer.
func checkManVersion(data []byte, version string) error {
	page, err := gunzip(data)
	if err != nil {
		return err
	}
	if !bytes.Contains(page, []byte("vend "+version)) {
		return fmt.Errorf("the man page does not name %q", "vend "+version)
	}
	return nil
}
