package access

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

var sample = wire.AccessRequest{
	ID: "req-abcdefghijklmnopqrstuvwxyz", Status: wire.StatusPending, Profile: "prod-admin", Rule: "admins", Reason: "CHG-1",
	Requester: wire.Caller{ARN: "arn:aws:iam::111111111111:user/alice", Name: "alice"}, Approvals: 2, GrantSeconds: 7200,
	CreatedAt: time.Now(), ExpiresAt: time.Now().Add(90 * time.Minute),
}

func TestRequest(t *testing.T) {
	e := cmdtest.New(t)
	var got url.Values
	var method string
	e.TVM.Handle(wire.PathRequests, func(w http.ResponseWriter, r *http.Request) {
		got, method = r.URL.Query(), r.Method
		tvmtest.JSON(200, sample)(w, r)
	})
	if err := e.Run(t, NewCmdRequest(e.F, nil), "prod-admin", "--reason", "CHG-1: rotate", "--duration", "30m"); err != nil {
		t.Fatal(err)
	}
	if method != http.MethodPost || got.Get("profile") != "prod-admin" || got.Get("reason") != "CHG-1: rotate" || got.Get("duration") != "1800" {
		t.Errorf("sent %s %v", method, got)
	}
	if strings.TrimSpace(e.Out.String()) != sample.ID || !strings.Contains(e.ErrOut.String(), "vend approve "+sample.ID) {
		t.Errorf("stdout %q stderr %q", e.Out, e.ErrOut)
	}
	e = cmdtest.New(t)
	e.TVM.Handle(wire.PathRequests, tvmtest.JSON(200, sample))
	if err := e.Run(t, NewCmdRequest(e.F, nil), "prod-admin", "--reason", "x", "-o", "json"); err != nil {
		t.Fatal(err)
	}
	var r struct{ ID, Status string }
	if err := json.Unmarshal([]byte(e.Out.String()), &r); err != nil || r.ID != sample.ID || r.Status != "pending" {
		t.Errorf("-o json: %s", e.Out)
	}
}

func TestRequestUsage(t *testing.T) {
	for _, args := range [][]string{{"prod-admin"}, {"prod-admin", "--reason", "x", "--duration", "5m"}, {"--reason", "x"}, {"p", "--reason", "a\nb"}} {
		e := cmdtest.New(t)
		if err := e.Run(t, NewCmdRequest(e.F, nil), args...); status.Code(err) != status.Usage {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
		if e.TVM.CallCount(wire.PathRequests) != 0 {
			t.Errorf("%q reached the TVM", args)
		}
	}
}

func TestRequestsTable(t *testing.T) {
	e := cmdtest.New(t)
	approved := sample
	approved.ID, approved.Status, approved.GrantedUntil = "req-bbbbbbbbbbbbbbbbbbbbbbbbbb", wire.StatusApproved, time.Now().Add(2*time.Hour)
	approved.Decisions = []wire.Decision{{By: "bob", Action: "approve"}, {By: "carol", Action: "approve"}}
	e.TVM.Handle(wire.PathRequests, tvmtest.JSON(200, wire.AccessRequests{Requests: []wire.AccessRequest{sample, approved}}))
	if err := e.Run(t, NewCmdRequests(e.F, nil)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(e.Out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "pending (1h30m left)") || !strings.Contains(lines[1], "0/2") ||
		!strings.Contains(lines[2], "approved (2h left)") || !strings.Contains(lines[2], "2/2") {
		t.Errorf("table:\n%s", e.Out)
	}
}

func TestDecide(t *testing.T) {
	e := cmdtest.New(t)
	var got url.Values
	approved := sample
	approved.Status, approved.GrantedUntil = wire.StatusApproved, time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	e.TVM.Handle(wire.PathApprove, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		tvmtest.JSON(200, approved)(w, r)
	})
	if err := e.Run(t, NewCmdApprove(e.F, nil), sample.ID, "--comment", "ok by me"); err != nil {
		t.Fatal(err)
	}
	if got.Get("id") != sample.ID || got.Get("comment") != "ok by me" || !strings.Contains(e.Out.String(), "alice may vend prod-admin until 2026-12-05T12:00:00Z") {
		t.Errorf("sent %v; printed %q", got, e.Out)
	}

	e = cmdtest.New(t)
	e.TVM.Handle(wire.PathApprove, tvmtest.JSON(403, wire.Error{Code: wire.CodeSelfApproval, Message: "you cannot decide your own request"}))
	if err := e.Run(t, NewCmdApprove(e.F, nil), sample.ID); status.Code(err) != status.Denied {
		t.Errorf("self-approval: %v, want a denial (exit 3)", err)
	}
	e = cmdtest.New(t)
	e.TVM.Handle(wire.PathReject, tvmtest.JSON(200, wire.AccessRequest{ID: sample.ID, Status: wire.StatusRejected}))
	if err := e.Run(t, NewCmdReject(e.F, nil), sample.ID); err != nil || !strings.Contains(e.Out.String(), "rejected") {
		t.Errorf("reject: %v %q", err, e.Out)
	}
}

func TestRevoke(t *testing.T) {
	revoked := sample
	revoked.Status, revoked.GrantedUntil = wire.StatusRevoked, time.Now().Add(time.Hour)
	rv := wire.Revocation{
		Caller: sample.Requester, SourceIdentity: "vend-alice-0123456789abcdef", Before: time.Date(2026, 12, 5, 1, 0, 6, 0, time.UTC),
		Roles:    []wire.RevokedRole{{RoleARN: "arn:aws:iam::111111111111:role/vend/prod-admin", PolicyARN: "arn:aws:iam::111111111111:policy/vend-revocation/prod-admin", Done: true}},
		Requests: []wire.AccessRequest{revoked},
	}
	e := cmdtest.New(t)
	var got url.Values
	var method string
	e.TVM.Handle(wire.PathRevoke, func(w http.ResponseWriter, r *http.Request) {
		got, method = r.URL.Query(), r.Method
		tvmtest.JSON(200, rv)(w, r)
	})
	if err := e.Run(t, NewCmdRevoke(e.F, nil), "--request", sample.ID, "--comment", "INC-77 closed"); err != nil {
		t.Fatal(err)
	}
	out := e.Out.String()
	if method != http.MethodPost || got.Get("id") != sample.ID || got.Get("comment") != "INC-77 closed" || got.Has("caller") ||
		!strings.Contains(out, sample.ID+" revoked: alice has no grant for prod-admin") ||
		!strings.Contains(out, "issued before 2026-12-05T01:00:06Z") || !strings.Contains(out, "role/vend/prod-admin  denied") {
		t.Errorf("sent %s %v; printed %q", method, got, out)
	}

	e = cmdtest.New(t)
	e.TVM.Handle(wire.PathRevoke, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		tvmtest.JSON(200, rv)(w, r)
	})
	if err := e.Run(t, NewCmdRevoke(e.F, nil), "--caller", sample.Requester.ARN, "--profile", "prod-admin", "-o", "json"); err != nil {
		t.Fatal(err)
	}
	var back wire.Revocation
	if got.Get("caller") != sample.Requester.ARN || got.Get("profile") != "prod-admin" || got.Has("id") ||
		json.Unmarshal([]byte(e.Out.String()), &back) != nil || back.SourceIdentity != rv.SourceIdentity || len(back.Roles) != 1 {
		t.Errorf("sent %v; printed %s", got, e.Out)
	}

	// Incomplete: what was done is shown, and the command fails.
	partial := rv
	partial.Roles = append([]wire.RevokedRole{{RoleARN: "arn:aws:iam::111111111111:role/vend/other", Error: "no revocation policy"}}, rv.Roles...)
	e = cmdtest.New(t)
	e.TVM.Handle(wire.PathRevoke, tvmtest.JSON(503, wire.Error{Code: wire.CodeRevocationIncomplete, Message: "revoke again", Revocation: &partial}))
	err := e.Run(t, NewCmdRevoke(e.F, nil), "--caller", sample.Requester.ARN)
	if err == nil || !strings.Contains(e.Out.String(), "role/vend/other  NOT REVOKED: no revocation policy") || !strings.Contains(e.Out.String(), "role/vend/prod-admin  denied") {
		t.Errorf("incomplete: %v; printed %q", err, e.Out)
	}

	e = cmdtest.New(t)
	e.TVM.Handle(wire.PathRevoke, tvmtest.JSON(403, wire.Error{Code: wire.CodeNotARevoker, Message: "for administrators"}))
	if err := e.Run(t, NewCmdRevoke(e.F, nil), "--caller", sample.Requester.ARN); status.Code(err) != status.Denied {
		t.Errorf("not a revoker: %v, want a denial (exit 3)", err)
	}
}

func TestRevokeUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--request", "req-x", "--caller", "arn:aws:iam::1:user/a"}, {"--request", "req-x", "--profile", "p"},
		{"--caller", "alice"}, {"req-x"}, {"--caller", "arn:aws:iam::111111111111:user/a", "--comment", "a\nb"}} {
		e := cmdtest.New(t)
		if err := e.Run(t, NewCmdRevoke(e.F, nil), args...); status.Code(err) != status.Usage {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
		if e.TVM.CallCount(wire.PathRevoke) != 0 {
			t.Errorf("%q reached the TVM", args)
		}
	}
}
