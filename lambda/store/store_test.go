package store

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vend-tvm/vend/internal/revocation"
	"github.com/vend-tvm/vend/internal/testkit"
	"github.com/vend-tvm/vend/lambda/wire"
)

// newStore starts moto_server and creates the table as the tvm module does.
func newStore(t *testing.T) *Store { return newStoreVia(t, http.DefaultTransport) }

// newStoreVia is newStore with the DynamoDB client's requests sent through rt.
func newStoreVia(t *testing.T, rt http.RoundTripper) *Store {
	t.Helper()
	m := testkit.MotoForTest(t, testkit.WithSerialRequests())
	db := dynamodb.NewFromConfig(aws.Config{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIASTORETEST0000000", "secret", ""),
		BaseEndpoint: aws.String(m.URL()),
		HTTPClient:   &http.Client{Transport: rt},
	})
	if err := CreateTable(context.Background(), db, "vend-state"); err != nil {
		t.Fatal(err)
	}
	return New(db, "vend-state")
}

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func pending(id string) wire.AccessRequest {
	return wire.AccessRequest{
		ID: id, Status: wire.StatusPending, Profile: "prod-admin", Rule: "admins", Reason: "INC-1",
		Requester: wire.Caller{ARN: "arn:aws:iam::111111111111:user/alice", AccountID: "111111111111"},
		CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour), Approvals: 1, GrantSeconds: 3600,
	}
}

func TestCreateGetList(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	r := pending("req-a")
	if err := s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, r); !errors.Is(err, ErrConflict) {
		t.Errorf("creating the same ID again: %v, want ErrConflict", err)
	}
	got, v, err := s.Get(ctx, "req-a")
	if err != nil || v != 1 || got.Reason != "INC-1" || !got.CreatedAt.Equal(t0) || got.Requester != r.Requester {
		t.Errorf("Get = %+v, %d, %v", got, v, err)
	}
	if _, _, err := s.Get(ctx, "req-none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of no request: %v", err)
	}
	if err := s.Create(ctx, pending("req-b")); err != nil {
		t.Fatal(err)
	}
	all, err := s.List(ctx)
	if err != nil || len(all) != 2 {
		t.Errorf("List = %d requests, %v", len(all), err)
	}
}

// Many deciders on one version: exactly one write wins, the others are told to decide
// again on what it wrote.
func TestUpdateIsAtomic(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.Create(ctx, pending("req-race")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := pending("req-race")
			r.Status = wire.StatusApproved
			r.GrantedUntil = t0.Add(time.Hour)
			r.Decisions = []wire.Decision{{By: "approver-" + string(rune('a'+i)), Action: "approve", At: t0}}
			errs[i] = s.Update(ctx, r, 1)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, ErrConflict):
			t.Errorf("a losing write: %v, want ErrConflict", err)
		}
	}
	got, v, err := s.Get(ctx, "req-race")
	if wins != 1 || err != nil || v != 2 || len(got.Decisions) != 1 {
		t.Errorf("%d writes won; the request is at version %d with %d decisions (%v)", wins, v, len(got.Decisions), err)
	}
}

func TestGrants(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := "arn:aws:iam::111111111111:user/alice"
	if _, ok, err := s.GrantFor(ctx, alice, "prod-admin", t0); ok || err != nil {
		t.Fatalf("a grant before any approval: %v %v", ok, err)
	}
	r := pending("req-1")
	if err := s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Status, r.GrantedUntil = wire.StatusApproved, t0.Add(time.Hour)
	if err := s.Update(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	g, ok, err := s.GrantFor(ctx, alice, "prod-admin", t0.Add(59*time.Minute))
	if !ok || err != nil || g.RequestID != "req-1" || !g.Until.Equal(t0.Add(time.Hour)) {
		t.Errorf("grant = %+v %v %v", g, ok, err)
	}
	if _, ok, _ := s.GrantFor(ctx, alice, "prod-admin", t0.Add(time.Hour)); ok {
		t.Error("a grant is used at its end")
	}
	if _, ok, _ := s.GrantFor(ctx, alice, "other", t0); ok {
		t.Error("a grant for one profile serves another")
	}
	if _, ok, _ := s.GrantFor(ctx, "arn:aws:iam::111111111111:user/mallory", "prod-admin", t0); ok {
		t.Error("a grant for one caller serves another")
	}

	// A second request of the same caller, approved later, holds the grant; revoking the
	// first leaves it.
	r2 := pending("req-2")
	if err := s.Create(ctx, r2); err != nil {
		t.Fatal(err)
	}
	r2.Status, r2.GrantedUntil = wire.StatusApproved, t0.Add(2*time.Hour)
	if err := s.Update(ctx, r2, 1); err != nil {
		t.Fatal(err)
	}
	r.Status = wire.StatusRevoked
	if err := s.Update(ctx, r, 2); err != nil {
		t.Fatalf("revoke the older request: %v", err)
	}
	if g, ok, _ := s.GrantFor(ctx, alice, "prod-admin", t0); !ok || g.RequestID != "req-2" {
		t.Errorf("revoking req-1 removed req-2's grant: %+v %v", g, ok)
	}
	r2.Status = wire.StatusRevoked
	if err := s.Update(ctx, r2, 2); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GrantFor(ctx, alice, "prod-admin", t0); ok {
		t.Error("a revoked request's grant is still there")
	}
}

func TestUnavailable(t *testing.T) {
	db := dynamodb.NewFromConfig(aws.Config{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIASTORETEST0000000", "secret", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:1"), RetryMaxAttempts: 1,
	})
	s := New(db, "vend-state")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := s.GrantFor(ctx, "a", "b", t0); !errors.Is(err, ErrUnavailable) {
		t.Errorf("GrantFor: %v", err)
	}
	if err := s.Create(ctx, pending("x")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Create: %v", err)
	}
}

func TestRevocationsAreVersioned(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const role = "arn:aws:iam::111111111111:role/vend/admin"
	es, v, err := s.Revocations(ctx, role)
	if err != nil || v != 0 || len(es) != 0 {
		t.Fatalf("Revocations of a role never revoked = %+v, %d, %v", es, v, err)
	}
	one := []revocation.Entry{{SourceIdentity: "vend-alice-0123456789abcdef", Before: t0}}
	if err := s.PutRevocations(ctx, role, one, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRevocations(ctx, role, nil, 0); !errors.Is(err, ErrConflict) {
		t.Errorf("a second first write: %v, want ErrConflict", err)
	}
	es, v, err = s.Revocations(ctx, role)
	if err != nil || v != 1 || len(es) != 1 || es[0].SourceIdentity != one[0].SourceIdentity || !es[0].Before.Equal(t0) {
		t.Fatalf("Revocations = %+v, %d, %v", es, v, err)
	}
	if err := s.PutRevocations(ctx, role, nil, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRevocations(ctx, role, one, 1); !errors.Is(err, ErrConflict) {
		t.Errorf("a write over a stale version: %v, want ErrConflict", err)
	}
	if es, v, err = s.Revocations(ctx, role); err != nil || v != 2 || len(es) != 0 {
		t.Fatalf("Revocations after pruning all = %+v, %d, %v", es, v, err)
	}
}

// loseAnswers delivers each matching request to the server and then, the first n times,
// drops the answer as a reset connection would, so that the SDK retries a write that
// landed.
type loseAnswers struct {
	target string // X-Amz-Target to act on, such as DynamoDB_20120810.PutItem
	left   atomic.Int32
	lost   atomic.Int32
}

func (l *loseAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && r.Header.Get("X-Amz-Target") == l.target && l.left.Add(-1) >= 0 {
		resp.Body.Close()
		l.lost.Add(1)
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	return resp, err
}

// TestWritesSurviveALostAnswer: a write that landed but whose answer was lost is retried
// by the SDK, and the retry meets the write's own result; that is a success, not a
// conflict, for a new request, a role's revocations and a decided request alike.
func TestWritesSurviveALostAnswer(t *testing.T) {
	lossy := &loseAnswers{target: "DynamoDB_20120810.PutItem"}
	s := newStoreVia(t, lossy)
	ctx := context.Background()
	lossy.left.Store(1)
	if err := s.Create(ctx, pending("req-lost")); err != nil {
		t.Fatalf("Create with its first answer lost: %v", err)
	}
	if got, v, err := s.Get(ctx, "req-lost"); err != nil || v != 1 || got.ID != "req-lost" {
		t.Errorf("Get = %+v, %d, %v", got, v, err)
	}
	const role = "arn:aws:iam::111111111111:role/vend/admin"
	one := []revocation.Entry{{SourceIdentity: "vend-alice-0123456789abcdef", Before: t0}}
	for version := range 2 {
		lossy.left.Store(1)
		if err := s.PutRevocations(ctx, role, one, version); err != nil {
			t.Fatalf("PutRevocations over version %d with its first answer lost: %v", version, err)
		}
	}
	if es, v, err := s.Revocations(ctx, role); err != nil || v != 2 || len(es) != 1 {
		t.Errorf("Revocations = %+v, %d, %v", es, v, err)
	}
	// Another writer that writes the very same entries over the same version is not the
	// first write's retry: it stays a conflict.
	if err := s.PutRevocations(ctx, role, one, 1); !errors.Is(err, ErrConflict) {
		t.Errorf("the same entries again over version 1: %v, want ErrConflict", err)
	}
	if n := lossy.lost.Load(); n != 3 {
		t.Errorf("%d puts' answers lost, want 3: the test did not test", n)
	}

	// Approve, then revoke, each transaction's first answer lost.
	lossy.target = "DynamoDB_20120810.TransactWriteItems"
	lossy.lost.Store(0)
	r := pending("req-lost")
	r.Status, r.GrantedUntil = wire.StatusApproved, t0.Add(time.Hour)
	lossy.left.Store(1)
	if err := s.Update(ctx, r, 1); err != nil {
		t.Fatalf("approving with the answer lost: %v", err)
	}
	if _, ok, err := s.GrantFor(ctx, r.Requester.ARN, r.Profile, t0); !ok || err != nil {
		t.Errorf("no grant after the approval: %v %v", ok, err)
	}
	r.Status = wire.StatusRevoked
	lossy.left.Store(1)
	if err := s.Update(ctx, r, 2); err != nil {
		t.Fatalf("revoking with the answer lost: %v", err)
	}
	if _, ok, err := s.GrantFor(ctx, r.Requester.ARN, r.Profile, t0); ok || err != nil {
		t.Errorf("a grant after the revocation: %v %v", ok, err)
	}
	if got, v, err := s.Get(ctx, "req-lost"); err != nil || v != 3 || got.Status != wire.StatusRevoked {
		t.Errorf("Get = %s at %d, %v; want revoked at version 3", got.Status, v, err)
	}
	if n := lossy.lost.Load(); n != 2 {
		t.Errorf("%d transactions' answers lost, want 2: the test did not test", n)
	}
	// Another decision over the same version is still a conflict.
	r.Status = wire.StatusRejected
	if err := s.Update(ctx, r, 2); !errors.Is(err, ErrConflict) {
		t.Errorf("a different write over version 2: %v, want ErrConflict", err)
	}
}
