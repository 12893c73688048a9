package handler

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// TestErrorStatusesComeFromTheWireTable pins that every error answer has the status the
// wire table gives its code (the status the error reference documents), for every core
// error and every refusal of the edge's own, and that between them they send every code.
func TestErrorStatusesComeFromTheWireTable(t *testing.T) {
	seen := map[string]bool{}
	check := func(t *testing.T, r response) {
		t.Helper()
		var e wire.Error
		if err := json.Unmarshal([]byte(r.Body), &e); err != nil || e.Code == "" {
			t.Fatalf("not an error body: %s", r.Body)
		}
		seen[e.Code] = true
		if want := wire.Status(e.Code); r.StatusCode != want {
			t.Errorf("%s answered with %d; the wire table says %d", e.Code, r.StatusCode, want)
		}
	}

	hs := newHarness(t, policystore.Static(mustPolicy(t, testPolicy), nil))
	for _, err := range []error{
		&tvm.DeniedError{Rule: "no-admin"}, tvm.ErrUnknownProfile, tvm.ErrInvalidDuration,
		tvm.ErrRateLimited, tvm.ErrPolicyInvalid, tvm.ErrPolicyUnavailable, tvm.ErrTrustRefused,
		tvm.ErrThrottled, tvm.ErrSTS, &tvm.ReasonRequiredError{Rule: "oncall"}, tvm.ErrEventsUnavailable,
		&tvm.ApprovalRequiredError{Rule: "r", Profile: "p"}, tvm.ErrApprovalNotNeeded, tvm.ErrRequestNotFound,
		tvm.ErrRequestClosed, tvm.ErrSelfApproval, tvm.ErrNotApprover, tvm.ErrAlreadyDecided, tvm.ErrStateUnavailable,
		tvm.ErrNotRevoker, tvm.ErrInvalidCaller, tvm.ErrRevocationUnavailable, &tvm.RevocationIncompleteError{Roles: []string{"r"}},
		&tvm.ScopeError{Required: true, Rule: "agents", Msg: "rule agents requires a scope"}, &tvm.ScopeError{Msg: "no"}, errors.New("anything else"),
	} {
		t.Run("core "+err.Error(), func(t *testing.T) { check(t, hs.h.coreError(&record{}, err)) })
	}

	for name, edit := range map[string]func(*Event){
		"no caller":         func(e *Event) { e.RequestContext.Authorizer = nil },
		"no route":          func(e *Event) { e.RawPath = "/v1/secrets" },
		"post":              func(e *Event) { e.RequestContext.HTTP.Method = "POST" },
		"oversized query":   withQuery("profile=prod-readonly&pad=" + strings.Repeat("a", MaxQueryBytes)),
		"body on get":       func(e *Event) { e.Body = "{}" },
		"no profile":        withQuery(""),
		"bad duration":      withQuery("profile=prod-readonly&duration=x"),
		"repeated profile":  withQuery("profile=a&profile=b"),
		"control in reason": withQuery("profile=prod-readonly&reason=a%0Ab"),
		"scope not base64":  withQuery("profile=prod-readonly&scope=%7B%7D"),
	} {
		t.Run("edge "+name, func(t *testing.T) {
			ev := loadEvent(t, "function-url-event.json")
			edit(&ev)
			check(t, invoke(t, hs.h, marshal(t, ev)))
		})
	}
	t.Run("edge malformed event", func(t *testing.T) { check(t, invoke(t, hs.h, []byte(`{"rawPath": [`))) })
	t.Run("edge startup error", func(t *testing.T) {
		h := New(nil, WithStartupError(errors.New("bad config")), WithLogger(slog.New(slog.DiscardHandler)))
		check(t, invoke(t, h, marshal(t, loadEvent(t, "function-url-event.json"))))
	})
	t.Run("edge unencodable response", func(t *testing.T) {
		var r response
		if err := json.Unmarshal([]byte(marshalFailed), &r); err != nil {
			t.Fatal(err)
		}
		check(t, r)
	})

	for _, c := range wire.Codes() {
		if !seen[c.Code] {
			t.Errorf("no case answers %s; add one above (or, if only the CLI endpoint sends it, say so here)", c.Code)
		}
	}
}
