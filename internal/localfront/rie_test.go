package localfront

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeRIE imitates the emulator's invocation endpoint.
func fakeRIE(t *testing.T, handle func(w http.ResponseWriter, payload []byte)) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+RIEPath, func(w http.ResponseWriter, r *http.Request) {
		payload, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read: %v", err)
		}
		handle(w, payload)
	})
	srv := httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRIEInvoker(t *testing.T) {
	tests := []struct {
		name    string
		handle  func(w http.ResponseWriter, payload []byte)
		suffix  string
		want    string
		wantErr error // nil with errText empty means success
		errText string
	}{
		{
			name:   "echo",
			handle: func(w http.ResponseWriter, p []byte) { _, _ = w.Write(bytes.ToUpper(p)) },
			want:   `{"A":1}`,
		},
		{
			name:   "trailing slash in URL",
			handle: func(w http.ResponseWriter, p []byte) { _, _ = w.Write(p) },
			suffix: "/",
			want:   `{"a":1}`,
		},
		{
			name: "function error",
			handle: func(w http.ResponseWriter, _ []byte) {
				w.Header().Set("X-Amz-Function-Error", "Unhandled")
				_, _ = io.WriteString(w, `{"errorMessage":"secret-ish detail","errorType":"Boom"}`)
			},
			wantErr: ErrFunction,
		},
		{
			name:    "emulator error",
			handle:  func(w http.ResponseWriter, _ []byte) { w.WriteHeader(http.StatusInternalServerError) },
			errText: "500",
		},
		{
			name: "oversized response",
			handle: func(w http.ResponseWriter, _ []byte) {
				_, _ = w.Write(bytes.Repeat([]byte("a"), maxRIEResponse+1))
			},
			errText: "larger than",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := fakeRIE(t, tc.handle)
			inv := RIEInvoker{URL: url + tc.suffix, Client: &http.Client{Timeout: 10 * time.Second}}
			out, err := inv.Invoke(context.Background(), []byte(`{"a":1}`))
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "secret-ish") {
					t.Errorf("error carries the function's payload: %v", err)
				}
			case tc.errText != "":
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("err = %v, want one containing %q", err, tc.errText)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if string(out) != tc.want {
					t.Errorf("out %q, want %q", out, tc.want)
				}
			}
		})
	}
}

func TestRIEInvokerWrongPath(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	_, err := RIEInvoker{URL: srv.URL}.Invoke(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v, want a 404 error", err)
	}
}

func TestRIEInvokerHonoursContext(t *testing.T) {
	release := make(chan struct{})
	url := fakeRIE(t, func(w http.ResponseWriter, _ []byte) { <-release })
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := RIEInvoker{URL: url}.Invoke(ctx, []byte(`{}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

// TestFrontThroughRIE runs the whole path: signed request, front, emulator
// endpoint, function response mapped back.
func TestFrontThroughRIE(t *testing.T) {
	var seen []byte
	url := fakeRIE(t, func(w http.ResponseWriter, p []byte) {
		seen = p
		_, _ = io.WriteString(w, `{"statusCode":200,"headers":{"Content-Type":"application/json","X-Vend-Request-Id":"abc"},"body":"{\"AccessKeyId\":\"ASIA\"}"}`)
	})
	_, front := startFront(t, RIEInvoker{URL: url}, nil)
	req := signed(t, http.MethodGet, front+credPath, nil, creds(userID), "lambda", "eu-west-1", testNow, nil)
	status, h, body := do(t, req)
	if status != http.StatusOK || h.Get("X-Vend-Request-Id") != "abc" || string(body) != `{"AccessKeyId":"ASIA"}` {
		t.Fatalf("got %d %v %s", status, h, body)
	}
	if !bytes.Contains(seen, []byte(`"userArn":"`+userID.ARN+`"`)) {
		t.Errorf("event at the emulator lacks the caller: %s", seen)
	}
}
