package tvmclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/lambda/wire"
)

// emptyPayloadHash is the SHA-256 of an empty body: every TVM request is a GET.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Defaults. A credentials answer is well under a kilobyte; the TVM itself bounds a
// profiles answer by the policy size.
const (
	defaultMaxAttempts   = 3
	defaultMaxRetryAfter = 10 * time.Second
	defaultBaseBackoff   = 250 * time.Millisecond
	defaultMaxBody       = 1 << 20
	defaultTimeout       = 30 * time.Second
)

// Client sends signed requests to one TVM.
type Client struct {
	base    *url.URL
	creds   aws.CredentialsProvider
	service string
	region  string

	httpClient    *http.Client
	rootCAs       *x509.CertPool
	signer        *v4.Signer
	logger        *slog.Logger
	userAgent     string
	maxAttempts   int
	maxRetryAfter time.Duration
	baseBackoff   time.Duration
	maxBody       int64
	sleep         func(context.Context, time.Duration) error
	now           func() time.Time
	timeout       time.Duration
	waiting       func(Waiting)
	waitAfter     time.Duration

	serviceOverride, regionOverride, defaultRegion string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the default HTTP client (which has timeouts).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.httpClient = h } }

// WithRootCAs makes the default HTTP client trust pool instead of the system's roots:
// the CA bundle the base AWS configuration names (AWS_CA_BUNDLE or ca_bundle), so that a
// TVM behind a TLS-inspecting proxy is reached as the AWS SDKs reach AWS. It does nothing
// when WithHTTPClient sets a client.
func WithRootCAs(pool *x509.CertPool) Option { return func(c *Client) { c.rootCAs = pool } }

// WithLogger sends debug records (request IDs, statuses, timings; never secrets) to l.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.logger = l } }

// WithSigningService overrides the service derived from the host.
func WithSigningService(s string) Option { return func(c *Client) { c.serviceOverride = s } }

// WithSigningRegion overrides the region derived from the host.
func WithSigningRegion(r string) Option { return func(c *Client) { c.regionOverride = r } }

// WithDefaultRegion is the region used when the host does not name one (custom domains,
// loopback): normally the region of the base AWS configuration.
func WithDefaultRegion(r string) Option { return func(c *Client) { c.defaultRegion = r } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithMaxAttempts bounds the attempts per request (at least 1).
func WithMaxAttempts(n int) Option {
	return func(c *Client) {
		if n >= 1 {
			c.maxAttempts = n
		}
	}
}

// WithBackoff sets the first retry delay; later delays double. Tests use it to stay fast.
func WithBackoff(d time.Duration) Option { return func(c *Client) { c.baseBackoff = d } }

// WithMaxRetryAfter caps how long a Retry-After header may make the client wait.
func WithMaxRetryAfter(d time.Duration) Option { return func(c *Client) { c.maxRetryAfter = d } }

// WithTimeout bounds each call, its retries and their waits included (0: no bound but
// the attempts').
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// Waiting says that an attempt has had no answer for a while.
type Waiting struct {
	Host        string
	Attempt, Of int
	Since       time.Duration // since the call began, its earlier attempts included
}

// WithWaiting sets what hears of an attempt still unanswered after WaitAfter (2 s), once
// per attempt, so that a person at a terminal knows what vend is waiting for.
func WithWaiting(fn func(Waiting)) Option { return func(c *Client) { c.waiting = fn } }

// WaitAfter is how long an attempt goes unanswered before WithWaiting hears of it.
const WaitAfter = 2 * time.Second

// WithClock sets the signing clock, for tests.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New returns a client for the TVM at serverURL that signs with creds. serverURL must be
// https unless it is a loopback address.
func New(serverURL string, creds aws.CredentialsProvider, opts ...Option) (*Client, error) {
	if creds == nil {
		return nil, errors.New("new tvm client: no base credentials provider")
	}
	base, err := ParseServerURL(serverURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:          base,
		creds:         creds,
		signer:        v4.NewSigner(),
		logger:        slog.New(slog.DiscardHandler),
		userAgent:     "vend",
		maxAttempts:   defaultMaxAttempts,
		waitAfter:     WaitAfter,
		maxRetryAfter: defaultMaxRetryAfter,
		baseBackoff:   defaultBaseBackoff,
		maxBody:       defaultMaxBody,
		sleep:         sleepContext,
		now:           time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	if c.httpClient == nil {
		c.httpClient = defaultHTTPClient(c.rootCAs)
	}
	service, region := SigningFor(base.Host)
	c.service = first(c.serviceOverride, service)
	c.region = first(c.regionOverride, region, c.defaultRegion)
	if c.region == "" {
		return nil, fmt.Errorf("cannot tell the signing region for %s: set --signing-region, signing_region in the vend config, or AWS_REGION", base.Host)
	}
	return c, nil
}

// ParseServerURL checks a TVM URL: absolute, https unless loopback, no credentials,
// query or fragment (the client adds its own paths and query).
func ParseServerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid remote server URL: %w", err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("remote server URL %s must not contain a user name or password", u.Redacted())
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("remote server URL %q must look like https://ID.lambda-url.REGION.on.aws", raw)
	}
	if u.Scheme == "http" && !IsLoopback(u.Host) {
		return nil, fmt.Errorf("remote server URL %s must use https: the answer carries credentials (plain http is allowed only for 127.0.0.1, localhost and ::1)", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("remote server URL %s must not have a query or fragment", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// URL returns the TVM's base URL.
func (c *Client) URL() string { return c.base.String() }

// SigningService returns the SigV4 service the client signs for.
func (c *Client) SigningService() string { return c.service }

// SigningRegion returns the SigV4 region the client signs for.
func (c *Client) SigningRegion() string { return c.region }

// Request is what a credentials request asks of the TVM.
type Request struct {
	Profile string
	// Duration is the sessions' lifetime; zero lets the TVM choose.
	Duration time.Duration
	// Reason is the caller's justification ("" for none): break-glass rules require one,
	// and the TVM records it whenever it is given.
	Reason string
	// Scope is the caller's session policies (--scope, --scope-arn); empty for none.
	Scope sessionpolicy.Scope
}

// Credentials asks the TVM for credentials of a vend profile.
func (c *Client) Credentials(ctx context.Context, r Request) (*wire.Credentials, error) {
	profile := r.Profile
	q := url.Values{wire.QueryProfile: {profile}}
	if r.Duration > 0 {
		q.Set(wire.QueryDuration, strconv.Itoa(int(r.Duration/time.Second)))
	}
	if r.Reason != "" {
		q.Set(wire.QueryReason, r.Reason)
	}
	if len(r.Scope.Policy) > 0 {
		q.Set(wire.QueryScope, base64.RawURLEncoding.EncodeToString(r.Scope.Policy))
	}
	if len(r.Scope.ARNs) > 0 {
		q[wire.QueryScopeARN] = r.Scope.ARNs
	}
	var out wire.Credentials
	if err := c.get(ctx, wire.PathCredentials, q, &out); err != nil {
		return nil, fmt.Errorf("get credentials for profile %s: %w", profile, err)
	}
	switch {
	case out.AccessKeyID == "" || out.SecretAccessKey == "" || out.Token == "":
		return nil, fmt.Errorf("get credentials for profile %s: the TVM answered without a complete key pair and token", profile)
	case out.Expiration.IsZero():
		return nil, fmt.Errorf("get credentials for profile %s: the TVM answered without an expiration", profile)
	}
	return &out, nil
}

// CreateRequest asks for a profile that needs approval; r.Duration asks for a grant
// shorter than the rule's.
func (c *Client) CreateRequest(ctx context.Context, r Request) (*wire.AccessRequest, error) {
	q := url.Values{wire.QueryProfile: {r.Profile}, wire.QueryReason: {r.Reason}}
	if r.Duration > 0 {
		q.Set(wire.QueryDuration, strconv.Itoa(int(r.Duration/time.Second)))
	}
	var out wire.AccessRequest
	if err := c.call(ctx, http.MethodPost, wire.PathRequests, q, &out); err != nil {
		return nil, fmt.Errorf("request profile %s: %w", r.Profile, err)
	}
	return &out, nil
}

// Requests lists the requests the caller made or may decide.
func (c *Client) Requests(ctx context.Context) (*wire.AccessRequests, error) {
	var out wire.AccessRequests
	if err := c.get(ctx, wire.PathRequests, nil, &out); err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return &out, nil
}

// Decide approves (approve true) or rejects request id, with an optional comment.
func (c *Client) Decide(ctx context.Context, id string, approve bool, comment string) (*wire.AccessRequest, error) {
	path, verb := wire.PathReject, "reject"
	if approve {
		path, verb = wire.PathApprove, "approve"
	}
	q := url.Values{wire.QueryID: {id}}
	if comment != "" {
		q.Set(wire.QueryComment, comment)
	}
	var out wire.AccessRequest
	if err := c.call(ctx, http.MethodPost, path, q, &out); err != nil {
		return nil, fmt.Errorf("%s request %s: %w", verb, id, err)
	}
	return &out, nil
}

// Revocation names what to revoke: a request's ID, or a caller's ARN (on Profile's
// role only, when set).
type Revocation struct {
	RequestID string
	CallerARN string
	Profile   string
	Comment   string
}

// Revoke ends a request's grant, or a caller's grants, and the sessions already issued.
// A revocation_incomplete answer is a *wire.Error whose Revocation says role by role
// what was done; making the same revocation again finishes it.
func (c *Client) Revoke(ctx context.Context, r Revocation) (*wire.Revocation, error) {
	q := url.Values{}
	what := "request " + r.RequestID
	if r.RequestID != "" {
		q.Set(wire.QueryID, r.RequestID)
	} else {
		q.Set(wire.QueryCaller, r.CallerARN)
		what = "caller " + r.CallerARN
		if r.Profile != "" {
			q.Set(wire.QueryProfile, r.Profile)
			what += " on " + r.Profile
		}
	}
	if r.Comment != "" {
		q.Set(wire.QueryComment, r.Comment)
	}
	var out wire.Revocation
	if err := c.call(ctx, http.MethodPost, wire.PathRevoke, q, &out); err != nil {
		return nil, fmt.Errorf("revoke %s: %w", what, err)
	}
	return &out, nil
}

// Whoami asks the TVM who it sees calling.
func (c *Client) Whoami(ctx context.Context) (*wire.Whoami, error) {
	var out wire.Whoami
	if err := c.get(ctx, wire.PathWhoami, nil, &out); err != nil {
		return nil, fmt.Errorf("whoami: %w", err)
	}
	return &out, nil
}

// Profiles asks the TVM which profiles exist and which the caller may use now.
func (c *Client) Profiles(ctx context.Context) (*wire.Profiles, error) {
	var out wire.Profiles
	if err := c.get(ctx, wire.PathProfiles, nil, &out); err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	return &out, nil
}

func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = q.Encode()
	return u.String()
}

// get performs a signed GET with bounded retries and decodes a 2xx JSON body into out.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	return c.call(ctx, http.MethodGet, path, q, out)
}

// call sends one request, retried as the TVM's answers allow. A POST changes state, so
// it is retried only when the TVM answered that it did nothing (429, 503), never after
// a transport error, which may have come after the change.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, out any) (callErr error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	endpoint := c.endpoint(path, q)
	start := time.Now()
	var lastErr error
	attempts := 0
	defer func() {
		if callErr != nil && attempts > 0 {
			callErr = c.explain(callErr, attempts, time.Since(start))
		}
	}()
	for attempt := 1; attempt <= c.maxAttempts; attempt++ {
		attempts = attempt
		var timer *time.Timer
		if c.waiting != nil {
			w := Waiting{Host: c.base.Host, Attempt: attempt, Of: c.maxAttempts}
			timer = time.AfterFunc(c.waitAfter, func() { w.Since = time.Since(start); c.waiting(w) })
		}
		retry, wait, err := c.attempt(ctx, method, endpoint, path, q, attempt, out)
		if timer != nil {
			timer.Stop()
		}
		if err == nil {
			return nil
		}
		lastErr = err
		if !retry || attempt == c.maxAttempts {
			break
		}
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		c.logger.DebugContext(ctx, "retrying", "path", path, "attempt", attempt, "wait_ms", wait.Milliseconds(), "error", err.Error())
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
	return lastErr
}

// attempt sends one request. retry says whether a failure may be retried, wait how long
// the server asked us to wait (0: use backoff).
func (c *Client) attempt(ctx context.Context, method, endpoint, path string, q url.Values, attempt int, out any) (retry bool, wait time.Duration, err error) {
	idempotent := method == http.MethodGet
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return false, 0, &BaseCredentialsError{Err: err}
	}
	req, err := c.newRequest(ctx, method, endpoint, creds)
	if err != nil {
		return false, 0, err
	}

	start := time.Now()
	resp, err := c.httpClient.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return false, 0, ctxErr
		}
		c.logger.DebugContext(ctx, "request failed", "path", path, "query", q.Encode(), "attempt", attempt,
			"duration_ms", time.Since(start).Milliseconds(), "error", err.Error())
		return idempotent, 0, fmt.Errorf("call the TVM at %s: %w", c.base.Host, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	requestID := first(resp.Header.Get(wire.HeaderRequestID), resp.Header.Get("X-Amzn-Requestid"), resp.Header.Get("Apigw-Requestid"))
	c.logger.DebugContext(ctx, "response", "method", method, "path", path, "query", q.Encode(),
		"attempt", attempt, "status", resp.StatusCode, "request_id", requestID,
		"duration_ms", time.Since(start).Milliseconds(), "bytes", len(body),
		"signing_service", c.service, "signing_region", c.region)
	if readErr != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return false, 0, ctxErr
		}
		return idempotent, 0, fmt.Errorf("read the TVM's answer: %w", readErr)
	}
	if int64(len(body)) > c.maxBody {
		return false, 0, fmt.Errorf("the TVM's answer is larger than %d bytes", c.maxBody)
	}

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The body holds credentials: a decode error must not quote it.
		if err := json.Unmarshal(body, out); err != nil {
			return false, 0, fmt.Errorf("decode the TVM's answer (HTTP %d, request %s): not the expected JSON", resp.StatusCode, requestID)
		}
		return false, 0, nil
	}
	apiErr := decodeError(resp.StatusCode, body, requestID, creds)
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true, c.retryAfter(resp.Header.Get("Retry-After")), apiErr
	}
	return false, 0, apiErr
}

// newRequest builds a GET for endpoint signed with creds. Each attempt signs anew, so
// that a retry after a long wait is not refused for an old signing time.
func (c *Client) newRequest(ctx context.Context, method, endpoint string, creds aws.Credentials) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("X-Amz-Content-Sha256", emptyPayloadHash)
	if err := c.signer.SignHTTP(ctx, creds, req, emptyPayloadHash, c.service, c.region, c.now().UTC()); err != nil {
		return nil, fmt.Errorf("sign request: %w", err)
	}
	return req, nil
}

func (c *Client) retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(strings.TrimSpace(h)); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = time.Until(t)
	}
	if d < 0 {
		d = 0
	}
	return min(d, c.maxRetryAfter)
}

// backoff is exponential with jitter, so that many clients throttled together do not
// come back together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.baseBackoff << (attempt - 1)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

func defaultHTTPClient(rootCAs *x509.CertPool) *http.Client {
	var tlsConfig *tls.Config
	if rootCAs != nil {
		tlsConfig = &tls.Config{RootCAs: rootCAs, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Timeout: defaultTimeout,
		Transport: &http.Transport{
			TLSClientConfig:       tlsConfig,
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConns:          4,
			ForceAttemptHTTP2:     true,
		},
		// A redirect would be re-sent unsigned to wherever it points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
