package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

func TestPanicBecomes500(t *testing.T) {
	for _, path := range []string{wire.PathCredentials, wire.PathProfiles, wire.PathWhoami} {
		t.Run(path, func(t *testing.T) {
			logs := &bytes.Buffer{}
			h := New(panicService{}, WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
			ev := loadEvent(t, "function-url-event.json")
			ev.RawPath = path
			r := invoke(t, h, marshal(t, ev))
			assertResponse(t, r, 500, wire.CodeInternal)
			line := decisionLine(t, logs.String()) // also: the panic values' secrets are not logged
			if line["decision"] != "error" {
				t.Errorf("decision line = %v", line)
			}
			if !strings.Contains(logs.String(), `"msg":"panic"`) || !strings.Contains(logs.String(), "goroutine") {
				t.Errorf("no panic line with a stack:\n%s", logs)
			}
		})
	}
}

func TestRateLimited(t *testing.T) {
	hs := newHarness(t, policystore.Static(mustPolicy(t, testPolicy), nil), tvm.WithRateLimit(1, 2))
	payload := marshal(t, loadEvent(t, "function-url-event.json"))
	for i, want := range []int{200, 200, 429} {
		hs.logs.Reset()
		r := invoke(t, hs.h, payload)
		if r.StatusCode != want {
			t.Fatalf("request %d: status %d, want %d", i, r.StatusCode, want)
		}
		if want == 429 {
			assertResponse(t, r, 429, wire.CodeRateLimited)
			if r.Headers["Retry-After"] == "" {
				t.Error("429 without Retry-After")
			}
			if line := decisionLine(t, hs.logs.String()); line["code"] != wire.CodeRateLimited {
				t.Errorf("decision line = %v", line)
			}
		}
	}
}

func TestStartupError(t *testing.T) {
	logs := &bytes.Buffer{}
	h := New(nil, WithStartupError(errors.New("VEND_RATE_LIMIT: not a number")), WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	r := invoke(t, h, marshal(t, loadEvent(t, "function-url-event.json")))
	assertResponse(t, r, 500, wire.CodeInternal)
	if strings.Contains(r.Body, "VEND_RATE_LIMIT") {
		t.Errorf("config error shown to the caller: %s", r.Body)
	}
	if line := decisionLine(t, logs.String()); !strings.Contains(line["error"].(string), "VEND_RATE_LIMIT") {
		t.Errorf("config error not logged: %v", line)
	}
}

func TestMalformedEvent(t *testing.T) {
	hs := newHarness(t, policystore.Static(mustPolicy(t, testPolicy), nil))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"})
	out, err := hs.h.Invoke(ctx, []byte(`{"version": "2.0", "rawPath": [`))
	if err != nil {
		t.Fatal(err)
	}
	var r response
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	assertResponse(t, r, 400, wire.CodeBadRequest)
	if r.Headers[wire.HeaderRequestID] != "lambda-req-1" {
		t.Errorf("request id = %q, want Lambda's", r.Headers[wire.HeaderRequestID])
	}
	decisionLine(t, hs.logs.String())
}

func TestRequestIDFallback(t *testing.T) {
	hs := newHarness(t, policystore.Static(mustPolicy(t, testPolicy), nil))
	ev := loadEvent(t, "function-url-event.json")
	ev.RequestContext.RequestID = ""
	r := invoke(t, hs.h, marshal(t, ev))
	if r.StatusCode != http.StatusOK || len(r.Headers[wire.HeaderRequestID]) < 16 {
		t.Errorf("status %d, request id %q", r.StatusCode, r.Headers[wire.HeaderRequestID])
	}
}

func TestDecisionLoggerSeparate(t *testing.T) {
	var ops, audit bytes.Buffer
	p := mustPolicy(t, testPolicy)
	svc, err := tvm.New(&fakeAssumer{}, policystore.Static(p, nil))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewJSONHandler(&ops, &slog.HandlerOptions{Level: slog.LevelError}))
	h := New(svc, WithLogger(quiet), WithDecisionLogger(slog.New(slog.NewJSONHandler(&audit, nil))))
	invoke(t, h, marshal(t, loadEvent(t, "function-url-event.json")))
	if line := decisionLine(t, audit.String()); line["decision"] != "allow" {
		t.Errorf("decision line = %v", line)
	}
	if ops.Len() != 0 {
		t.Errorf("decision went to the operational logger: %s", ops.String())
	}
}
