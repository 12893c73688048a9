package tfenv

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestEnv(t *testing.T) {
	mirror := t.TempDir()
	t.Setenv(MirrorEnv, mirror)
	dir := t.TempDir()
	env, err := Env(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(env, "CHECKPOINT_DISABLE=1") || !slices.Contains(env, "TF_INPUT=0") {
		t.Errorf("env %v lacks the base settings", env)
	}
	rc := filepath.Join(dir, "terraform.rc")
	if !slices.Contains(env, "TF_CLI_CONFIG_FILE="+rc) {
		t.Fatalf("env %v does not point at %s", env, rc)
	}
	b, err := os.ReadFile(rc)
	if err != nil || !strings.Contains(string(b), `path    = "`+mirror+`"`) {
		t.Errorf("cli config %q (%v)", b, err)
	}

	t.Setenv(MirrorEnv, "")
	if Mirror() != "" {
		t.Error("an empty VEND_TF_PROVIDER_MIRROR must mean no mirror")
	}
	env, err = Env(t.TempDir())
	if err != nil || len(env) != len(Base()) {
		t.Errorf("without a mirror: %v, %v", env, err)
	}
}
