package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"
)

// maxFileSize bounds the policy file: a policy is read whole into memory.
const maxFileSize = 1 << 20

// ParseFile reads and parses a policy file.
func ParseFile(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	defer f.Close()
	// Read one byte past the limit so that Parse reports an oversized file instead of
	// this function reading an arbitrarily large one.
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read policy %s: %w", path, err)
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Parse loads a policy strictly. On failure the error wraps ErrInvalid and joins every
// problem found (up to a limit), each naming its location and YAML line.
func Parse(data []byte) (*Policy, error) {
	if len(data) > maxFileSize {
		return nil, invalid([]*fieldError{{msg: fmt.Sprintf("policy file is larger than %d bytes", maxFileSize)}})
	}
	root, ferr := parseYAML(data)
	if ferr != nil {
		return nil, invalid([]*fieldError{ferr})
	}
	l := &loader{tz: map[string]*time.Location{}}
	d := l.load(root)
	// Compile even after errors: it finds profile patterns that match no profile.
	p := l.compile(d)
	if len(l.errs) > 0 {
		return nil, invalid(l.errs)
	}
	sum := sha256.Sum256(data)
	p.hash = "sha256:" + hex.EncodeToString(sum[:])
	p.warnings = l.warnings()
	return p, nil
}
