package tvmclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vend-tvm/vend/lambda/wire"
)

// explain adds to an error that is not the TVM's own answer how long vend tried, how
// often and where, and a hint for the usual causes.
func (c *Client) explain(err error, attempts int, elapsed time.Duration) error {
	var wireErr *wire.Error
	var baseErr *BaseCredentialsError
	var statusErr *StatusError
	if errors.As(err, &wireErr) || errors.As(err, &baseErr) || errors.As(err, &statusErr) || errors.Is(err, context.Canceled) {
		return err
	}
	hint := ""
	switch {
	case errors.Is(err, context.DeadlineExceeded) && c.timeout > 0:
		hint = "; no answer within --timeout " + c.timeout.String()
	case errors.Is(err, syscall.ECONNREFUSED):
		hint = "; nothing listens there: check the TVM URL (vend doctor shows where it came from)"
	case errors.As(err, new(*net.DNSError)):
		hint = "; the host name does not resolve: check the TVM URL (vend doctor)"
	}
	return &CallError{Err: err, Attempts: attempts, Elapsed: elapsed, URL: c.base.String(), hint: hint}
}

// CallError is a call that got no usable answer from the TVM: the last attempt's error,
// with how many attempts took how long, to which URL.
type CallError struct {
	Err      error
	Attempts int
	Elapsed  time.Duration
	URL      string
	hint     string
}

func (e *CallError) Error() string {
	plural := "s"
	if e.Attempts == 1 {
		plural = ""
	}
	return fmt.Sprintf("%v (%d attempt%s in %s to %s%s)", e.Err, e.Attempts, plural, e.Elapsed.Round(100*time.Millisecond), e.URL, e.hint)
}

func (e *CallError) Unwrap() error { return e.Err }

// StatusError is an error response that did not come from the TVM's handler: AWS's
// IAM authentication in front of it, a proxy, or a gateway.
type StatusError struct {
	StatusCode int
	Message    string
	RequestID  string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.StatusCode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	switch e.StatusCode {
	case http.StatusForbidden, http.StatusUnauthorized:
		s += "; AWS refused the signed request before it reached the TVM: check that your base credentials are valid " +
			"(aws sts get-caller-identity), that your principal may invoke the TVM, and the signing service and region"
	case http.StatusNotFound:
		s += "; whatever answered is not a vend TVM (a TVM answers unknown routes with its own not_found): " +
			"check the remote server URL, which for a Function URL has no path and for API Gateway ends with the stage (vend doctor)"
	}
	return s
}

// BaseCredentialsError means the caller's own AWS credentials could not be loaded.
type BaseCredentialsError struct {
	Err error
}

func (e *BaseCredentialsError) Error() string {
	if exhausted(e.Err) {
		// The SDK's chain ended at EC2 instance metadata: nothing before it had credentials,
		// and the metadata error says nothing useful off EC2.
		return "no AWS credentials found for vend to sign with: it looked at AWS_ACCESS_KEY_ID and friends, " +
			"the default profile of the shared config and credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, " +
			"default ~/.aws/config and ~/.aws/credentials), web identity, the container endpoint and EC2 instance metadata; " +
			"set up your own credentials (aws configure, aws sso login) or choose a profile with --base-profile"
	}
	return "load your base AWS credentials (the identity vend signs with): " + e.Err.Error() +
		"; log in first (for example aws sso login) or choose a profile with --base-profile"
}

// exhausted reports whether the SDK's default chain found no credentials anywhere: its
// last link, EC2 instance metadata, failed too.
func exhausted(err error) bool {
	s := err.Error()
	return strings.Contains(s, "no EC2 IMDS role found") || strings.Contains(s, "ec2imds:") && strings.Contains(s, "failed to refresh cached credentials")
}

func (e *BaseCredentialsError) Unwrap() error { return e.Err }

// maxMessage bounds foreign error text we repeat.
const maxMessage = 200

func decodeError(status int, body []byte, requestID string, creds aws.Credentials) error {
	var we wire.Error
	if err := json.Unmarshal(body, &we); err == nil && we.Code != "" {
		if we.RequestID == "" {
			we.RequestID = requestID
		}
		return &we
	}
	// AWS front ends answer {"Message": ...} or {"message": ...}; json matches either.
	var foreign struct {
		Message string `json:"message"`
	}
	msg := ""
	if err := json.Unmarshal(body, &foreign); err == nil {
		msg = foreign.Message
	} else {
		msg = http.StatusText(status)
	}
	return &StatusError{StatusCode: status, Message: sanitize(msg, creds), RequestID: requestID}
}

// sanitize keeps the first line of a foreign message, drops the canonical request that
// signature-mismatch errors echo (it contains the session token header), and redacts
// our own secrets if they appear anyway.
func sanitize(msg string, creds aws.Credentials) string {
	if i := strings.Index(msg, "The Canonical String"); i >= 0 {
		msg = msg[:i]
	}
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	for _, secret := range []string{creds.SecretAccessKey, creds.SessionToken} {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "[redacted]")
		}
	}
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, msg)
	msg = strings.TrimSpace(msg)
	if r := []rune(msg); len(r) > maxMessage {
		msg = string(r[:maxMessage]) + "…"
	}
	return msg
}

func unwrapURLError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}
