package configcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/status"
)

// newEnv is a test environment whose config file does not exist yet.
func newEnv(t *testing.T) (*cmdtest.Env, string) {
	e := cmdtest.New(t)
	path := filepath.Join(t.TempDir(), "sub", "config.yaml")
	e.Vars[config.EnvConfig] = path
	return e, path
}

func TestInitFromFlags(t *testing.T) {
	e, path := newEnv(t)
	e.F.Flags.RemoteServer = "https://abc.lambda-url.eu-west-1.on.aws"
	e.F.Flags.BaseProfile = "sso-dev"
	if err := e.Run(t, NewCmdInit(e.F, nil)); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path, true)
	if err != nil || f.RemoteServer != "https://abc.lambda-url.eu-west-1.on.aws" || f.BaseProfile != "sso-dev" || f.SigningService != "" {
		t.Fatalf("wrote %+v, %v", f, err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v", st.Mode(), err)
	}
	if !strings.Contains(e.ErrOut.String(), "wrote "+path) {
		t.Errorf("stderr %q", e.ErrOut)
	}
	// An existing file is kept unless --force.
	e.F.Flags.RemoteServer = "https://other.lambda-url.eu-west-1.on.aws"
	if err := e.Run(t, NewCmdInit(e.F, nil)); status.Code(err) != status.Usage || !strings.Contains(err.Error(), "--force") {
		t.Errorf("over an existing file: %v", err)
	}
	if err := e.Run(t, NewCmdInit(e.F, nil), "--force"); err != nil {
		t.Fatal(err)
	}
	if f, _ := config.Load(path, true); f.RemoteServer != "https://other.lambda-url.eu-west-1.on.aws" || f.BaseProfile != "sso-dev" {
		t.Errorf("after --force: %+v", f)
	}
}

func TestInitAsks(t *testing.T) {
	e, path := newEnv(t)
	e.F.IOStreams.In = strings.NewReader("http://127.0.0.1:9000\n\n")
	e.F.IOStreams.SetStdinTTY(true)
	if err := e.Run(t, NewCmdInit(e.F, nil)); err != nil {
		t.Fatal(err)
	}
	if f, err := config.Load(path, true); err != nil || f.RemoteServer != "http://127.0.0.1:9000" || f.BaseProfile != "" {
		t.Errorf("wrote %+v, %v", f, err)
	}
	if !strings.Contains(e.ErrOut.String(), "TVM URL") {
		t.Errorf("no prompt: %q", e.ErrOut)
	}
}

func TestInitRefuses(t *testing.T) {
	for name, url := range map[string]string{"no terminal, no flag": "", "no scheme": "abc.lambda-url.eu-west-1.on.aws", "plain http": "http://tvm.example.com"} {
		e, path := newEnv(t)
		e.F.Flags.RemoteServer = url
		if err := e.Run(t, NewCmdInit(e.F, nil)); status.Code(err) != status.Usage {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s: a file was written", name)
		}
	}
}
