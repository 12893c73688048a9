package localfront

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vend-tvm/vend/internal/testkit"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 3, 12, 19, 3, 58, 390_000_000, time.UTC)

var (
	userID = Identity{
		AccessKeyID:     "AKIAURLFRONTTESTUSER",
		SecretAccessKey: "user-secret-key-0123456789abcdefghijklmnop",
		ARN:             "arn:aws:iam::111122223333:user/alice",
		UserID:          "AIDAURLFRONTTESTALICE",
		PrincipalOrgID:  "o-exampleorg1",
	}
	roleID = Identity{
		AccessKeyID:     "ASIAURLFRONTTESTROLE",
		SecretAccessKey: "role-secret-key-0123456789abcdefghijklmnop",
		SessionToken:    "role-session-token-FwoGZXIvYXdzEXAMPLEtoken",
		ARN:             "arn:aws:sts::444455556666:assumed-role/ci/job-42",
		UserID:          "AROAURLFRONTTESTROLE:job-42",
	}
)

func creds(id Identity) aws.Credentials {
	return aws.Credentials{AccessKeyID: id.AccessKeyID, SecretAccessKey: id.SecretAccessKey, SessionToken: id.SessionToken}
}

// fakeInvoker records the events it gets and answers with out or err.
type fakeInvoker struct {
	mu     sync.Mutex
	events [][]byte
	out    []byte
	err    error
}

func (fi *fakeInvoker) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.events = append(fi.events, bytes.Clone(payload))
	if fi.err != nil {
		return nil, fi.err
	}
	if fi.out == nil {
		return []byte(`{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"ok\":true}"}`), nil
	}
	return fi.out, nil
}

func (fi *fakeInvoker) calls() [][]byte {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return append([][]byte(nil), fi.events...)
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer = testkit.Buffer

// startFront starts a front on loopback with the test identities and clock, and
// stops it when the test ends.
func startFront(t *testing.T, inv Invoker, logs io.Writer, opts ...Option) (*Front, string) {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	base := []Option{
		WithRegion("eu-west-1"),
		WithClock(func() time.Time { return testNow }),
		WithLogger(slog.New(slog.NewJSONHandler(logs, nil))),
	}
	f, err := New(inv, []Identity{userID, roleID}, append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	url, stop, err := f.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return f, url
}

// signed builds a request to url and signs it with the SDK's signer, as the CLI does.
func signed(t testing.TB, method, url string, body []byte, c aws.Credentials, service, region string, at time.Time, edit func(*http.Request)) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if edit != nil {
		edit(req)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), c, req, hex.EncodeToString(sum[:]), service, region, at); err != nil {
		t.Fatalf("sign: %v", err)
	}
	return req
}

// do sends req with a bounded client and returns the status, headers and body.
func do(t *testing.T, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("do: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header, b
}
