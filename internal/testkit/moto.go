package testkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// MotoBinary is the moto_server executable looked up on PATH, and how to get it.
const (
	MotoBinary  = "moto_server"
	MotoInstall = "pip install 'moto[server]==5.2.1'"
)

// MotoAccountID is the account moto serves by default.
const MotoAccountID = "123456789012"

// MotoArgs is the command line that runs moto_server on 127.0.0.1:port. Starters that
// must outlive their caller (the deploy's local stack) run it themselves.
func MotoArgs(port int) []string {
	return []string{MotoBinary, "-H", "127.0.0.1", "-p", strconv.Itoa(port)}
}

// MotoReadyPath answers 200 once moto_server serves requests.
const MotoReadyPath = "/moto-api/data.json"

// Moto is a running moto_server.
type Moto struct {
	url     string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

type motoConfig struct {
	env         []string
	logPath     string
	readyWithin time.Duration
	serial      bool
}

// MotoOption configures StartMoto.
type MotoOption func(*motoConfig)

// WithManagedPolicies makes IAM know the AWS managed policies (ReadOnlyAccess, ...),
// which moto loads only on request because it slows its start.
func WithManagedPolicies() MotoOption {
	return func(c *motoConfig) { c.env = append(c.env, "MOTO_IAM_LOAD_MANAGED_POLICIES=true") }
}

// WithMotoEnv adds environment variables (KEY=VALUE) to moto_server's.
func WithMotoEnv(kv ...string) MotoOption {
	return func(c *motoConfig) { c.env = append(c.env, kv...) }
}

// serialServer is moto_server's own app and server, with one lock around the app: see
// WithSerialRequests. The server stays threaded, as moto_server's is, so that HTTP/1.1
// keep-alive works as clients expect; only the app runs one request at a time.
const serialServer = `import sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def serial(environ, start_response):
    with lock:
        return list(app(environ, start_response))
run_simple("127.0.0.1", int(sys.argv[1]), serial, threaded=True)
`

// WithSerialRequests serves one request at a time. moto_server answers each request on
// its own thread and does not lock DynamoDB's conditional writes and transactions
// against each other, as DynamoDB does: two conditional writes at once can both pass.
// Served one at a time, every request is atomic, so that tests of the races between
// vend's own read-decide-write loops see what DynamoDB gives them. (Do not long-poll
// such a server: a request that waits holds every other.)
func WithSerialRequests() MotoOption {
	return func(c *motoConfig) { c.serial = true }
}

// WithLog writes moto's output to the file at path (default: discarded).
func WithLog(path string) MotoOption {
	return func(c *motoConfig) { c.logPath = path }
}

// WithReadyTimeout bounds how long StartMoto waits for moto to answer (default 60s:
// its Python imports are slow on a loaded machine).
func WithReadyTimeout(d time.Duration) MotoOption {
	return func(c *motoConfig) { c.readyWithin = d }
}

// StartMoto runs moto_server on a free loopback port and waits until it answers. Stop
// ends it; cancelling ctx also kills it.
func StartMoto(ctx context.Context, opts ...MotoOption) (*Moto, error) {
	cfg := motoConfig{readyWithin: 60 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	bin, err := exec.LookPath(MotoBinary)
	if err != nil {
		return nil, fmt.Errorf("find %s (%s): %w", MotoBinary, MotoInstall, err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	args := MotoArgs(port)
	if cfg.serial {
		// The Python that moto_server runs with has moto; python3 on PATH is that one
		// where moto is installed as documented (pip install).
		args = []string{"python3", "-c", serialServer, strconv.Itoa(port)}
		if bin, err = exec.LookPath("python3"); err != nil {
			return nil, fmt.Errorf("find python3 for moto: %w", err)
		}
	}
	cmd := exec.CommandContext(ctx, bin, args[1:]...)
	cmd.Env = append(os.Environ(), cfg.env...)
	// Its own process group, so that Stop also ends what a pyenv shim or moto forked.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if cfg.logPath != "" {
		f, err := os.Create(cfg.logPath)
		if err != nil {
			return nil, fmt.Errorf("create moto log: %w", err)
		}
		defer f.Close() // the child holds its own descriptor
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", MotoBinary, err)
	}
	m := &Moto{url: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{})}
	go func() {
		m.waitErr = cmd.Wait()
		close(m.done)
	}()
	if err := m.waitReady(ctx, cfg.readyWithin); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

// MotoForTest starts moto_server for one test and stops it when the test ends. Without
// moto_server on PATH the test is skipped, or fails under CI=true.
func MotoForTest(t testing.TB, opts ...MotoOption) *Moto {
	t.Helper()
	RequireTool(t, MotoBinary)
	m, err := StartMoto(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

// URL is the server's base URL, http://127.0.0.1:PORT.
func (m *Moto) URL() string { return m.url }

// PID is the process ID of moto_server.
func (m *Moto) PID() int { return m.cmd.Process.Pid }

// Stop ends moto_server and its process group, waits for it, and is safe to call twice.
func (m *Moto) Stop() {
	select {
	case <-m.done:
		return
	default:
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		<-m.done
	}
}

// Reset drops every resource moto holds, for a clean state between tests.
func (m *Moto) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: status %d", resp.StatusCode)
	}
	return nil
}

func (m *Moto) waitReady(ctx context.Context, within time.Duration) error {
	err := WaitURL(ctx, m.url+MotoReadyPath, within, func() error {
		select {
		case <-m.done:
			return fmt.Errorf("%s exited before answering: %w", MotoBinary, errors.Join(m.waitErr, errors.New("see its log")))
		default:
			return nil
		}
	})
	if err != nil {
		return err
	}
	select {
	case <-m.done: // something else answered on the port moto failed to bind
		return fmt.Errorf("%s exited (port %s taken?): %w", MotoBinary, m.url, m.waitErr)
	default:
		return nil
	}
}
