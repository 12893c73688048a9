package dist

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// ChecksumsFile is the name goreleaser writes the SHA-256 sums to, in the dist folder.
const ChecksumsFile = "checksums.txt"

// ParseChecksums reads a sha256sum file: one "HEX  NAME" line per file (a '*' before
// the name marks binary mode, as GNU sha256sum writes it). Names must be plain file
// names, since a sum file that reaches outside its folder is not ours; a name listed
// twice is an error.
func ParseChecksums(data []byte) (map[string]string, error) {
	sums := map[string]string{}
	for i, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		sum, name, ok := strings.Cut(line, " ")
		if !ok || len(name) < 2 || (name[0] != ' ' && name[0] != '*') {
			return nil, fmt.Errorf("line %d: want \"SHA256  NAME\"", i+1)
		}
		name = name[1:]
		if len(sum) != sha256.Size*2 {
			return nil, fmt.Errorf("line %d: %d hex digits, want %d", i+1, len(sum), sha256.Size*2)
		}
		if _, err := hex.DecodeString(sum); err != nil {
			return nil, fmt.Errorf("line %d: sum is not hex", i+1)
		}
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.TrimSpace(name) != name {
			return nil, fmt.Errorf("line %d: %q is not a plain file name", i+1, name)
		}
		if _, dup := sums[name]; dup {
			return nil, fmt.Errorf("line %d: %s is listed twice", i+1, name)
		}
		sums[name] = strings.ToLower(sum)
	}
	if len(sums) == 0 {
		return nil, errors.New("no checksums")
	}
	return sums, nil
}

// VerifyChecksums checks every file that sumFile lists against its SHA-256, as
// `sha256sum -c` does, and returns the names it verified, sorted.
func VerifyChecksums(sumFile string) ([]string, error) {
	data, err := os.ReadFile(sumFile)
	if err != nil {
		return nil, err
	}
	sums, err := ParseChecksums(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sumFile, err)
	}
	dir := filepath.Dir(sumFile)
	names := make([]string, 0, len(sums))
	var errs []error
	for name, want := range sums {
		got, err := fileSHA256(filepath.Join(dir, name))
		switch {
		case err != nil:
			errs = append(errs, err)
		case got != want:
			errs = append(errs, fmt.Errorf("%s: sha256 %s, checksums say %s", name, got, want))
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, errors.Join(errs...)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CheckChecksums verifies checksums.txt and that it covers every file users download.
func (rel *Release) CheckChecksums() error {
	names, err := VerifyChecksums(filepath.Join(rel.Dir, ChecksumsFile))
	if err != nil {
		return err
	}
	var errs []error
	for _, typ := range []string{typeArchive, typePackage, typeSBOM} {
		for _, a := range rel.find(typ, "", "", "", "") {
			if _, ok := slices.BinarySearch(names, a.Name); !ok {
				errs = append(errs, fmt.Errorf("%s is not in %s", a.Name, ChecksumsFile))
			}
		}
	}
	return errors.Join(errs...)
}

func readChecksums(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseChecksums(data)
}
