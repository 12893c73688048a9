package cmdtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmclient"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/internal/testkit"
)

// Region is the base configuration's region and the fake TVM's signing region.
const Region = "eu-west-1"

// Env is one test's world.
type Env struct {
	F        *factory.Factory
	TVM      *tvmtest.Server
	In       *bytes.Buffer
	Out      *Buffer
	ErrOut   *Buffer
	Vars     map[string]string
	Dir      string // private temporary directory (config file, caches, AWS files)
	CacheDir string

	mu            sync.Mutex
	loadedProfile []string
}

// New returns an Env whose fake TVM expects service lambda in Region and whose
// VEND_REMOTE_SERVER points at it. The AWS shared files point into Dir (empty).
func New(t *testing.T) *Env {
	t.Helper()
	dir := t.TempDir()
	srv := tvmtest.New(t, tvmclient.ServiceLambda, Region)
	ios, in, _, _ := iostreams.Test()
	out, errOut := &Buffer{}, &Buffer{}
	ios.SetOutputs(out, errOut)
	e := &Env{
		TVM: srv, In: in, Out: out, ErrOut: errOut, Dir: dir,
		CacheDir: filepath.Join(dir, "cache"),
		Vars: map[string]string{
			config.EnvRemoteServer:        srv.URL,
			config.EnvConfig:              filepath.Join(dir, "vend.yaml"),
			"HOME":                        dir,
			"PATH":                        os.Getenv("PATH"),
			"AWS_CONFIG_FILE":             filepath.Join(dir, "aws-config"),
			"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "aws-credentials"),
		},
	}
	WriteFile(t, e.Vars[config.EnvConfig], "")
	f := factory.New(ios)
	f.Getenv = func(k string) string {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.Vars[k]
	}
	f.Environ = func() []string {
		e.mu.Lock()
		defer e.mu.Unlock()
		var out []string
		for k, v := range e.Vars {
			out = append(out, k+"="+v)
		}
		return out
	}
	f.LoadAWSConfig = func(_ context.Context, profile string) (aws.Config, error) {
		e.mu.Lock()
		e.loadedProfile = append(e.loadedProfile, profile)
		e.mu.Unlock()
		return aws.Config{Region: Region, Credentials: tvmtest.BaseProvider()}, nil
	}
	f.CacheDir = func() (string, error) { return e.CacheDir, nil }
	f.ClientOptions = []tvmclient.Option{tvmclient.WithBackoff(time.Millisecond)}
	e.F = f
	return e
}

// BaseProfiles returns the base profiles LoadAWSConfig was asked for.
func (e *Env) BaseProfiles() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.loadedProfile...)
}

// SetVar sets an environment variable of the fake process.
func (e *Env) SetVar(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Vars[k] = v
}

// AssertNoSecrets fails the test if any known secret reached stderr.
func (e *Env) AssertNoSecrets(t *testing.T) {
	t.Helper()
	for _, s := range tvmtest.Secrets {
		if strings.Contains(e.ErrOut.String(), s) {
			t.Errorf("stderr leaks %q:\n%s", s, e.ErrOut.String())
		}
	}
}

// WriteFile writes data to path, failing the test on error.
func WriteFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Buffer is a bytes.Buffer safe for a command writing while the test reads.
type Buffer = testkit.Buffer

// WaitFor polls until cond holds or d passes, and reports whether it held.
func WaitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// Run executes cmd with args the way the root command would: flag errors are usage
// errors, output goes to the Env's buffers, and the run is bounded by a timeout.
func (e *Env) Run(t *testing.T, cmd *cobra.Command, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return e.RunContext(ctx, cmd, args...)
}

// Expect checks a command's outcome: err gives exit status code (status.Code), and the
// standard output holds each of want.
func (e *Env) Expect(t *testing.T, err error, code int, want ...string) {
	t.Helper()
	if got := status.Code(err); got != code {
		t.Fatalf("exit %d (%v), want %d\n%s", got, err, code, e.Out)
	}
	for _, w := range want {
		if !strings.Contains(e.Out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, e.Out)
		}
	}
}

// RunContext is Run with the caller's context.
func (e *Env) RunContext(ctx context.Context, cmd *cobra.Command, args ...string) error {
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &status.UsageError{Err: err} })
	cmd.SetArgs(args)
	cmd.SetOut(e.Out)
	cmd.SetErr(e.ErrOut)
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	return cmd.ExecuteContext(ctx)
}

// FlagCase is one row of a command's flag table: its arguments, the exit status they
// give (0: they parse), and a check of the options they parse into.
type FlagCase[O any] struct {
	Name     string
	Args     []string
	WantCode int
	Check    func(t *testing.T, o *O)
}

// RunFlagCases runs each case through the command newCmd builds, with a runF that only
// captures the parsed options (cli/cli's pattern), and checks the exit status and the
// options.
func RunFlagCases[O any](t *testing.T, newCmd func(*factory.Factory, func(*O) error) *cobra.Command, cases []FlagCase[O]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			e := New(t)
			var got *O
			err := e.Run(t, newCmd(e.F, func(o *O) error { got = o; return nil }), tt.Args...)
			if code := status.Code(err); code != tt.WantCode {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.WantCode)
			}
			if tt.Check != nil {
				tt.Check(t, got)
			}
		})
	}
}
