//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/lambda/wire"
)

// TestApprovalCycle walks what a user and an approver do, with the built vend and the
// real AWS CLI: refused before approval with how to ask; a request; self-approval
// refused and changing nothing; approval by a lead; the AWS CLI then runs as the role;
// the lists each party sees; and the events on the queue, with no secret.
func TestApprovalCycle(t *testing.T) {
	s := needStack(t)
	needTool(t, "aws", "aws", "--version")
	s.drainEvents(t)

	res := s.vend(t, s.alice, nil, "exec", "--no-cache", approvalProfile, "--", "sh", "-c", "echo started")
	if res.code != status.Denied || strings.Contains(res.stdout, "started") || !strings.Contains(res.stderr, "vend request") {
		t.Fatalf("before approval: exit %d\nstdout: %s\nstderr: %s\nwant exit 3, no child, and how to ask", res.code, res.stdout, res.stderr)
	}

	req := s.pendingRequest(t, "CHG-1234: rotate the keys")

	// The requester matches the rule's approvers (engineers/*), and still never counts.
	res = s.vend(t, s.alice, nil, "approve", req.ID)
	if res.code != status.Denied || !strings.Contains(res.stderr, "self_approval") {
		t.Errorf("self-approval: exit %d\n%s", res.code, res.stderr)
	}
	if got := s.requestAs(t, s.bob, req.ID); got.Status != wire.StatusPending || len(got.Decisions) != 0 {
		t.Errorf("self-approval changed the request: %+v", got)
	}
	// mallory is neither requester nor approver: she sees nothing and may decide nothing.
	if res := s.vend(t, s.mallory, nil, "requests", "-o", "json"); res.code != 0 || strings.Contains(res.stdout, req.ID) {
		t.Errorf("mallory's list: exit %d\n%s", res.code, res.stdout)
	}
	if res := s.vend(t, s.mallory, nil, "approve", req.ID); res.code != status.Denied {
		t.Errorf("mallory approving: exit %d\n%s", res.code, res.stderr)
	}

	res = s.vend(t, s.bob, nil, "approve", req.ID, "--comment", "matches CHG-1234")
	if res.code != 0 || !strings.Contains(res.stdout, "approved") {
		t.Fatalf("bob approves: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	res = s.vend(t, s.alice, nil, "exec", "--no-cache", approvalProfile, "--", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if res.code != 0 || !strings.Contains(res.stdout, ":assumed-role/demo-admin/") {
		t.Fatalf("exec within the grant: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(s.decisions.String(), `"access_request_id":"`+req.ID+`"`) {
		t.Error("no decision line names the grant's request")
	}
	got := s.requestAs(t, s.alice, req.ID)
	if got.Status != wire.StatusApproved || len(got.Decisions) != 1 || got.Decisions[0].By != s.bob.ARN || got.Decisions[0].Comment != "matches CHG-1234" {
		t.Errorf("the requester sees %+v", got)
	}
	res = s.vend(t, s.bob, nil, "approve", req.ID)
	if res.code == 0 || !strings.Contains(res.stderr, "request_not_pending") {
		t.Errorf("approving an approved request: exit %d\n%s", res.code, res.stderr)
	}

	types := map[string]int{}
	for _, e := range s.drainEvents(t) {
		types[e.Type]++
		if e.AccessRequestID != req.ID || e.Profile != approvalProfile || e.Caller.ARN != s.alice.ARN {
			t.Errorf("event %+v", e)
		}
	}
	if types[wire.EventRequestCreated] != 1 || types[wire.EventGrantStarted] != 1 || len(types) != 2 {
		t.Errorf("events %v, want one request_created and one grant_started", types)
	}
}

// requestAs returns request id from u's `vend requests -o json`.
// pendingRequest files alice's request for the approval profile: it must be pending,
// with a request ID.
func (s *stack) pendingRequest(t *testing.T, reason string) wire.AccessRequest {
	t.Helper()
	res := s.vend(t, s.alice, nil, "request", approvalProfile, "--reason", reason, "-o", "json")
	var req wire.AccessRequest
	if err := json.Unmarshal([]byte(res.stdout), &req); res.code != 0 || err != nil || req.Status != wire.StatusPending || !strings.HasPrefix(req.ID, "req-") {
		t.Fatalf("vend request: exit %d, %v\nstdout: %s\nstderr: %s", res.code, err, res.stdout, res.stderr)
	}
	return req
}

func (s *stack) requestAs(t *testing.T, u user, id string) wire.AccessRequest {
	t.Helper()
	res := s.vend(t, u, nil, "requests", "-o", "json")
	var list wire.AccessRequests
	if err := json.Unmarshal([]byte(res.stdout), &list); res.code != 0 || err != nil {
		t.Fatalf("vend requests as %s: exit %d, %v\n%s", u.Name, res.code, err, res.stderr)
	}
	for _, r := range list.Requests {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("%s does not see request %s", u.Name, id)
	return wire.AccessRequest{}
}

// TestRejectRacesApprove runs a rejection and an approval of one request at once, as two
// vend processes: exactly one wins.
func TestRejectRacesApprove(t *testing.T) {
	s := needStack(t)
	req := s.pendingRequest(t, "race")
	var wg sync.WaitGroup
	var approve, reject result
	wg.Add(2)
	go func() { defer wg.Done(); approve = s.vend(t, s.bob, nil, "approve", req.ID) }()
	go func() { defer wg.Done(); reject = s.vend(t, s.bob, nil, "reject", req.ID) }()
	wg.Wait()
	if (approve.code == 0) == (reject.code == 0) {
		t.Errorf("approve exit %d, reject exit %d: want exactly one to succeed\n%s\n%s", approve.code, reject.code, approve.stderr, reject.stderr)
	}
	s.drainEvents(t)
}
