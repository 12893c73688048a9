package project

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// FindRoot walks up from dir to the folder holding go.work.
func FindRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.work found above " + abs + ": run mage from the vend repository")
		}
	}
}

// Modules lists the workspace's modules as folders relative to the root, sorted.
func (r *Runner) Modules(ctx context.Context) ([]string, error) {
	out, err := r.Output(ctx, Cmd{Args: []string{"go", "work", "edit", "-json"}})
	if err != nil {
		return nil, err
	}
	return parseWorkUse([]byte(out))
}

func parseWorkUse(data []byte) ([]string, error) {
	var w struct {
		Use []struct{ DiskPath string }
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("read go.work: %w", err)
	}
	mods := make([]string, 0, len(w.Use))
	for _, u := range w.Use {
		mods = append(mods, filepath.Clean(u.DiskPath))
	}
	sort.Strings(mods)
	return mods, nil
}
