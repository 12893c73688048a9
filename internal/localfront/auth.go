package localfront

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	algorithm      = "AWS4-HMAC-SHA256"
	scopeTerminal  = "aws4_request"
	amzDateFormat  = "20060102T150405Z"
	scopeDateFmt   = "20060102"
	maxClockSkew   = 5 * time.Minute
	headerAmzDate  = "X-Amz-Date"
	headerToken    = "X-Amz-Security-Token"
	headerSHA256   = "X-Amz-Content-Sha256"
	signatureBytes = sha256.Size
)

// authHeader is a parsed SigV4 Authorization header.
type authHeader struct {
	AccessKeyID   string
	Date          string // yyyymmdd of the credential scope
	Region        string
	Service       string
	SignedHeaders []string // lower-case, as sent
	Signature     string   // 64 lower-case hex digits
}

// errMalformedAuth is wrapped by every parse error.
var errMalformedAuth = errors.New("malformed authorization header")

// parseAuthorization parses
//
//	AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex
//
// Parse errors never quote the header: a confused client may have put a secret in it.
func parseAuthorization(h string) (authHeader, error) {
	var a authHeader
	rest, ok := strings.CutPrefix(h, algorithm+" ")
	if !ok {
		return a, fmt.Errorf("%w: algorithm is not %s", errMalformedAuth, algorithm)
	}
	var haveCred, haveSigned, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return a, fmt.Errorf("%w: a component is not key=value", errMalformedAuth)
		}
		switch key {
		case "Credential":
			if haveCred {
				return a, fmt.Errorf("%w: Credential appears twice", errMalformedAuth)
			}
			haveCred = true
			f := strings.Split(value, "/")
			if len(f) != 5 || f[4] != scopeTerminal {
				return a, fmt.Errorf("%w: Credential is not AKID/DATE/REGION/SERVICE/%s", errMalformedAuth, scopeTerminal)
			}
			for _, s := range f[:4] {
				if s == "" || !printable(s) {
					return a, fmt.Errorf("%w: Credential has an empty field or a space or control character", errMalformedAuth)
				}
			}
			if len(f[1]) != len(scopeDateFmt) {
				return a, fmt.Errorf("%w: Credential date is not yyyymmdd", errMalformedAuth)
			}
			if _, err := time.Parse(scopeDateFmt, f[1]); err != nil {
				return a, fmt.Errorf("%w: Credential date is not yyyymmdd", errMalformedAuth)
			}
			a.AccessKeyID, a.Date, a.Region, a.Service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			if haveSigned {
				return a, fmt.Errorf("%w: SignedHeaders appears twice", errMalformedAuth)
			}
			haveSigned = true
			names := strings.Split(value, ";")
			seen := make(map[string]bool, len(names))
			for _, n := range names {
				if n == "" || n != strings.ToLower(n) || !validHeaderName(n) {
					return a, fmt.Errorf("%w: SignedHeaders has an empty, upper-case or invalid name", errMalformedAuth)
				}
				if seen[n] {
					return a, fmt.Errorf("%w: SignedHeaders names a header twice", errMalformedAuth)
				}
				seen[n] = true
			}
			a.SignedHeaders = names
		case "Signature":
			if haveSig {
				return a, fmt.Errorf("%w: Signature appears twice", errMalformedAuth)
			}
			haveSig = true
			if len(value) != 2*signatureBytes || !isLowerHex(value) {
				return a, fmt.Errorf("%w: Signature is not 64 lower-case hex digits", errMalformedAuth)
			}
			a.Signature = value
		default:
			return a, fmt.Errorf("%w: unknown component", errMalformedAuth)
		}
	}
	switch {
	case !haveCred:
		return a, fmt.Errorf("%w: Credential is missing", errMalformedAuth)
	case !haveSigned:
		return a, fmt.Errorf("%w: SignedHeaders is missing", errMalformedAuth)
	case !haveSig:
		return a, fmt.Errorf("%w: Signature is missing", errMalformedAuth)
	}
	return a, nil
}

// String is the header in canonical form, for the fuzz round trip.
func (a authHeader) String() string {
	return algorithm + " Credential=" + a.AccessKeyID + "/" + a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminal +
		", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
}

func (a authHeader) signs(name string) bool {
	for _, n := range a.SignedHeaders {
		if n == name {
			return true
		}
	}
	return false
}

func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		// RFC 9110 token characters.
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// printable reports whether s is visible ASCII with no space.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// authError is a refusal, with what AWS would answer. Message is safe to send and to
// log: it never holds a secret, a token or a signature.
type authError struct {
	Status    int
	ErrorType string // x-amzn-ErrorType
	Message   string
}

func (e *authError) Error() string { return e.ErrorType + ": " + e.Message }

// The messages are those AWS sends, so that clients' error handling sees the same text.
const (
	msgForbidden = "Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
	msgBadToken  = "The security token included in the request is invalid."
	msgBadSig    = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

func forbidden() *authError {
	return &authError{Status: http.StatusForbidden, ErrorType: "AccessDeniedException", Message: msgForbidden}
}

func badToken() *authError {
	return &authError{Status: http.StatusForbidden, ErrorType: "UnrecognizedClientException", Message: msgBadToken}
}

func badSignature(msg string) *authError {
	return &authError{Status: http.StatusForbidden, ErrorType: "InvalidSignatureException", Message: msg}
}

func incomplete(msg string) *authError {
	return &authError{Status: http.StatusForbidden, ErrorType: "IncompleteSignatureException", Message: msg}
}

// verify checks r's SigV4 signature over body and returns the signing identity.
// It recomputes the signature with the SDK's own signer on a copy of the request
// that holds only what the client signed, so the front accepts exactly what the
// SDK's signing produces. The one hand-written step is the canonical query string:
// the signer's own (url.ParseQuery) drops pairs it cannot decode, where AWS signs
// every pair it receives.
func (f *Front) verify(ctx context.Context, r *http.Request, body []byte) (Identity, *authError) {
	raw := r.Header.Get("Authorization")
	if raw == "" || len(r.Header.Values("Authorization")) > 1 {
		return Identity{}, forbidden()
	}
	a, err := parseAuthorization(raw)
	if err != nil {
		return Identity{}, incomplete(err.Error())
	}
	id, ok := f.lookup(a.AccessKeyID)
	if !ok {
		return Identity{}, badToken()
	}
	if a.Service != f.service {
		return id, badSignature(fmt.Sprintf("Credential should be scoped to correct service: '%s'.", f.service))
	}
	if a.Region != f.region {
		return id, badSignature(fmt.Sprintf("Credential should be scoped to a valid region. Expected '%s'.", f.region))
	}
	if !a.signs("host") {
		return id, badSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !a.signs("x-amz-date") {
		return id, badSignature("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	dates := r.Header.Values(headerAmzDate)
	if len(dates) != 1 {
		return id, incomplete("Authorization header requires existence of exactly one 'X-Amz-Date' header.")
	}
	signedAt, err := time.Parse(amzDateFormat, dates[0])
	if err != nil {
		return id, incomplete("'X-Amz-Date' is not in the yyyyMMdd'T'HHmmss'Z' format.")
	}
	now := f.now().UTC()
	if signedAt.Before(now.Add(-maxClockSkew)) {
		return id, badSignature(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			dates[0], now.Add(-maxClockSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}
	if signedAt.After(now.Add(maxClockSkew)) {
		return id, badSignature(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			dates[0], now.Add(maxClockSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}
	if a.Date != signedAt.Format(scopeDateFmt) {
		return id, badSignature(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			a.Date, signedAt.Format(scopeDateFmt), dates[0]))
	}

	// A token is compared in constant time and never echoed. Both directions fail:
	// a temporary identity without its token, and a long-term key with a token.
	tokens := r.Header.Values(headerToken)
	switch {
	case id.SessionToken == "" && len(tokens) > 0,
		id.SessionToken != "" && len(tokens) != 1,
		id.SessionToken != "" && subtle.ConstantTimeCompare([]byte(tokens[0]), []byte(id.SessionToken)) != 1:
		return id, badToken()
	}

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	// The signature covers the claimed hash, not the body; a claim that differs from
	// the body (UNSIGNED-PAYLOAD included) would let the body be swapped.
	if claimed := r.Header.Values(headerSHA256); len(claimed) > 0 &&
		(len(claimed) != 1 || claimed[0] != payloadHash) {
		return id, badSignature("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}

	// The query is canonicalised from exactly what arrived: a pair that cannot be
	// decoded fails the request rather than dropping out of the signed string.
	query, err := canonicalQuery(r.URL.RawQuery)
	if err != nil {
		return id, badSignature(msgBadSig)
	}
	want, err := f.signature(ctx, r, a, id, signedAt, payloadHash, len(body), query)
	if err != nil {
		// The signer only fails on a request it cannot build, which is the
		// client's malformed request.
		return id, badSignature(msgBadSig)
	}
	if !hmac.Equal([]byte(want), []byte(a.Signature)) {
		return id, badSignature(msgBadSig)
	}
	return id, nil
}

// signature signs a copy of r holding only the headers the client signed and
// returns the hex signature the SDK's signer computes for it. The copy carries
// query, the canonical form of r's query: the signer parses a query with
// url.ParseQuery, which would drop any pair it cannot decode, and reads the
// canonical form back without loss.
func (f *Front) signature(ctx context.Context, r *http.Request, a authHeader, id Identity, at time.Time, payloadHash string, bodyLen int, query string) (string, error) {
	u := &url.URL{
		Scheme:   "http",
		Host:     r.Host,
		Path:     r.URL.Path,
		RawPath:  r.URL.RawPath,
		RawQuery: query,
	}
	c, err := http.NewRequestWithContext(ctx, r.Method, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("copy request: %w", err)
	}
	c.Host = r.Host
	c.Header = make(http.Header, len(a.SignedHeaders))
	for _, name := range a.SignedHeaders {
		switch name {
		case "host":
			// The signer always signs Host, taken from c.Host.
		case "content-length":
			// The signer signs Content-Length from the request's length, and only
			// when it is positive.
			c.ContentLength = int64(bodyLen)
		default:
			if v := r.Header.Values(name); len(v) > 0 {
				c.Header[http.CanonicalHeaderKey(name)] = v
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: id.AccessKeyID, SecretAccessKey: id.SecretAccessKey, SessionToken: id.SessionToken}
	// A client may send the token without signing it; sign as it did.
	noToken := !a.signs("x-amz-security-token")
	if err := f.signer.SignHTTP(ctx, creds, c, payloadHash, f.service, f.region, at, func(o *v4.SignerOptions) {
		o.DisableSessionToken = noToken
	}); err != nil {
		return "", fmt.Errorf("sign copy: %w", err)
	}
	_, sig, ok := strings.Cut(c.Header.Get("Authorization"), "Signature=")
	if !ok {
		return "", errors.New("signer produced no signature")
	}
	return sig, nil
}

// errMalformedQuery is wrapped by every query parse error.
var errMalformedQuery = errors.New("malformed query string")

// queryPair is one decoded name=value pair of a query string.
type queryPair struct {
	Name, Value string
}

// parseQuery reads a raw query string as AWS reads it for SigV4, dropping nothing:
// pairs are separated by '&' only (a ';' is data), each splits at its first '=' (no
// '=' means an empty value), '+' is a space, and every '%' starts a two-digit hex
// escape. An empty pair or a bad escape fails the whole query. url.ParseQuery, by
// contrast, skips such pairs, and a skipped pair would ride along unsigned.
func parseQuery(raw string) ([]queryPair, error) {
	if raw == "" {
		return nil, nil
	}
	pairs := make([]queryPair, 0, strings.Count(raw, "&")+1)
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			return nil, fmt.Errorf("%w: empty pair", errMalformedQuery)
		}
		name, value, _ := strings.Cut(part, "=")
		n, err := url.QueryUnescape(name)
		if err != nil {
			return nil, fmt.Errorf("%w: bad escape in a name", errMalformedQuery)
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return nil, fmt.Errorf("%w: bad escape in a value", errMalformedQuery)
		}
		pairs = append(pairs, queryPair{Name: n, Value: v})
	}
	return pairs, nil
}

// canonicalQuery is SigV4's canonical query string of raw: every pair URI-encoded
// (only A-Z a-z 0-9 - _ . ~ left as they are, upper-case hex), sorted by name, then
// value, joined by '&'.
func canonicalQuery(raw string) (string, error) {
	pairs, err := parseQuery(raw)
	if err != nil {
		return "", err
	}
	enc := make([]queryPair, len(pairs))
	for i, p := range pairs {
		enc[i] = queryPair{Name: uriEncode(p.Name), Value: uriEncode(p.Value)}
	}
	slices.SortFunc(enc, func(a, b queryPair) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.Name)
		b.WriteByte('=')
		b.WriteString(p.Value)
	}
	return b.String(), nil
}

// uriEncode percent-encodes every byte of s outside RFC 3986's unreserved set.
func uriEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return b.String()
}
