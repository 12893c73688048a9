package localfront

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Regression: the front canonicalised the query with url.ParseQuery, which drops a
// pair it cannot decode (a bad escape, a ';'), so such a pair appended to a signed URL
// reached the function unsigned. AWS signs the query as received: every pair counts.
func TestVerifyRefusesTamperedQuery(t *testing.T) {
	const signedQuery = "duration=900&profile=dev" // already in canonical order, so the signer keeps it
	tests := []struct {
		name  string
		query string // sent instead of signedQuery
	}{
		{"appended pair", signedQuery + "&duration=3600"},
		{"appended pair with a bad escape in the name", signedQuery + "&%zz=1"},
		{"appended pair with a bad escape in the value", signedQuery + "&x=%zz"},
		{"appended pair with a truncated escape", signedQuery + "&x=%4"},
		{"appended lone percent", signedQuery + "&%"},
		{"bad escape in a signed value", "duration=900&profile=dev%zz"},
		{"duplicated key", signedQuery + "&profile=dev"},
		{"duplicated key, other value", signedQuery + "&profile=admin"},
		{"appended semicolon pairs", signedQuery + "&a=1;b=2"},
		{"semicolon separator", "duration=900;profile=dev"},
		{"appended empty pair", signedQuery + "&"},
		{"appended key without value", signedQuery + "&admin"},
		{"changed value", "duration=900&profile=prod"},
		{"removed pair", "profile=dev"},
		{"values swapped between keys", "duration=dev&profile=900"},
		{"encoded plus is not a space", "duration=900&profile=dev%2B"},
	}
	inv := &fakeInvoker{}
	_, url := startFront(t, inv, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := signed(t, http.MethodGet, url+"/v1/credentials?"+signedQuery, nil, creds(userID), "lambda", "eu-west-1", testNow.Add(-time.Minute), nil)
			if req.URL.RawQuery != signedQuery {
				t.Fatalf("the signer rewrote the query to %q; the test assumes %q", req.URL.RawQuery, signedQuery)
			}
			req.URL.RawQuery = tc.query
			before := len(inv.calls())
			status, h, body := do(t, req)
			if status != http.StatusForbidden {
				t.Fatalf("status %d, want 403; body %s", status, body)
			}
			if got := h.Get("X-Amzn-Errortype"); got != "InvalidSignatureException" {
				t.Errorf("x-amzn-ErrorType %q, want InvalidSignatureException", got)
			}
			var eb struct{ Message string }
			if err := json.Unmarshal(body, &eb); err != nil || !strings.Contains(eb.Message, "does not match") {
				t.Errorf("body %s, want the signature mismatch message", body)
			}
			if n := len(inv.calls()) - before; n != 0 {
				t.Errorf("invoker called %d times for a refused request", n)
			}
		})
	}
}

// What AWS's canonical form makes equal stays accepted: pairs are sorted, and an
// escape is its character.
func TestVerifyAcceptsEquivalentQuery(t *testing.T) {
	tests := []struct {
		name, signedURL, sent string
		want                  map[string]string // queryStringParameters of the event
	}{
		{name: "untampered", signedURL: "/v1/credentials?profile=dev&duration=900", sent: "profile=dev&duration=900",
			want: map[string]string{"profile": "dev", "duration": "900"}},
		{name: "pairs reordered", signedURL: "/v1/credentials?profile=dev&duration=900", sent: "duration=900&profile=dev",
			want: map[string]string{"profile": "dev", "duration": "900"}},
		{name: "unreserved character escaped", signedURL: "/v1/credentials?profile=dev", sent: "profile=d%65v",
			want: map[string]string{"profile": "dev"}},
		{name: "lower-case escape", signedURL: "/v1/credentials?x=%2F", sent: "x=%2f",
			want: map[string]string{"x": "/"}},
		{name: "plus is a space", signedURL: "/v1/credentials?x=a%20b", sent: "x=a+b",
			want: map[string]string{"x": "a b"}},
		{name: "semicolon in a signed value reaches the function", signedURL: "/v1/credentials?a=1%3Bb%3D2", sent: "a=1%3Bb%3D2",
			want: map[string]string{"a": "1;b=2"}},
		{name: "key without a value", signedURL: "/v1/credentials?flag=", sent: "flag",
			want: map[string]string{"flag": ""}},
	}
	inv := &fakeInvoker{}
	_, url := startFront(t, inv, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := signed(t, http.MethodGet, url+tc.signedURL, nil, creds(roleID), "lambda", "eu-west-1", testNow.Add(-time.Minute), nil)
			req.URL.RawQuery = tc.sent
			status, _, body := do(t, req)
			if status != http.StatusOK {
				t.Fatalf("status %d, want 200; body %s", status, body)
			}
			calls := inv.calls()
			var ev event
			if err := json.Unmarshal(calls[len(calls)-1], &ev); err != nil {
				t.Fatal(err)
			}
			if ev.RawQueryString != tc.sent {
				t.Errorf("rawQueryString %q, want %q as sent", ev.RawQueryString, tc.sent)
			}
			if len(ev.QueryStringParameters) != len(tc.want) {
				t.Errorf("queryStringParameters %v, want %v", ev.QueryStringParameters, tc.want)
			}
			for k, v := range tc.want {
				if got, ok := ev.QueryStringParameters[k]; !ok || got != v {
					t.Errorf("queryStringParameters[%q] = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		raw, want string
		wantErr   bool
	}{
		{raw: "", want: ""},
		{raw: "Param2=value2&Param1=value1", want: "Param1=value1&Param2=value2"}, // SigV4 suite: get-vanilla-query-order-key-case
		{raw: "Param1=value2&Param1=Value1", want: "Param1=Value1&Param1=value2"}, // get-vanilla-query-order-value
		{raw: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
			want: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}, // get-vanilla-query-unreserved
		{raw: "%E1%88%B4=bar", want: "%E1%88%B4=bar"}, // get-vanilla-utf8-query
		{raw: "ሴ=bar", want: "%E1%88%B4=bar"},
		{raw: "a=1;b=2", want: "a=1%3Bb%3D2"},
		{raw: "x=a+b&y=%2b", want: "x=a%20b&y=%2B"},
		{raw: "flag", want: "flag="},
		{raw: "=v", want: "=v"},
		{raw: "a=b=c", want: "a=b%3Dc"},
		{raw: "a=1&", wantErr: true},
		{raw: "&a=1", wantErr: true},
		{raw: "a=1&&b=2", wantErr: true},
		{raw: "%zz=1", wantErr: true},
		{raw: "a=%zz", wantErr: true},
		{raw: "a=%4", wantErr: true},
		{raw: "a=%", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := canonicalQuery(tc.raw)
			if tc.wantErr {
				if !errors.Is(err, errMalformedQuery) {
					t.Fatalf("canonicalQuery = %q, %v; want errMalformedQuery", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("canonicalQuery = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzCanonicalQuery pins what signature relies on: the canonical form is a fixed
// point, and url.ParseQuery (the SDK signer's parser) reads it back pair for pair.
func FuzzCanonicalQuery(f *testing.F) {
	for _, s := range []string{"profile=dev&duration=900", "a=1;b=2", "%zz=1", "x=a+b&x=%2B", "flag", "=", "ሴ=%E1%88%B4", "a=1&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := canonicalQuery(raw)
		if err != nil {
			if !errors.Is(err, errMalformedQuery) {
				t.Fatalf("error not wrapping errMalformedQuery: %v", err)
			}
			return
		}
		again, err := canonicalQuery(c)
		if err != nil || again != c {
			t.Fatalf("canonical form %q is not a fixed point: %q, %v", c, again, err)
		}
		pairs, _ := parseQuery(raw)
		values, err := url.ParseQuery(c)
		n := 0
		for _, v := range values {
			n += len(v)
		}
		if err != nil || n != len(pairs) {
			t.Fatalf("url.ParseQuery(%q) = %d pairs, %v; want %d", c, n, err, len(pairs))
		}
	})
}
