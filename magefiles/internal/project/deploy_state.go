package project

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Where the local stack keeps its state, relative to the repository root. The folder
// is ignored by git; it holds secrets (demo access keys), so it is private to the user.
const (
	StateDir     = ".vend"
	LocalEnvFile = ".vend/local.env"
	stateFile    = ".vend/state.json"
	localExample = "terraform/examples/local"
	// localOrgExample is the organisation examples/local deploys into.
	localOrgExample = "terraform/examples/local-organization"
)

// LocalState is what deploy leaves for destroy and for a second deploy.
type LocalState struct {
	Moto  *Proc `json:"moto,omitempty"`
	RIE   *Proc `json:"rie,omitempty"`
	Front *Proc `json:"front,omitempty"`
}

func (r *Runner) path(rel string) string { return filepath.Join(r.Root, rel) }

func (r *Runner) loadState() (LocalState, error) {
	var s LocalState
	data, err := os.ReadFile(r.path(stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, errNoState
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("read %s: %w (delete it and stop leftover processes by hand)", stateFile, err)
	}
	return s, nil
}

func (r *Runner) saveState(s LocalState) error {
	if err := os.MkdirAll(r.path(StateDir), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(r.path(stateFile), data)
}

// writePrivate writes a 0600 file atomically.
func writePrivate(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
