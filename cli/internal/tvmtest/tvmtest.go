package tvmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vend-tvm/vend/lambda/wire"
)

// Base credentials the client under test signs with. The strings are distinctive so that
// tests can assert they never appear in output.
const (
	BaseAccessKeyID     = "AKIDVENDBASE0001"
	BaseSecretAccessKey = "base-secret-DO-NOT-PRINT"
	BaseSessionToken    = "base-session-token-DO-NOT-PRINT"
)

// Vended credentials returned by Credentials.
const (
	VendedAccessKeyID     = "ASIAVENDVENDED01"
	VendedSecretAccessKey = "vended-secret-DO-NOT-PRINT"
	VendedSessionToken    = "vended-session-token-DO-NOT-PRINT"
	AccountID             = "111122223333"
)

// Secrets lists every secret the fake deals in, for "never printed" assertions.
var Secrets = []string{BaseSecretAccessKey, BaseSessionToken, VendedSecretAccessKey, VendedSessionToken}

// BaseProvider returns the base credentials as a provider.
func BaseProvider() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(BaseAccessKeyID, BaseSecretAccessKey, BaseSessionToken)
}

// Call is one request the fake received.
type Call struct {
	Path    string
	Profile string
	Query   string
	// SignedService and SignedRegion come from the Authorization header's scope.
	SignedService string
	SignedRegion  string
}

// Server is the fake TVM.
type Server struct {
	*httptest.Server

	t               testing.TB
	service, region string

	mu            sync.Mutex
	handlers      map[string]http.HandlerFunc
	calls         []Call
	expectBadSigs bool
	badSigs       []string
}

// ExpectBadSignatures stops the fake from failing the test on a bad signature; it still
// answers 403 and records the reason in BadSignatures.
func (s *Server) ExpectBadSignatures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expectBadSigs = true
}

// BadSignatures returns why requests were refused.
func (s *Server) BadSignatures() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.badSigs...)
}

// New starts a fake TVM on 127.0.0.1 that expects signatures for service and region. It
// stops when the test ends.
func New(t testing.TB, service, region string) *Server {
	t.Helper()
	s := &Server{t: t, service: service, region: region, handlers: map[string]http.HandlerFunc{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Handle stubs a route.
func (s *Server) Handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[path] = h
}

// Calls returns the requests received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallCount returns how many requests reached path.
func (s *Server) CallCount(path string) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Path == path {
			n++
		}
	}
	return n
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	call := Call{Path: r.URL.Path, Profile: r.URL.Query().Get(wire.QueryProfile), Query: r.URL.RawQuery}
	svc, region, err := verify(r)
	call.SignedService, call.SignedRegion = svc, region
	s.mu.Lock()
	s.calls = append(s.calls, call)
	h := s.handlers[r.URL.Path]
	expectBad := s.expectBadSigs
	s.mu.Unlock()

	if err == nil && (svc != s.service || region != s.region) {
		err = fmt.Errorf("signed for %s/%s, want %s/%s", svc, region, s.service, s.region)
	}
	if err != nil {
		s.mu.Lock()
		s.badSigs = append(s.badSigs, err.Error())
		s.mu.Unlock()
		if !expectBad {
			s.t.Errorf("tvmtest: bad signature on %s: %v", r.URL.Path, err)
		}
		// What the AWS front end does with a bad signature: a bare 403.
		JSON(http.StatusForbidden, map[string]string{"Message": "Forbidden"})(w, r)
		return
	}
	if h == nil {
		s.t.Errorf("tvmtest: unexpected request to %s", r.URL.Path)
		JSON(http.StatusNotFound, wire.Error{Code: wire.CodeNotFound, Message: "no such route"})(w, r)
		return
	}
	h(w, r)
}

// verify recomputes the SigV4 signature of r with the base credentials and returns the
// service and region it was signed for.
func verify(r *http.Request) (service, region string, err error) {
	auth := r.Header.Get("Authorization")
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return "", "", fmt.Errorf("no SigV4 Authorization header")
	}
	var credential, signedHeaders string
	for _, part := range strings.Split(strings.TrimPrefix(auth, algo), ", ") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		}
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return "", "", fmt.Errorf("malformed credential scope %q", credential)
	}
	if scope[0] != BaseAccessKeyID {
		return "", "", fmt.Errorf("signed with access key %s, want %s", scope[0], BaseAccessKeyID)
	}
	region, service = scope[2], scope[3]
	if got := r.Header.Get("X-Amz-Security-Token"); got != BaseSessionToken {
		return service, region, fmt.Errorf("missing or wrong X-Amz-Security-Token")
	}
	signingTime, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return service, region, fmt.Errorf("bad X-Amz-Date: %w", err)
	}
	if d := time.Since(signingTime); d > 5*time.Minute || d < -5*time.Minute {
		return service, region, fmt.Errorf("signing time %s is off by %s", signingTime, d)
	}

	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return service, region, err
	}
	for _, h := range strings.Split(signedHeaders, ";") {
		switch h {
		case "host", "x-amz-date", "x-amz-security-token":
			continue // the signer sets these itself
		}
		again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
	}
	creds, _ := BaseProvider().Retrieve(context.Background())
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		return service, region, fmt.Errorf("missing X-Amz-Content-Sha256")
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, payloadHash, service, region, signingTime); err != nil {
		return service, region, err
	}
	if again.Header.Get("Authorization") != auth {
		return service, region, fmt.Errorf("signature does not match")
	}
	return service, region, nil
}

// JSON answers with status and v as JSON.
func JSON(status int, v any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set(wire.HeaderRequestID, "req-"+strings.TrimPrefix(r.URL.Path, "/v1/"))
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
}

// Credentials returns the vended credentials for profile, expiring after ttl.
func Credentials(profile string, ttl time.Duration) wire.Credentials {
	return wire.Credentials{
		AccessKeyID:     VendedAccessKeyID,
		SecretAccessKey: VendedSecretAccessKey,
		Token:           VendedSessionToken,
		Expiration:      time.Now().Add(ttl).UTC().Truncate(time.Second),
		AccountID:       AccountID,
		RequestID:       "req-credentials",
		SourceIdentity:  "alice",
		RoleARN:         "arn:aws:iam::" + AccountID + ":role/" + profile,
		Profile:         profile,
	}
}

// Allow answers PathCredentials with credentials for the requested profile valid for ttl.
func Allow(ttl time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		JSON(http.StatusOK, Credentials(r.URL.Query().Get(wire.QueryProfile), ttl))(w, r)
	}
}

// Deny answers as the TVM does when a policy rule denies.
func Deny(rule, reason string) http.HandlerFunc {
	return JSON(http.StatusForbidden, wire.Error{
		Code: wire.CodeAccessDenied, Message: "access denied by policy",
		RequestID: "req-denied", Rule: rule, Reason: reason,
	})
}
