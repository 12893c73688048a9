package credserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/vend-tvm/vend/lambda/wire"
)

// ErrNotLoopback reports a listen address that is not a loopback IP.
var ErrNotLoopback = errors.New("not a loopback address")

const (
	defaultAddr = "127.0.0.1:0"

	// SDKs give up after 1–2 s, so these bounds only matter for clients that are not
	// SDKs: a slow or stuck peer must not hold a connection open.
	readHeaderTimeout = 2 * time.Second
	readTimeout       = 5 * time.Second
	idleTimeout       = 30 * time.Second
	maxHeaderBytes    = 8 << 10
	// retrieveTimeout bounds a provider call on a cold cache; writeTimeout leaves room
	// to answer after it.
	retrieveTimeout = 20 * time.Second
	writeTimeout    = retrieveTimeout + 5*time.Second
	shutdownTimeout = 5 * time.Second

	// nonExpiringLifetime is the Expiration reported for credentials that cannot expire:
	// Expiration is always sent because some SDKs never refresh without it.
	nonExpiringLifetime = time.Hour
)

// Server is the loopback credentials endpoint.
type Server struct {
	p          aws.CredentialsProvider
	addr       string
	log        *slog.Logger
	extraHosts []string
	now        func() time.Time

	instant   instant // p, when it can answer without blocking
	token     string
	tokenHash [sha256.Size]byte
	hosts     atomic.Pointer[[]string] // Host header values accepted; set by Start
	handler   http.Handler
	encoded   atomic.Pointer[encoded] // the last credential set served, encoded

	mu        sync.Mutex
	srv       *http.Server
	url       string
	dirs      []string // token directories to remove on Close
	closed    bool
	serveDone chan struct{}
}

// instant is a provider that answers from memory without blocking when it can
// (credcache.Cache): the warm path then needs no deadline, whose context and timer
// would cost allocations on every request.
type instant interface {
	Cached() (aws.Credentials, bool)
}

// Option configures a Server.
type Option func(*Server)

// WithAddr sets the listen address; its host must be a loopback IP (default
// 127.0.0.1 with a random port).
func WithAddr(addr string) Option { return func(s *Server) { s.addr = addr } }

// WithLogger sets the logger for refusals and provider failures. Tokens and
// credentials never reach it.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithAllowedHosts adds exact Host header values to accept besides 127.0.0.1:PORT and
// localhost:PORT, for clients that reach the endpoint under another loopback name.
func WithAllowedHosts(hosts ...string) Option {
	return func(s *Server) { s.extraHosts = append(s.extraHosts, hosts...) }
}

// New returns a Server that answers from p. p should answer from memory (see
// credcache): SDKs time out after 1–2 s.
func New(p aws.CredentialsProvider, opts ...Option) (*Server, error) {
	if p == nil {
		return nil, errors.New("credentials server: nil provider")
	}
	s := &Server{p: p, addr: defaultAddr, log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	addr, err := loopbackAddr(s.addr)
	if err != nil {
		return nil, err
	}
	s.addr = addr
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("credentials server: make token: %w", err)
	}
	s.token = base64.RawURLEncoding.EncodeToString(raw[:])
	s.tokenHash = sha256.Sum256([]byte(s.token))
	s.instant, _ = p.(instant)
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s, nil
}

// loopbackAddr validates addr and returns it with "localhost" spelt as 127.0.0.1, so
// that the resolver cannot pick the interface.
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("listen address %q: invalid port", addr)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" || !ip.Unmap().IsLoopback() {
		return "", fmt.Errorf("listen address %q: %w", addr, ErrNotLoopback)
	}
	return net.JoinHostPort(ip.Unmap().String(), port), nil
}

// Start listens and serves in the background until Close.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errors.New("credentials server: closed")
	case s.srv != nil:
		return errors.New("credentials server: already started")
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("credentials server: %w", err)
	}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		return fmt.Errorf("credentials server: listening on %s: %w", ln.Addr(), ErrNotLoopback)
	}
	// The listener may report an IPv4 address in its 16-byte form; Host headers never do.
	bound := netip.AddrPortFrom(tcp.AddrPort().Addr().Unmap(), tcp.AddrPort().Port())
	hostPort := bound.String()
	hosts := []string{hostPort, "localhost:" + strconv.Itoa(int(bound.Port()))}
	if bound.Port() == 80 {
		// Clients leave the default port out of Host.
		hosts = append(hosts, bound.Addr().String(), "localhost")
	}
	hosts = append(hosts, s.extraHosts...)
	s.hosts.Store(&hosts)
	s.url = "http://" + hostPort + wire.PathCredentials

	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.serveDone = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("credentials server stopped", slog.String("error", err.Error()))
		}
	}(s.srv, s.serveDone)
	s.log.Info("credentials server listening", slog.String("url", s.url))
	return nil
}

// URL is the credentials URL for AWS_CONTAINER_CREDENTIALS_FULL_URI; empty before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Token is the value clients must send as the Authorization header.
func (s *Server) Token() string { return s.token }

// Handler is the request handler, for tests and benchmarks; it accepts only the Host
// values known after Start.
func (s *Server) Handler() http.Handler { return s.handler }

// WriteTokenFile writes the token for AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE into a
// file of mode 0600 in a fresh directory of mode 0700 under dir (os.TempDir() when
// empty), and returns the file's path. Close removes the directory. A file keeps the
// token out of the child's environment, which other processes of the user may read.
func (s *Server) WriteTokenFile(dir string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("credentials server: closed")
	}
	if dir == "" {
		dir = os.TempDir()
	}
	d, err := os.MkdirTemp(dir, "vend-")
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	path := filepath.Join(d, "token")
	err = os.Chmod(d, 0o700)
	if err == nil {
		err = writeExclusive(path, s.token)
	}
	if err != nil {
		os.RemoveAll(d)
		return "", fmt.Errorf("token file: %w", err)
	}
	s.dirs = append(s.dirs, d)
	return path, nil
}

func writeExclusive(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Close stops the server, letting requests in flight finish for up to 5 s, and removes
// the token files. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	srv, done, dirs := s.srv, s.serveDone, s.dirs
	s.dirs = nil
	s.mu.Unlock()

	var errs []error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		err := srv.Shutdown(ctx)
		cancel()
		if err != nil {
			// Requests still running after the grace period are cut off.
			if cerr := srv.Close(); cerr != nil {
				errs = append(errs, cerr)
			}
		}
		<-done
	}
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, fmt.Errorf("remove token file: %w", err))
		}
	}
	return errors.Join(errs...)
}

// response is the container-credentials answer.
type response struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	AccountID       string `json:"AccountId,omitempty"`
}

// Header values shared by every response: assigning a prebuilt slice costs no
// allocation. net/http only reads them, and each has capacity 1, so an Add anywhere
// would append to a copy.
var (
	headerNoStore = []string{"no-store"}
	headerNosniff = []string{"nosniff"}
	headerAllow   = []string{http.MethodGet}
	// Exactly "application/json": the Go SDK parses error bodies only with this value.
	headerJSON = []string{"application/json"}
)

// encoded is the response for one credential set, encoded when the provider first hands
// the set out and written as is while it keeps handing out the same one. A refresh, or
// the next second of a non-expiring set's Expiration, makes the next request encode
// again, so no body outlives the credentials the provider would serve.
type encoded struct {
	keyID, secret, token, accountID string
	expires                         time.Time // Expiration as sent
	body                            []byte
	length                          []string // Content-Length
}

// encodes reports whether e is the response for creds expiring at exp. From credcache,
// equal strings share memory and compare at once.
func (e *encoded) encodes(creds *aws.Credentials, exp time.Time) bool {
	return e != nil && e.expires.Equal(exp) && e.keyID == creds.AccessKeyID &&
		e.secret == creds.SecretAccessKey && e.token == creds.SessionToken && e.accountID == creds.AccountID
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Cache-Control"] = headerNoStore
	h["X-Content-Type-Options"] = headerNosniff

	if r.Method != http.MethodGet {
		h["Allow"] = headerAllow
		s.refuse(w, r, http.StatusMethodNotAllowed, wire.CodeMethodNotAllowed, "only GET is allowed")
		return
	}
	if !s.hostAllowed(r.Host) {
		s.refuse(w, r, http.StatusForbidden, wire.CodeAccessDenied, "host not allowed")
		return
	}
	if fromBrowser(r.Header) {
		s.refuse(w, r, http.StatusForbidden, wire.CodeAccessDenied, "browser requests are refused")
		return
	}
	switch auth := r.Header["Authorization"]; {
	case len(auth) == 0 || auth[0] == "":
		s.refuse(w, r, http.StatusUnauthorized, wire.CodeUnauthenticated, "missing authorization token")
		return
	case len(auth) > 1 || !s.tokenEqual(auth[0]):
		s.refuse(w, r, http.StatusForbidden, wire.CodeAccessDenied, "wrong authorization token")
		return
	}
	if r.URL.Path != wire.PathCredentials {
		s.refuse(w, r, http.StatusNotFound, wire.CodeNotFound, "no such path")
		return
	}

	creds, err := s.retrieve(r.Context())
	if err != nil {
		s.providerError(w, err)
		return
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		s.log.Error("provider returned empty credentials")
		writeJSON(w, http.StatusBadGateway, wire.Error{Code: wire.CodeInternal, Message: "no credentials available"})
		return
	}
	exp := creds.Expires
	if !creds.CanExpire {
		exp = s.now().Add(nonExpiringLifetime)
	}
	// Whole seconds in UTC: the plainest RFC 3339 form every SDK's parser takes.
	// Truncating rounds the expiry down, never past the real one.
	exp = exp.UTC().Truncate(time.Second)
	e := s.encoded.Load()
	if !e.encodes(&creds, exp) {
		if e, err = encode(&creds, exp); err != nil {
			writeJSON(w, http.StatusInternalServerError, wire.Error{Code: wire.CodeInternal, Message: "encode response"})
			return
		}
		s.encoded.Store(e)
	}
	h["Content-Type"] = headerJSON
	h["Content-Length"] = e.length
	w.WriteHeader(http.StatusOK)
	w.Write(e.body)
}

// retrieve answers from memory when the provider can, and otherwise asks it with a
// deadline.
func (s *Server) retrieve(ctx context.Context) (aws.Credentials, error) {
	if s.instant != nil {
		if creds, ok := s.instant.Cached(); ok {
			return creds, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, retrieveTimeout)
	defer cancel()
	return s.p.Retrieve(ctx)
}

func encode(creds *aws.Credentials, exp time.Time) (*encoded, error) {
	body, err := json.Marshal(response{
		AccessKeyID:     creds.AccessKeyID,
		SecretAccessKey: creds.SecretAccessKey,
		Token:           creds.SessionToken,
		Expiration:      exp.Format(time.RFC3339),
		AccountID:       creds.AccountID,
	})
	if err != nil {
		return nil, err
	}
	return &encoded{
		keyID: creds.AccessKeyID, secret: creds.SecretAccessKey, token: creds.SessionToken, accountID: creds.AccountID,
		expires: exp,
		body:    body,
		length:  []string{strconv.Itoa(len(body))},
	}, nil
}

// tokenEqual compares in constant time. Hashing first makes the comparison independent
// of the length of what was sent, too.
func (s *Server) tokenEqual(got string) bool {
	// A value of a token's size is copied to the stack, not converted on the heap as
	// []byte(got) would be beyond 32 bytes: the check allocates nothing. The branch
	// depends only on the length sent, which the sender knows.
	var buf [64]byte // a token is 43 characters
	b := buf[:0]
	if len(got) <= len(buf) {
		b = append(b, got...)
	} else {
		b = []byte(got)
	}
	sum := sha256.Sum256(b)
	return subtle.ConstantTimeCompare(sum[:], s.tokenHash[:]) == 1
}

func (s *Server) hostAllowed(host string) bool {
	hosts := s.hosts.Load()
	if hosts == nil {
		return false
	}
	for _, h := range *hosts {
		if host == h {
			return true
		}
	}
	return false
}

// fromBrowser reports headers that browsers send and SDKs do not. A web page can reach
// loopback; refusing these stops it even if it learnt the token.
func fromBrowser(h http.Header) bool {
	for _, k := range [...]string{"Origin", "Referer", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User"} {
		if _, ok := h[k]; ok {
			return true
		}
	}
	return false
}

// refuse answers a refused request. The log names the reason but never the
// Authorization header.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	s.log.Warn("credentials request refused",
		slog.Int("status", status),
		slog.String("reason", msg),
		slog.String("method", r.Method),
		slog.String("host", r.Host),
		slog.String("path", r.URL.Path),
		slog.String("remote", r.RemoteAddr))
	writeJSON(w, status, wire.Error{Code: code, Message: msg})
}

// providerError keeps a TVM error (code, message, rule, reason) for the SDK to show,
// and hides any other error's text behind a generic message.
func (s *Server) providerError(w http.ResponseWriter, err error) {
	s.log.Error("credentials unavailable", slog.String("error", err.Error()))
	var we *wire.Error
	if errors.As(err, &we) {
		writeJSON(w, upstreamStatus(we.Code), we)
		return
	}
	status := http.StatusBadGateway
	if errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, wire.Error{Code: wire.CodeInternal, Message: "credentials unavailable from the TVM; see the vend log"})
}

// upstreamStatus maps a TVM error to the status the loopback endpoint answers with:
// 503 when retrying later may help, 502 otherwise.
func upstreamStatus(code string) int {
	switch code {
	case wire.CodeSTSThrottled, wire.CodePolicyUnavailable, wire.CodeRateLimited, wire.CodeEventsUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"code":"` + wire.CodeInternal + `","message":"encode response"}`)
	}
	h := w.Header()
	h["Content-Type"] = headerJSON
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}
