package localfront

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
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
)

const (
	cmdRegion    = "eu-west-1"
	cmdAccountID = "210987654321"
	callerARN    = "arn:aws:iam::111122223333:user/alice"
	keyID        = "AKIALOCALFRONTTEST01"
	secretKey    = "local-front-secret-key-0123456789abcdefgh"
)

var identities = `[{"accessKeyId":"` + keyID + `","secretAccessKey":"` + secretKey + `","arn":"` + callerARN + `","userId":"AIDALOCALFRONTALICE"}]`

func TestParseFlags(t *testing.T) {
	base := []string{"--invoke-url", "http://127.0.0.1:9001", "--identities", "ids.json"}
	tests := []struct {
		name      string
		args      []string
		wantUsage bool
		check     func(t *testing.T, o Options)
	}{
		{
			name: "defaults", args: base,
			check: func(t *testing.T, o Options) {
				if o.Addr != "127.0.0.1:0" || o.Region != DefaultRegion || o.AccountID != DefaultAccountID || o.URLFile != "" {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			name: "everything", args: append(base, "--addr", "[::1]:8080", "--region", cmdRegion, "--account-id", cmdAccountID, "--url-file", "u"),
			check: func(t *testing.T, o Options) {
				if o.Addr != "[::1]:8080" || o.Region != cmdRegion || o.AccountID != cmdAccountID || o.URLFile != "u" ||
					o.InvokeURL != "http://127.0.0.1:9001" || o.IdentitiesFile != "ids.json" {
					t.Errorf("got %+v", o)
				}
			},
		},
		{name: "localhost", args: append(base, "--addr", "localhost:0")},
		{name: "every interface", args: append(base, "--addr", "0.0.0.0:8080"), wantUsage: true},
		{name: "empty host", args: append(base, "--addr", ":8080"), wantUsage: true},
		{name: "a name", args: append(base, "--addr", "example.com:80"), wantUsage: true},
		{name: "no port", args: append(base, "--addr", "127.0.0.1"), wantUsage: true},
		{name: "remote emulator", args: []string{"--invoke-url", "http://10.0.0.5:9001", "--identities", "i"}, wantUsage: true},
		{name: "emulator not a URL", args: []string{"--invoke-url", "127.0.0.1:9001", "--identities", "i"}, wantUsage: true},
		{name: "no identities", args: []string{"--invoke-url", "http://127.0.0.1:9001"}, wantUsage: true},
		{name: "no emulator", args: []string{"--identities", "i"}, wantUsage: true},
		{name: "empty region", args: append(base, "--region", ""), wantUsage: true},
		{name: "argument", args: append(base, "x"), wantUsage: true},
		{name: "unknown flag", args: append(base, "--nope"), wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseFlags(tt.args, io.Discard)
			if errors.Is(err, ErrUsage) != tt.wantUsage {
				t.Fatalf("error %v, want usage error %v", err, tt.wantUsage)
			}
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

func TestMainExitStatus(t *testing.T) {
	var stderr bytes.Buffer
	if code := Main(context.Background(), []string{"--identities", "i"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "--invoke-url") {
		t.Errorf("usage: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := Main(context.Background(), []string{"--invoke-url", "http://127.0.0.1:1", "--identities", filepath.Join(t.TempDir(), "none")}, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "open identities") {
		t.Errorf("error: exit %d, stderr %q", code, stderr.String())
	}
	if code := Main(context.Background(), []string{"-h"}, io.Discard, io.Discard); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
}

// cmdRIE imitates the Lambda Runtime Interface Emulator: a function behind its
// invocation path that answers with the caller the front put in the event.
type cmdRIE struct {
	URL    string
	mu     sync.Mutex
	events []map[string]any
}

func newCmdRIE(t *testing.T) *cmdRIE {
	t.Helper()
	rie := &cmdRIE{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+RIEPath, func(w http.ResponseWriter, r *http.Request) {
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

func (r *cmdRIE) calls() []map[string]any {
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
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", cmdRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func doCmd(t *testing.T, req *http.Request) (int, []byte) {
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

func TestCommandServesSignedRequests(t *testing.T) {
	dir := t.TempDir()
	rie := newCmdRIE(t)
	ids := writeIdentities(t, dir, 0o600)
	urlFile := filepath.Join(dir, "run", "front.url")
	if err := os.MkdirAll(filepath.Dir(urlFile), 0o700); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan int, 1)
	var stdout, stderr syncBuffer
	go func() {
		done <- Main(ctx, []string{"--invoke-url", rie.URL, "--identities", ids,
			"--region", cmdRegion, "--account-id", cmdAccountID, "--url-file", urlFile}, &stdout, &stderr)
	}()

	var base string
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(urlFile)
		base = strings.TrimSpace(string(b))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no url file; stderr: %s; exit: %v", stderr.String(), <-done)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.TrimSpace(stdout.String()) != base {
		t.Errorf("url file %q, stdout %q", base, stdout.String())
	}

	// A request signed with a known identity reaches the function with the caller.
	status, body := doCmd(t, signedGet(t, base+"/v1/whoami?x=1", aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secretKey}))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil || got["caller"] != callerARN || got["path"] != "/v1/whoami" {
		t.Errorf("answer %s (%v)", body, err)
	}
	evs := rie.calls()
	if len(evs) != 1 || dig(evs[0], "requestContext")["accountId"] != cmdAccountID {
		t.Errorf("events %v", evs)
	}

	// A wrong secret and no signature at all are refused before the function runs.
	if status, _ := doCmd(t, signedGet(t, base+"/v1/whoami", aws.Credentials{AccessKeyID: keyID, SecretAccessKey: "wrong"})); status != http.StatusForbidden {
		t.Errorf("wrong secret: status %d", status)
	}
	unsigned, _ := http.NewRequest(http.MethodGet, base+"/v1/whoami", nil)
	if status, _ := doCmd(t, unsigned); status != http.StatusForbidden {
		t.Errorf("unsigned: status %d", status)
	}
	if n := len(rie.calls()); n != 1 {
		t.Errorf("function ran %d times", n)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the front did not stop")
	}
	if _, err := os.Stat(urlFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("url file left behind: %v", err)
	}

	logs := stderr.String()
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

func TestCommandRefusesReadableIdentities(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o602} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			rie := newCmdRIE(t)
			ids := writeIdentities(t, dir, mode)
			urlFile := filepath.Join(dir, "front.url")
			var stdout bytes.Buffer
			err := Run(context.Background(), Options{Addr: "127.0.0.1:0", InvokeURL: rie.URL, IdentitiesFile: ids, URLFile: urlFile,
				Region: DefaultRegion, AccountID: DefaultAccountID}, &stdout, discardLogger())
			if !errors.Is(err, ErrExposedIdentities) {
				t.Fatalf("got %v", err)
			}
			if !strings.Contains(err.Error(), "chmod 600 "+ids) || strings.Contains(err.Error(), secretKey) {
				t.Errorf("error %q", err)
			}
			if _, err := os.Stat(urlFile); err == nil || stdout.String() != "" {
				t.Error("the front started")
			}
		})
	}
}

func TestCommandBadIdentities(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{name: "misspelt field", content: `[{"accessKeyId":"AKIAX","secretAcessKey":"` + secretKey + `","arn":"arn:aws:iam::1:user/a"}]`, want: "unknown field"},
		{name: "no secret", content: `[{"accessKeyId":"AKIAX","arn":"arn:aws:iam::111122223333:user/a"}]`, want: "secret access key is empty"},
		{name: "empty", content: `[]`, want: "the array is empty"},
		{name: "not JSON", content: `accessKeyId=AKIAX secret=` + secretKey, want: "decode identities"},
		{name: "missing", want: "open identities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ids.json")
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Run(context.Background(), Options{Addr: "127.0.0.1:0", InvokeURL: "http://127.0.0.1:1", IdentitiesFile: path,
				Region: DefaultRegion, AccountID: DefaultAccountID}, io.Discard, discardLogger())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secretKey) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
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

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
