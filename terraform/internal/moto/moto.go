package moto

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Binary is the moto_server executable looked up on PATH.
const Binary = "moto_server"

// AccountID is the account moto serves by default.
const AccountID = "123456789012"

// Server is a running moto_server.
type Server struct {
	endpoint string
	cmd      *exec.Cmd
	done     chan struct{}
	waitErr  error
}

type config struct {
	env         []string
	logPath     string
	readyWithin time.Duration
}

// Option configures Start.
type Option func(*config)

// WithManagedPolicies makes IAM know the AWS managed policies (ReadOnlyAccess, ...),
// which moto loads only on request because it slows its start.
func WithManagedPolicies() Option {
	return func(c *config) { c.env = append(c.env, "MOTO_IAM_LOAD_MANAGED_POLICIES=true") }
}

// WithLog writes moto's output to the file at path.
func WithLog(path string) Option {
	return func(c *config) { c.logPath = path }
}

// WithReadyTimeout bounds how long Start waits for moto to answer (default 60s).
func WithReadyTimeout(d time.Duration) Option {
	return func(c *config) { c.readyWithin = d }
}

// Start runs moto_server on a free loopback port and waits until it answers. Stop it
// with Stop; cancelling ctx also kills it.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	cfg := config{readyWithin: 60 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	bin, err := exec.LookPath(Binary)
	if err != nil {
		return nil, fmt.Errorf("find %s (pip install 'moto[server]==5.2.1'): %w", Binary, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), cfg.env...)
	// Its own process group, so Stop also ends the workers moto's server may fork.
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
		return nil, fmt.Errorf("start %s: %w", Binary, err)
	}

	s := &Server{endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx, cfg.readyWithin); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Endpoint is the server's base URL, http://127.0.0.1:PORT.
func (s *Server) Endpoint() string { return s.endpoint }

// PID is the process ID of moto_server.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop ends moto_server and its process group, waits for it and is safe to call twice.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// Reset drops every resource moto holds, for a clean state between tests.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint+"/moto-api/reset", nil)
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

func (s *Server) waitReady(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint+"/moto-api/data.json", nil)
		if err != nil {
			return fmt.Errorf("probe moto: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				select {
				case <-s.done: // someone else answered on the port moto failed to bind
					return fmt.Errorf("%s exited (port %s taken?): %w", Binary, s.endpoint, s.waitErr)
				default:
					return nil
				}
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("%s exited before answering: %w", Binary, errors.Join(s.waitErr, errors.New("see its log")))
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on %s within %s: %w", Binary, s.endpoint, within, ctx.Err())
		case <-tick.C:
		}
	}
}

// freePort asks the kernel for an unused loopback port. Another process could take it
// before moto binds it; moto then exits, which waitReady notices.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
