package dist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

// Magic numbers at the start of a Debian package (an ar archive) and an RPM (its lead).
var (
	debMagic = []byte("!<arch>\n")
	rpmMagic = []byte{0xed, 0xab, 0xee, 0xdb}
)

// CheckPackages checks that a .deb and an .rpm exist for each Linux architecture and
// are what their names say.
func (rel *Release) CheckPackages() error {
	var errs []error
	for _, arch := range []string{"amd64", "arm64"} {
		for format, magic := range map[string][]byte{"deb": debMagic, "rpm": rpmMagic} {
			a, err := rel.one(typePackage, idCLI, "linux", arch, format)
			if err == nil {
				err = checkMagic(rel.path(a), magic)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("linux/%s %s: %w", arch, format, err))
			}
		}
	}
	return errors.Join(errs...)
}

func checkMagic(path string, magic []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, magic) {
		return fmt.Errorf("%s does not start with %q", filepath.Base(path), magic)
	}
	return nil
}

var (
	caskVersionRE = regexp.MustCompile(`(?m)^\s*version\s+"([^"]+)"`)
	caskSHARE     = regexp.MustCompile(`(?m)^\s*sha256\s+"([0-9a-f]{64})"`)
)

// CheckCask checks the Homebrew cask: it names the version, and its checksums are
// exactly those of the macOS and Linux archives it installs.
func (rel *Release) CheckCask() error {
	a, err := rel.one(typeCask, "", "", "", "")
	if err != nil {
		return err
	}
	data, err := os.ReadFile(rel.path(a))
	if err != nil {
		return err
	}
	sums, err := readChecksums(filepath.Join(rel.Dir, ChecksumsFile))
	if err != nil {
		return err
	}
	var want []string
	for _, p := range CLIPlatforms {
		if p.OS == "windows" {
			continue
		}
		arch, err := rel.one(typeArchive, idCLI, p.OS, p.Arch, "")
		if err != nil {
			return err
		}
		want = append(want, sums[arch.Name])
	}
	return checkCask(data, rel.Metadata.Version, want)
}

func checkCask(rb []byte, version string, wantSums []string) error {
	m := caskVersionRE.FindSubmatch(rb)
	if m == nil || string(m[1]) != version {
		return fmt.Errorf("cask does not say version %q", version)
	}
	var got []string
	for _, m := range caskSHARE.FindAllSubmatch(rb, -1) {
		got = append(got, string(m[1]))
	}
	slices.Sort(got)
	want := slices.Clone(wantSums)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("cask sha256 values %v, want the archives' %v", got, want)
	}
	return nil
}
