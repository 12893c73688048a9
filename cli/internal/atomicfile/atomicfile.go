// Package atomicfile writes a file whole or not at all: through a private temporary
// file in the same folder, renamed over the target.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write writes data to path, mode 0600 (os.CreateTemp's), replacing any file there in
// one rename, so that a reader sees the old file or the new one, never a part.
func Write(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
