package localfront

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/internal/localfront"
)

const (
	region    = "eu-west-1"
	accountID = "210987654321"
	callerARN = "arn:aws:iam::111122223333:user/alice"
	keyID     = "AKIALOCALFRONTTEST01"
	secretKey = "local-front-secret-key-0123456789abcdefgh"
)

var identities = `[{"accessKeyId":"` + keyID + `","secretAccessKey":"` + secretKey + `","arn":"` + callerARN + `","userId":"AIDALOCALFRONTALICE"}]`

func TestNewCmdLocalFrontFlags(t *testing.T) {
	base := []string{"--invoke-url", "http://127.0.0.1:9001", "--identities", "ids.json"}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		check    func(t *testing.T, o *LocalFrontOptions)
	}{
		{
			name: "defaults", args: base,
			check: func(t *testing.T, o *LocalFrontOptions) {
				if o.Addr != "127.0.0.1:0" || o.Region != localfront.DefaultRegion || o.AccountID != localfront.DefaultAccountID ||
					o.URLFile != "" || o.Logger == nil || o.Context == nil {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			name: "everything", args: append(base, "--addr", "[::1]:8080", "--region", region, "--account-id", accountID, "--url-file", "u"),
			check: func(t *testing.T, o *LocalFrontOptions) {
				if o.Addr != "[::1]:8080" || o.Region != region || o.AccountID != accountID || o.URLFile != "u" ||
					o.InvokeURL != "http://127.0.0.1:9001" || o.IdentitiesFile != "ids.json" {
					t.Errorf("got %+v", o)
				}
			},
		},
		{name: "localhost", args: append(base, "--addr", "localhost:0")},
		{name: "every interface", args: append(base, "--addr", "0.0.0.0:8080"), wantCode: status.Usage},
		{name: "empty host", args: append(base, "--addr", ":8080"), wantCode: status.Usage},
		{name: "a name", args: append(base, "--addr", "example.com:80"), wantCode: status.Usage},
		{name: "no port", args: append(base, "--addr", "127.0.0.1"), wantCode: status.Usage},
		{name: "remote emulator", args: []string{"--invoke-url", "http://10.0.0.5:9001", "--identities", "i"}, wantCode: status.Usage},
		{name: "emulator not a URL", args: []string{"--invoke-url", "127.0.0.1:9001", "--identities", "i"}, wantCode: status.Usage},
		{name: "no identities", args: []string{"--invoke-url", "http://127.0.0.1:9001"}, wantCode: status.Usage},
		{name: "no emulator", args: []string{"--identities", "i"}, wantCode: status.Usage},
		{name: "empty region", args: append(base, "--region", ""), wantCode: status.Usage},
		{name: "argument", args: append(base, "x"), wantCode: status.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			var got *LocalFrontOptions
			err := e.Run(t, NewCmdLocalFront(e.F, func(o *LocalFrontOptions) error { got = o; return nil }), tt.args...)
			if code := status.Code(err); code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.wantCode)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

// fakeRIE imitates the Lambda Runtime Interface Emulator: a function behind its
// invocation path that answers with the caller the front put in the event.
type fakeRIE struct {
	URL    string
	mu     sync.Mutex
	events []map[string]any
}

func newFakeRIE(t *testing.T) *fakeRIE {
	t.Helper()
	rie := &fakeRIE{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+localfront.RIEPath, func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("event: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rie.mu.Lock()
		rie.events = append(rie.events, ev)
		rie.mu.Unlock()
		iam := dig(ev, "requestContext", "authorizer", "iam")
		body, _ := json.Marshal(map[string]any{"caller": iam["userArn"], "path": ev["rawPath"]})
		_ = json.NewEncoder(w).Encode(map[string]any{
			"statusCode": 200,
			"headers":    map[string]string{"Content-Type": "application/json"},
			"body":       string(body),
		})
	})
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	rie.URL = srv.URL
	return rie
}

func (r *fakeRIE) calls() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.events...)
}

func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		m = next
	}
	return m
}

func writeIdentities(t *testing.T, dir string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, "identities.json")
	if err := os.WriteFile(path, []byte(identities), 0o600); err != nil {
		t.Fatal(err)
	}
	// Chmod after writing: the umask must not decide what the test checks.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// signedGet signs a GET with the SDK's signer, as the CLI does for a Function URL.
func signedGet(t *testing.T, url string, creds aws.Credentials) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestLocalFrontServesSignedRequests(t *testing.T) {
	e := cmdtest.New(t)
	rie := newFakeRIE(t)
	ids := writeIdentities(t, e.Dir, 0o600)
	urlFile := filepath.Join(e.Dir, "run", "front.url")
	if err := os.MkdirAll(filepath.Dir(urlFile), 0o700); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- e.RunContext(ctx, NewCmdLocalFront(e.F, nil), "--invoke-url", rie.URL, "--identities", ids,
			"--region", region, "--account-id", accountID, "--url-file", urlFile)
	}()

	var base string
	if !cmdtest.WaitFor(10*time.Second, func() bool {
		b, err := os.ReadFile(urlFile)
		base = strings.TrimSpace(string(b))
		return err == nil
	}) {
		cancel()
		t.Fatalf("no url file; stderr: %s; exit: %v", e.ErrOut, <-done)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.TrimSpace(e.Out.String()) != base {
		t.Errorf("url file %q, stdout %q", base, e.Out)
	}

	// A request signed with a known identity reaches the function with the caller.
	status, body := do(t, signedGet(t, base+"/v1/whoami?x=1", aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secretKey}))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil || got["caller"] != callerARN || got["path"] != "/v1/whoami" {
		t.Errorf("answer %s (%v)", body, err)
	}
	evs := rie.calls()
	if len(evs) != 1 || dig(evs[0], "requestContext")["accountId"] != accountID {
		t.Errorf("events %v", evs)
	}

	// A wrong secret and no signature at all are refused before the function runs.
	if status, _ := do(t, signedGet(t, base+"/v1/whoami", aws.Credentials{AccessKeyID: keyID, SecretAccessKey: "wrong"})); status != http.StatusForbidden {
		t.Errorf("wrong secret: status %d", status)
	}
	unsigned, _ := http.NewRequest(http.MethodGet, base+"/v1/whoami", nil)
	if status, _ := do(t, unsigned); status != http.StatusForbidden {
		t.Errorf("unsigned: status %d", status)
	}
	if n := len(rie.calls()); n != 1 {
		t.Errorf("function ran %d times", n)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the front did not stop")
	}
	if _, err := os.Stat(urlFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("url file left behind: %v", err)
	}

	logs := e.ErrOut.String()
	if strings.Contains(logs, secretKey) || strings.Contains(logs, "Signature=") {
		t.Errorf("a secret reached the log:\n%s", logs)
	}
	requests := 0
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON log line: %q", line)
			continue
		}
		if rec["msg"] == "url front request" {
			requests++
		}
	}
	if requests != 3 || !strings.Contains(logs, `"msg":"local front listening"`) || !strings.Contains(logs, callerARN) {
		t.Errorf("%d request lines; logs:\n%s", requests, logs)
	}
}

func TestLocalFrontRefusesReadableIdentities(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o602} {
		t.Run(mode.String(), func(t *testing.T) {
			e := cmdtest.New(t)
			rie := newFakeRIE(t)
			ids := writeIdentities(t, e.Dir, mode)
			urlFile := filepath.Join(e.Dir, "front.url")
			err := e.Run(t, NewCmdLocalFront(e.F, nil), "--invoke-url", rie.URL, "--identities", ids, "--url-file", urlFile)
			if !errors.Is(err, ErrExposedIdentities) || status.Code(err) != status.Error {
				t.Fatalf("got %v", err)
			}
			if !strings.Contains(err.Error(), "chmod 600 "+ids) || strings.Contains(err.Error(), secretKey) {
				t.Errorf("error %q", err)
			}
			if _, err := os.Stat(urlFile); err == nil || e.Out.String() != "" {
				t.Error("the front started")
			}
		})
	}
}

func TestLocalFrontBadIdentities(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{name: "misspelt field", content: `[{"accessKeyId":"AKIAX","secretAcessKey":"` + secretKey + `","arn":"arn:aws:iam::1:user/a"}]`, want: "unknown field"},
		{name: "no secret", content: `[{"accessKeyId":"AKIAX","arn":"arn:aws:iam::111122223333:user/a"}]`, want: "secret access key is empty"},
		{name: "empty", content: `[]`, want: "the array is empty"},
		{name: "not JSON", content: `accessKeyId=AKIAX secret=` + secretKey, want: "decode identities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			path := filepath.Join(e.Dir, "ids.json")
			cmdtest.WriteFile(t, path, tt.content)
			err := e.Run(t, NewCmdLocalFront(e.F, nil), "--invoke-url", "http://127.0.0.1:1", "--identities", path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secretKey) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestLocalFrontMissingIdentities(t *testing.T) {
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdLocalFront(e.F, nil), "--invoke-url", "http://127.0.0.1:1", "--identities", filepath.Join(e.Dir, "nope.json"))
	if status.Code(err) != status.Error || !strings.Contains(err.Error(), "open identities") {
		t.Errorf("got %v", err)
	}
}

func TestWriteURLFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "url")
	for _, u := range []string{"http://127.0.0.1:1", "http://127.0.0.1:2"} {
		if err := writeURLFile(path, u); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(b, []byte(u+"\n")) {
			t.Errorf("got %q %v", b, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := writeURLFile(filepath.Join(dir, "missing", "url"), "x"); err == nil {
		t.Error("wrote into a missing directory")
	}
}
