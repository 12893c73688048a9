package scpcheck

import (
	"os"
	"path/filepath"
	"testing"
)

// readRepoFile reads a file relative to the repository root (three levels up).
func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
