package dist

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// file is one regular file of an archive.
type file struct {
	Mode fs.FileMode
	Data []byte
}

// readArchive returns the regular files of a .tar.gz or .zip archive by name. The
// archives are ours and hold a few binaries, so reading them into memory is fine.
func readArchive(path string) (map[string]file, error) {
	switch {
	case strings.HasSuffix(path, ".tar.gz"):
		return readTarGz(path)
	case strings.HasSuffix(path, ".zip"):
		return readZip(path)
	default:
		return nil, fmt.Errorf("%s: not a .tar.gz or .zip archive", path)
	}
}

func readTarGz(path string) (map[string]file, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	files := map[string]file{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, h.Name, err)
		}
		files[h.Name] = file{Mode: h.FileInfo().Mode(), Data: data}
	}
}

func readZip(path string) (map[string]file, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer zr.Close()
	files := map[string]file{}
	for _, zf := range zr.File {
		if !zf.Mode().IsRegular() {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, zf.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, zf.Name, err)
		}
		files[zf.Name] = file{Mode: zf.Mode(), Data: data}
	}
	return files, nil
}

// machines maps GOOS/GOARCH to the machine each executable format names in its header.
var (
	elfMachines    = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	machoCPUs      = map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}
	peMachines     = map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}
	errWrongArch   = errors.New("wrong architecture")
	errNotRunnable = errors.New("not a runnable executable")
)

// checkExecutable checks that data is an executable for goos/goarch: the header of its
// format names the right machine, and the Go build information agrees and says the
// binary is static (CGO_ENABLED=0) and built with -trimpath.
func checkExecutable(data []byte, goos, goarch string) error {
	r := bytes.NewReader(data)
	switch goos {
	case "linux":
		f, err := elf.NewFile(r)
		if err != nil {
			return fmt.Errorf("want an ELF file: %w", err)
		}
		if want, ok := elfMachines[goarch]; !ok || f.Machine != want {
			return fmt.Errorf("ELF machine %v for %s: %w", f.Machine, goarch, errWrongArch)
		}
		if f.Type != elf.ET_EXEC {
			return fmt.Errorf("ELF type %v: %w", f.Type, errNotRunnable)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				return fmt.Errorf("dynamically linked (has an interpreter): %w", errNotRunnable)
			}
		}
	case "darwin":
		f, err := macho.NewFile(r)
		if err != nil {
			return fmt.Errorf("want a Mach-O file: %w", err)
		}
		if want, ok := machoCPUs[goarch]; !ok || f.Cpu != want {
			return fmt.Errorf("Mach-O CPU %v for %s: %w", f.Cpu, goarch, errWrongArch)
		}
		if f.Type != macho.TypeExec {
			return fmt.Errorf("Mach-O type %v: %w", f.Type, errNotRunnable)
		}
	case "windows":
		f, err := pe.NewFile(r)
		if err != nil {
			return fmt.Errorf("want a PE file: %w", err)
		}
		if want, ok := peMachines[goarch]; !ok || f.Machine != want {
			return fmt.Errorf("PE machine %#x for %s: %w", f.Machine, goarch, errWrongArch)
		}
		if f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 {
			return fmt.Errorf("PE image is not executable: %w", errNotRunnable)
		}
	default:
		return fmt.Errorf("unknown GOOS %q", goos)
	}
	bi, err := buildinfo.Read(r)
	if err != nil {
		return fmt.Errorf("read Go build information: %w", err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	want := map[string]string{"GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0", "-trimpath": "true"}
	var errs []error
	for _, k := range []string{"GOOS", "GOARCH", "CGO_ENABLED", "-trimpath"} {
		if settings[k] != want[k] {
			errs = append(errs, fmt.Errorf("build setting %s=%q, want %q", k, settings[k], want[k]))
		}
	}
	return errors.Join(errs...)
}

// buildTags returns the -tags the binary was built with.
func buildTags(data []byte) ([]string, error) {
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("read Go build information: %w", err)
	}
	for _, s := range bi.Settings {
		if s.Key == "-tags" {
			return strings.Split(s.Value, ","), nil
		}
	}
	return nil, nil
}

// checkStamped checks that the linker stamped each value into the binary. Go does not
// record -ldflags in the build information of a -trimpath build, so the values
// themselves are looked for: a snapshot version and a full commit hash are distinctive
// enough not to occur by chance.
func checkStamped(data []byte, values ...string) error {
	var errs []error
	for _, v := range values {
		if v == "" {
			errs = append(errs, errors.New("empty stamp value"))
			continue
		}
		if !bytes.Contains(data, []byte(v)) {
			errs = append(errs, fmt.Errorf("%q is not stamped into the binary", v))
		}
	}
	return errors.Join(errs...)
}
