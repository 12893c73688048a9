package localfront

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestMapResponse(t *testing.T) {
	tests := []struct {
		name        string
		out         string
		wantStatus  int
		wantBody    string
		wantHeaders map[string]string // "" means absent
		wantCookies []string
		wantErr     bool
	}{
		{
			name: "full description", out: `{"statusCode":201,"headers":{"Content-Type":"application/json","My-Custom-Header":"Custom Value"},"body":"{\"message\":\"hi\"}","cookies":["c1=v1; Max-Age=60","c2=v2"],"isBase64Encoded":false}`,
			wantStatus: 201, wantBody: `{"message":"hi"}`,
			wantHeaders: map[string]string{"Content-Type": "application/json", "My-Custom-Header": "Custom Value"},
			wantCookies: []string{"c1=v1; Max-Age=60", "c2=v2"},
		},
		{
			name: "base64 body", out: `{"statusCode":200,"headers":{"Content-Type":"application/octet-stream"},"body":"//4A","isBase64Encoded":true}`,
			wantStatus: 200, wantBody: "\xff\xfe\x00", wantHeaders: map[string]string{"Content-Type": "application/octet-stream"},
		},
		{
			name: "error status and no body", out: `{"statusCode":403,"headers":{"Content-Type":"application/json"}}`,
			wantStatus: 403, wantBody: "",
		},
		{
			name: "no content type is not sniffed", out: `{"statusCode":200,"body":"<html>"}`,
			wantStatus: 200, wantBody: "<html>", wantHeaders: map[string]string{"Content-Type": ""},
		},
		{
			name: "function cannot break framing", out: `{"statusCode":200,"headers":{"Content-Length":"999"},"body":"abc"}`,
			wantStatus: 200, wantBody: "abc",
		},
		{name: "bare string", out: `"Hello, world!"`, wantStatus: 200, wantBody: `"Hello, world!"`, wantHeaders: map[string]string{"Content-Type": "application/json"}},
		{name: "object without statusCode", out: `{"message":"Hello, world!"}`, wantStatus: 200, wantBody: `{"message":"Hello, world!"}`, wantHeaders: map[string]string{"Content-Type": "application/json"}},
		{name: "number", out: ` 42 `, wantStatus: 200, wantBody: `42`},
		{name: "array", out: `[1,2]`, wantStatus: 200, wantBody: `[1,2]`},
		{name: "null", out: `null`, wantStatus: 200, wantBody: `null`},
		{name: "not JSON", out: `Hello`, wantErr: true},
		{name: "empty", out: ``, wantErr: true},
		{name: "statusCode string", out: `{"statusCode":"200"}`, wantErr: true},
		{name: "statusCode out of range", out: `{"statusCode":99}`, wantErr: true},
		{name: "body not a string", out: `{"statusCode":200,"body":{"a":1}}`, wantErr: true},
		{name: "headers not strings", out: `{"statusCode":200,"headers":{"a":1}}`, wantErr: true},
		{name: "bad base64", out: `{"statusCode":200,"body":"!!","isBase64Encoded":true}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := mapResponse([]byte(tc.out))
			if tc.wantErr {
				if !errors.Is(err, errBadFunctionResponse) {
					t.Fatalf("err = %v, want errBadFunctionResponse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			resp.write(rec, "req-1")
			res := rec.Result()
			if res.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", res.StatusCode, tc.wantStatus)
			}
			if got := rec.Body.String(); got != tc.wantBody {
				t.Errorf("body %q, want %q", got, tc.wantBody)
			}
			for k, v := range tc.wantHeaders {
				if got := res.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if got := res.Header.Values("Set-Cookie"); !reflect.DeepEqual(got, tc.wantCookies) && len(got)+len(tc.wantCookies) > 0 {
				t.Errorf("Set-Cookie %q, want %q", got, tc.wantCookies)
			}
			if got := res.Header.Get("X-Amzn-Requestid"); got != "req-1" {
				t.Errorf("x-amzn-RequestId %q", got)
			}
		})
	}
}

// TestMapAWSLambdaGoResponse maps the response aws-lambda-go's handler would send.
func TestMapAWSLambdaGoResponse(t *testing.T) {
	out, err := os.ReadFile(filepath.Join("testdata", "function-response.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := mapResponse(out)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	resp.write(rec, "r")
	if rec.Code != http.StatusCreated || rec.Header().Get("My-Custom-Header") != "Custom Value" ||
		len(rec.Header().Values("Set-Cookie")) != 2 || rec.Body.String() != `{ "message": "Hello, world!" }` {
		t.Errorf("got %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
}
