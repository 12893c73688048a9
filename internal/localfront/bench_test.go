package localfront

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkVerify measures the signature check alone: parse, lookup, re-sign with
// the SDK signer, compare.
func BenchmarkVerify(b *testing.B) {
	for _, tc := range []struct {
		name string
		id   Identity
		body []byte
	}{
		{name: "GET long-term key", id: userID},
		{name: "POST temporary credentials", id: roleID, body: []byte(`{"profile":"dev","duration":900}`)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f, err := New(&fakeInvoker{}, []Identity{userID, roleID}, WithRegion("eu-west-1"),
				WithClock(func() time.Time { return testNow }))
			if err != nil {
				b.Fatal(err)
			}
			t := b
			req := signed(t, methodFor(tc.body), "http://127.0.0.1:9000"+credPath, tc.body, creds(tc.id), "lambda", "eu-west-1", testNow, nil)
			srvReq := httptest.NewRequest(req.Method, req.URL.String(), nil)
			srvReq.Header = req.Header.Clone()
			srvReq.Host = req.Host
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, aerr := f.verify(ctx, srvReq, tc.body); aerr != nil {
					b.Fatal(aerr)
				}
			}
		})
	}
}

// BenchmarkServeHTTP measures a whole request through the handler with an
// invoker that answers at once: verification, event, mapping.
func BenchmarkServeHTTP(b *testing.B) {
	f, err := New(&constInvoker{}, []Identity{userID}, WithRegion("eu-west-1"),
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		b.Fatal(err)
	}
	req := signed(b, http.MethodGet, "http://127.0.0.1:9000"+credPath, nil, creds(userID), "lambda", "eu-west-1", testNow, nil)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(req.Method, req.URL.String(), nil)
		r.Header = req.Header.Clone()
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

type constInvoker struct{}

func (constInvoker) Invoke(context.Context, []byte) ([]byte, error) {
	return []byte(`{"statusCode":200,"body":"{}"}`), nil
}

func methodFor(body []byte) string {
	if body != nil {
		return http.MethodPost
	}
	return http.MethodGet
}
