package localfront

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Invoker runs the function with a JSON event and returns its JSON output. The TVM
// handler (aws-lambda-go's lambda.Handler) satisfies it, and so does RIEInvoker.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Defaults. The account and URL ID are placeholders in the shape AWS uses; moto's
// default account is 123456789012 too.
const (
	DefaultRegion       = "us-east-1"
	DefaultService      = "lambda"
	DefaultAccountID    = "123456789012"
	DefaultURLID        = "localfunctionurl0000000000000000"
	DefaultMaxBodyBytes = 1 << 20

	headerRequestID = "X-Amzn-Requestid"
)

// Front is an http.Handler that behaves like a Function URL with AuthType AWS_IAM.
type Front struct {
	inv        Invoker
	region     string
	service    string
	accountID  string
	domainName string
	urlID      string
	maxBody    int64
	now        func() time.Time
	log        *slog.Logger
	signer     *v4.Signer
	newID      func() string

	mu  sync.RWMutex
	ids map[string]Identity
}

// Option configures a Front.
type Option func(*Front)

// WithRegion sets the region requests must be signed for (default us-east-1).
func WithRegion(region string) Option { return func(f *Front) { f.region = region } }

// WithService sets the service requests must be signed for: "lambda" (default) for
// a Function URL, "execute-api" to stand in for an HTTP API with IAM auth.
func WithService(service string) Option { return func(f *Front) { f.service = service } }

// WithClock sets the clock that judges X-Amz-Date and stamps events.
func WithClock(now func() time.Time) Option { return func(f *Front) { f.now = now } }

// WithLogger sets the logger for the one line per request (default: discard).
func WithLogger(l *slog.Logger) Option { return func(f *Front) { f.log = l } }

// WithDomainName sets requestContext.domainName; its first label becomes apiId and
// domainPrefix (default <DefaultURLID>.lambda-url.<region>.on.aws).
func WithDomainName(name string) Option { return func(f *Front) { f.domainName = name } }

// WithAccountID sets requestContext.accountId, the function owner's account.
func WithAccountID(id string) Option { return func(f *Front) { f.accountID = id } }

// WithMaxBodyBytes sets the largest request body accepted; larger ones get 413.
func WithMaxBodyBytes(n int64) Option { return func(f *Front) { f.maxBody = n } }

// New returns a Front that invokes inv for requests signed by one of ids.
func New(inv Invoker, ids []Identity, opts ...Option) (*Front, error) {
	if inv == nil {
		return nil, errors.New("new url front: nil invoker")
	}
	f := &Front{
		inv:       inv,
		region:    DefaultRegion,
		service:   DefaultService,
		accountID: DefaultAccountID,
		maxBody:   DefaultMaxBodyBytes,
		now:       time.Now,
		log:       slog.New(slog.DiscardHandler),
		signer:    v4.NewSigner(),
		newID:     newRequestID,
		ids:       make(map[string]Identity, len(ids)),
	}
	for _, o := range opts {
		o(f)
	}
	switch {
	case f.region == "":
		return nil, errors.New("new url front: empty region")
	case f.service == "":
		return nil, errors.New("new url front: empty service")
	case f.now == nil:
		return nil, errors.New("new url front: nil clock")
	case f.log == nil:
		return nil, errors.New("new url front: nil logger")
	case f.maxBody <= 0:
		return nil, errors.New("new url front: max body bytes must be positive")
	}
	if f.domainName == "" {
		f.domainName = DefaultURLID + ".lambda-url." + f.region + ".on.aws"
	}
	f.urlID, _, _ = strings.Cut(f.domainName, ".")
	for _, id := range ids {
		if err := f.AddIdentity(id); err != nil {
			return nil, fmt.Errorf("new url front: %w", err)
		}
	}
	return f, nil
}

// AddIdentity makes the front accept signatures by id. It is safe to call while
// the front serves. It fails on an invalid identity or an access key ID already
// known, so that one key never maps to two principals.
func (f *Front) AddIdentity(id Identity) error {
	id, err := id.normalize()
	if err != nil {
		return fmt.Errorf("add identity: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.ids[id.AccessKeyID]; ok {
		return fmt.Errorf("add identity: %w: %s", ErrDuplicateIdentity, id.AccessKeyID)
	}
	f.ids[id.AccessKeyID] = id
	return nil
}

func (f *Front) lookup(accessKeyID string) (Identity, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	id, ok := f.ids[accessKeyID]
	return id, ok
}

// errorBody is the JSON shape of the Function URL service's own errors.
type errorBody struct {
	Message string `json:"Message"`
}

func writeServiceError(w http.ResponseWriter, requestID string, status int, errorType, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(headerRequestID, requestID)
	if errorType != "" {
		h.Set("X-Amzn-Errortype", errorType)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Message: message})
}

// ServeHTTP verifies, invokes and answers. It logs one line per request with the
// outcome; the Authorization header, the token and the bodies are never logged.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := f.newID()
	var (
		status int
		caller string
		reason string
	)
	defer func() {
		level := slog.LevelInfo
		if status >= 400 {
			level = slog.LevelWarn
		}
		attrs := []slog.Attr{
			slog.String("request_id", requestID),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.String("caller_arn", caller),
			slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
		}
		if reason != "" {
			attrs = append(attrs, slog.String("reason", reason))
		}
		f.log.LogAttrs(r.Context(), level, "url front request", attrs...)
	}()

	if r.ContentLength > f.maxBody {
		status, reason = http.StatusRequestEntityTooLarge, "body too large"
		writeServiceError(w, requestID, status, "RequestEntityTooLargeException", tooLargeMessage(f.maxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, f.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status, reason = http.StatusRequestEntityTooLarge, "body too large"
			writeServiceError(w, requestID, status, "RequestEntityTooLargeException", tooLargeMessage(f.maxBody))
			return
		}
		status, reason = http.StatusBadRequest, "read body: "+err.Error()
		writeServiceError(w, requestID, status, "", "Bad Request")
		return
	}

	at := f.now()
	id, aerr := f.verify(r.Context(), r, body)
	if aerr != nil {
		// Once the key is known the ARN helps whoever debugs a refusal; it is not
		// a secret.
		status, caller, reason = aerr.Status, id.ARN, aerr.ErrorType+": "+aerr.Message
		writeServiceError(w, requestID, status, aerr.ErrorType, aerr.Message)
		return
	}
	caller = id.ARN

	payload, err := marshalEvent(f.buildEvent(r, body, id, requestID, at))
	if err != nil {
		status, reason = http.StatusInternalServerError, err.Error()
		writeServiceError(w, requestID, status, "", "Internal Server Error")
		return
	}
	out, err := f.inv.Invoke(r.Context(), payload)
	if err != nil {
		status, reason = http.StatusBadGateway, "invoke: "+err.Error()
		writeBadGateway(w, requestID)
		return
	}
	resp, err := mapResponse(out)
	if err != nil {
		status, reason = http.StatusBadGateway, err.Error()
		writeBadGateway(w, requestID)
		return
	}
	status = resp.Status
	resp.write(w, requestID)
}

// marshalEvent encodes ev as AWS does, without escaping <, > and & in strings.
func marshalEvent(ev event) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		return nil, fmt.Errorf("marshal event: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeBadGateway answers as a Function URL does when the function fails or its
// output cannot be mapped.
func writeBadGateway(w http.ResponseWriter, requestID string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set(headerRequestID, requestID)
	w.WriteHeader(http.StatusBadGateway)
	_, _ = io.WriteString(w, "Internal Server Error")
}

func tooLargeMessage(limit int64) string {
	return "Request must be smaller than " + strconv.FormatInt(limit, 10) + " bytes for the InvokeFunction operation"
}

// newRequestID returns a random version 4 UUID, the form of Lambda request IDs.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails.
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Server timeouts. An invocation may take a while (an RIE cold start), so writes get
// more time than reads.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10
)

// ErrNotLoopback is returned by Start for an address that is not a loopback address.
var ErrNotLoopback = errors.New("url front listens on loopback addresses only")

// Start serves f on addr, which must name a loopback address ("127.0.0.1:0",
// "[::1]:8080", "localhost:0"; an empty host is refused because it means every
// interface). It returns the base URL and a stop function that shuts the server
// down gracefully within ctx.
func (f *Front) Start(addr string) (baseURL string, stop func(context.Context) error, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("start url front: %w", err)
	}
	if host == "localhost" {
		// Resolving could yield a non-loopback address on a misconfigured host.
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", nil, fmt.Errorf("start url front on %q: %w", addr, ErrNotLoopback)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), port))
	if err != nil {
		return "", nil, fmt.Errorf("start url front: %w", err)
	}
	srv := &http.Server{
		Handler:           f,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(f.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	var (
		once    sync.Once
		stopErr error
	)
	stop = func(ctx context.Context) error {
		once.Do(func() { stopErr = shutdown(ctx, srv, done) })
		return stopErr
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// shutdown stops srv within ctx and waits for its Serve to return.
func shutdown(ctx context.Context, srv *http.Server, done <-chan error) error {
	serr := srv.Shutdown(ctx)
	if serr != nil {
		// Shutdown gave up on active connections; close them so Serve returns.
		_ = srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return errors.Join(serr, fmt.Errorf("serve url front: %w", err))
	}
	if serr != nil {
		return fmt.Errorf("stop url front: %w", serr)
	}
	return nil
}
