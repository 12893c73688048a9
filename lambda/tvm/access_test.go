package tvm_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vend-tvm/vend/internal/testkit"
	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/store"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

const approvalPolicy = `version: 1
profiles:
  prod-admin:
    role_arn: arn:aws:iam::111111111111:role/vend/prod-admin
    max_duration: 1h
  readonly:
    role_arn: arn:aws:iam::111111111111:role/vend/readonly
rules:
  - name: admin-with-two-approvals
    effect: allow
    principals: ["arn:aws:iam::111111111111:user/dev/*"]
    profiles: [prod-admin]
    approval:
      approvers: ["arn:aws:iam::111111111111:user/lead/*", "arn:aws:iam::111111111111:user/dev/*"]
      approvals: 2
      grant: 2h
  - name: readonly
    effect: allow
    principals: ["*"]
    profiles: [readonly]
administrators: ["arn:aws:iam::111111111111:user/security/*"]
`

func caller(path, name string) identity.Caller {
	return identity.Caller{ARN: "arn:aws:iam::111111111111:user/" + path + "/" + name, AccountID: "111111111111", Partition: "aws"}
}

var (
	alice = caller("dev", "alice")
	carol = caller("dev", "carol")
	bob   = caller("lead", "bob")
	dave  = caller("lead", "dave")
	eve   = caller("security", "eve")
	zed   = caller("other", "zed")
)

type assumer struct{ calls atomic.Int32 }

func (a *assumer) AssumeRole(_ context.Context, in tvm.AssumeInput) (tvm.Credentials, error) {
	a.calls.Add(1)
	return tvm.Credentials{AccessKeyID: "ASIATEST", SecretAccessKey: "secret", SessionToken: "token", Expiration: time.Now().Add(in.Duration)}, nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// dynamoOn is a client of the DynamoDB at endpoint with the SDK's standard retries, as
// the TVM has (a loaded machine drops a loopback connection now and then).
func dynamoOn(endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(aws.Config{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIATVMTEST000000000", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

// unreachable is a client of a port nothing listens on, that gives up at once.
func unreachable() *dynamodb.Client {
	return dynamodb.NewFromConfig(aws.Config{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIATVMTEST000000000", "secret", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:1"), RetryMaxAttempts: 1,
	})
}

// workflow is the core with its state in a real DynamoDB table on moto.
func workflow(t *testing.T) (*tvm.Service, *clock, *assumer) {
	t.Helper()
	m := testkit.MotoForTest(t, testkit.WithSerialRequests())
	db := dynamoOn(m.URL())
	if err := store.CreateTable(context.Background(), db, "vend-state"); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse([]byte(approvalPolicy))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	a := &assumer{}
	svc, err := tvm.New(a, policystore.Static(p, nil), tvm.WithClock(clk.now), tvm.WithState(store.New(db, "vend-state")), tvm.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return svc, clk, a
}

func vend(svc *tvm.Service, c identity.Caller, profile string) (tvm.Result, error) {
	return svc.Credentials(context.Background(), c, tvm.CredentialsRequest{Profile: profile})
}

func TestRequestApproveVend(t *testing.T) {
	svc, clk, a := workflow(t)
	ctx := context.Background()

	if _, err := vend(svc, alice, "prod-admin"); !errors.Is(err, tvm.ErrApprovalRequired) || a.calls.Load() != 0 {
		t.Fatalf("vend without a grant: %v (%d AssumeRole calls)", err, a.calls.Load())
	}
	if _, err := svc.Request(ctx, alice, tvm.CredentialsRequest{Profile: "readonly", Reason: "x"}); !errors.Is(err, tvm.ErrApprovalNotNeeded) {
		t.Errorf("a request for a profile that needs none: %v", err)
	}
	if _, err := svc.Request(ctx, zed, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "x"}); !errors.Is(err, tvm.ErrDenied) {
		t.Errorf("a request the policy denies: %v", err)
	}
	if _, err := svc.Request(ctx, alice, tvm.CredentialsRequest{Profile: "prod-admin"}); !errors.Is(err, tvm.ErrReasonRequired) {
		t.Errorf("a request without a reason: %v", err)
	}
	r, err := svc.Request(ctx, alice, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "CHG-7: rotate the keys"})
	if err != nil || r.Status != wire.StatusPending || !tvm.ValidRequestID(r.ID) || r.Approvals != 2 || r.GrantSeconds != 7200 {
		t.Fatalf("request: %+v, %v", r, err)
	}

	// The requester never counts, even though the rule names developers as approvers.
	if _, err := svc.Decide(ctx, alice, r.ID, tvm.ActionApprove, "", ""); !errors.Is(err, tvm.ErrSelfApproval) {
		t.Errorf("self-approval: %v", err)
	}
	if _, err := svc.Decide(ctx, zed, r.ID, tvm.ActionApprove, "", ""); !errors.Is(err, tvm.ErrNotApprover) {
		t.Errorf("approval by a stranger: %v", err)
	}
	got, err := svc.Decide(ctx, bob, r.ID, tvm.ActionApprove, "looks right", "")
	if err != nil || got.Status != wire.StatusPending || len(got.Decisions) != 1 {
		t.Fatalf("first approval: %+v, %v", got, err)
	}
	if _, err := svc.Decide(ctx, bob, r.ID, tvm.ActionApprove, "", ""); !errors.Is(err, tvm.ErrAlreadyDecided) {
		t.Errorf("the same approver twice: %v", err)
	}
	if _, err := vend(svc, alice, "prod-admin"); !errors.Is(err, tvm.ErrApprovalRequired) {
		t.Errorf("vend with one of two approvals: %v", err)
	}
	got, err = svc.Decide(ctx, carol, r.ID, tvm.ActionApprove, "", "")
	if err != nil || got.Status != wire.StatusApproved || !got.GrantedUntil.Equal(clk.now().Add(2*time.Hour)) {
		t.Fatalf("second approval: %+v, %v", got, err)
	}

	res, err := vend(svc, alice, "prod-admin")
	if err != nil || res.AccessRequestID != r.ID || res.DurationSeconds != 3600 {
		t.Fatalf("vend within the grant: %+v, %v", res, err)
	}
	if _, err := vend(svc, carol, "prod-admin"); !errors.Is(err, tvm.ErrApprovalRequired) {
		t.Errorf("alice's grant served carol: %v", err)
	}
	clk.advance(110 * time.Minute) // 10 minutes of the grant left
	if res, err := vend(svc, alice, "prod-admin"); err != nil || res.DurationSeconds != 900 {
		t.Errorf("near the grant's end: %d s, %v; want STS's least, 900 s", res.DurationSeconds, err)
	}
	clk.advance(10 * time.Minute)
	if _, err := vend(svc, alice, "prod-admin"); !errors.Is(err, tvm.ErrApprovalRequired) {
		t.Errorf("vend after the grant: %v", err)
	}
	list, err := svc.Requests(ctx, alice)
	if err != nil || len(list) != 1 || list[0].Status != wire.StatusExpired {
		t.Errorf("the requester's list after the grant: %+v, %v", list, err)
	}
	if _, err := svc.Decide(ctx, dave, r.ID, tvm.ActionApprove, "", ""); !errors.Is(err, tvm.ErrRequestClosed) {
		t.Errorf("approving an expired request: %v", err)
	}
}

// Four approvers at once on a request that needs two: it ends approved with exactly two
// approvals, and the others are told it is closed.
func TestConcurrentApprovals(t *testing.T) {
	svc, _, _ := workflow(t)
	ctx := context.Background()
	r, err := svc.Request(ctx, alice, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "INC-9"})
	if err != nil {
		t.Fatal(err)
	}
	approvers := []identity.Caller{bob, carol, dave, caller("lead", "fay")}
	errs := make([]error, len(approvers))
	var wg sync.WaitGroup
	for i, who := range approvers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Decide(ctx, who, r.ID, tvm.ActionApprove, "", "")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, tvm.ErrRequestClosed):
			t.Errorf("a late approver: %v, want request closed", err)
		}
	}
	list, _ := svc.Requests(ctx, eve)
	if ok != 2 || len(list) != 1 || list[0].Status != wire.StatusApproved || len(list[0].Decisions) != 2 {
		t.Errorf("%d approvals went through; the request: %+v", ok, list)
	}
}

// An approval racing a rejection: one wins, and the request is either approved (with
// both approvals first) or rejected, never both.
func TestApproveRacesReject(t *testing.T) {
	svc, _, _ := workflow(t)
	ctx := context.Background()
	for i := range 5 {
		// A requester of its own each round: an earlier round's grant would serve a later one.
		requester := caller("dev", "requester"+strconv.Itoa(i))
		r, err := svc.Request(ctx, requester, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "INC-9"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Decide(ctx, bob, r.ID, tvm.ActionApprove, "", ""); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var approveErr, rejectErr error
		wg.Add(2)
		go func() { defer wg.Done(); _, approveErr = svc.Decide(ctx, carol, r.ID, tvm.ActionApprove, "", "") }()
		go func() { defer wg.Done(); _, rejectErr = svc.Decide(ctx, dave, r.ID, tvm.ActionReject, "no", "") }()
		wg.Wait()
		if (approveErr == nil) == (rejectErr == nil) {
			t.Fatalf("approve %v, reject %v: want exactly one to succeed", approveErr, rejectErr)
		}
		_, vendErr := vend(svc, requester, "prod-admin")
		if approveErr == nil && vendErr != nil || rejectErr == nil && !errors.Is(vendErr, tvm.ErrApprovalRequired) {
			t.Errorf("approve %v, reject %v, then vend: %v", approveErr, rejectErr, vendErr)
		}
	}
}

func TestRequestsVisibility(t *testing.T) {
	svc, clk, _ := workflow(t)
	ctx := context.Background()
	r, err := svc.Request(ctx, alice, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "INC-9"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		who  identity.Caller
		want int
	}{{alice, 1}, {bob, 1}, {carol, 1}, {eve, 1}, {zed, 0}} {
		if got, err := svc.Requests(ctx, tt.who); err != nil || len(got) != tt.want {
			t.Errorf("%s sees %d requests (%v), want %d", tt.who.ARN, len(got), err, tt.want)
		}
	}
	if _, err := svc.Decide(ctx, bob, r.ID, tvm.ActionReject, "not now", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Requests(ctx, alice); got[0].Status != wire.StatusRejected || got[0].Decisions[0].Comment != "not now" {
		t.Errorf("after rejection: %+v", got[0])
	}
	r2, _ := svc.Request(ctx, alice, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "again"})
	clk.advance(tvm.PendingFor)
	if _, err := svc.Decide(ctx, bob, r2.ID, tvm.ActionApprove, "", ""); !errors.Is(err, tvm.ErrRequestClosed) {
		t.Errorf("approving a lapsed request: %v", err)
	}
	if _, err := svc.Decide(ctx, bob, "req-aaaaaaaaaaaaaaaaaaaaaaaaaa", tvm.ActionApprove, "", ""); !errors.Is(err, tvm.ErrRequestNotFound) {
		t.Errorf("no such request: %v", err)
	}
}

// With the table unreachable, what needs it is refused with state_unavailable and what
// does not (a plain rule) still vends, without a call to it.
func TestStateUnavailable(t *testing.T) {
	p, _ := policy.Parse([]byte(approvalPolicy))
	svc, err := tvm.New(&assumer{}, policystore.Static(p, nil), tvm.WithState(store.New(unreachable(), "vend-state")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vend(svc, alice, "prod-admin"); !errors.Is(err, tvm.ErrStateUnavailable) {
		t.Errorf("vend of an approval profile: %v", err)
	}
	if _, err := svc.Request(context.Background(), alice, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "x"}); !errors.Is(err, tvm.ErrStateUnavailable) {
		t.Errorf("request: %v", err)
	}
	if _, err := vend(svc, alice, "readonly"); err != nil {
		t.Errorf("a plain vend needs no table: %v", err)
	}
	noState, _ := tvm.New(&assumer{}, policystore.Static(p, nil))
	if _, err := vend(noState, alice, "prod-admin"); !errors.Is(err, tvm.ErrStateUnavailable) {
		t.Errorf("vend of an approval profile without a table: %v", err)
	}
}

// Two containers sharing one table enforce one limit: a caller gets the burst per
// second across both, not per container; others have their own.
func TestSharedRateLimit(t *testing.T) {
	m := testkit.MotoForTest(t, testkit.WithSerialRequests())
	db := dynamoOn(m.URL())
	if err := store.CreateTable(context.Background(), db, "vend-state"); err != nil {
		t.Fatal(err)
	}
	p, _ := policy.Parse([]byte(approvalPolicy))
	clk := &clock{t: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	shared := store.New(db, "vend-state")
	newSvc := func() *tvm.Service {
		svc, err := tvm.New(&assumer{}, policystore.Static(p, nil), tvm.WithClock(clk.now), tvm.WithRateLimit(1, 3), tvm.WithSharedRateLimit(shared, false))
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a, b := newSvc(), newSvc()
	for i, svc := range []*tvm.Service{a, b, a} {
		if _, err := vend(svc, alice, "readonly"); err != nil {
			t.Fatalf("request %d within the burst: %v", i+1, err)
		}
	}
	_, err := vend(b, alice, "readonly")
	if !errors.Is(err, tvm.ErrRateLimited) || tvm.RetryAfter(err, 0) != time.Second {
		t.Errorf("the 4th request in the second, on the other container: %v, want rate limited with a retry in 1s", err)
	}
	if _, err := vend(b, zed, "readonly"); err != nil {
		t.Errorf("another caller: %v", err)
	}
	clk.advance(time.Second)
	if _, err := vend(b, alice, "readonly"); err != nil {
		t.Errorf("the next second: %v", err)
	}

	down := store.New(unreachable(), "vend-state")
	closed, _ := tvm.New(&assumer{}, policystore.Static(p, nil), tvm.WithRateLimit(1, 3), tvm.WithSharedRateLimit(down, false))
	if _, err := vend(closed, alice, "readonly"); !errors.Is(err, tvm.ErrStateUnavailable) {
		t.Errorf("store down, fail closed: %v", err)
	}
	local, _ := tvm.New(&assumer{}, policystore.Static(p, nil), tvm.WithRateLimit(1, 3), tvm.WithSharedRateLimit(down, true))
	if _, err := vend(local, alice, "readonly"); err != nil {
		t.Errorf("store down, this container's limit: %v", err)
	}
}

// BenchmarkVendRateLimit is a warm vend with the per-container limit (local) and with
// the shared limit in DynamoDB on moto (shared): the shared limit's one conditional
// update per vend is its whole cost. Both use the same in-process assumer. With the
// whole state configured (state: requests, grants, revocation) a plain vend costs what
// shared does; a vend on a grant (grant) adds the grant's read and its re-read after STS.
func BenchmarkVendRateLimit(b *testing.B) {
	m := testkit.MotoForTest(b)
	db := dynamoOn(m.URL())
	if err := store.CreateTable(context.Background(), db, "vend-state"); err != nil {
		b.Fatal(err)
	}
	p, _ := policy.Parse([]byte(approvalPolicy))
	for _, bc := range []struct {
		name string
		opts []tvm.Option
	}{
		{"local", []tvm.Option{tvm.WithRateLimit(1e9, 1e9)}},
		{"shared", []tvm.Option{tvm.WithRateLimit(1e9, 1e9), tvm.WithSharedRateLimit(store.New(db, "vend-state"), false)}},
		{"state", []tvm.Option{tvm.WithRateLimit(1e9, 1e9), tvm.WithSharedRateLimit(store.New(db, "vend-state"), false),
			tvm.WithState(store.New(db, "vend-state")), tvm.WithRevocation(store.New(db, "vend-state"), nil)}},
		{"grant", []tvm.Option{tvm.WithRateLimit(1e9, 1e9), tvm.WithSharedRateLimit(store.New(db, "vend-state"), false),
			tvm.WithState(store.New(db, "vend-state")), tvm.WithRevocation(store.New(db, "vend-state"), nil)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			svc, err := tvm.New(&assumer{}, policystore.Static(p, nil), bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			profile := "readonly"
			if bc.name == "grant" {
				profile = "prod-admin"
				ctx := context.Background()
				r, err := svc.Request(ctx, alice, tvm.CredentialsRequest{Profile: profile, Reason: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				for _, approver := range []identity.Caller{bob, dave} {
					if _, err := svc.Decide(ctx, approver, r.ID, tvm.ActionApprove, "", ""); err != nil {
						b.Fatal(err)
					}
				}
			}
			for b.Loop() {
				if _, err := vend(svc, alice, profile); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Whoever can assume a role names its session: sessions of one role are one person to
// the approval checks, so a requester cannot approve their own request from a second
// session, and one role's sessions count as one approver. Identity Center sessions are
// named after the person, and two people there are two approvers.
func TestSessionNamesDoNotMakePeople(t *testing.T) {
	const rolePolicy = `version: 1
profiles:
  prod-admin:
    role_arn: arn:aws:iam::111111111111:role/vend/prod-admin
rules:
  - name: admins
    effect: allow
    principals: ["arn:aws:sts::111111111111:assumed-role/*/*"]
    profiles: [prod-admin]
    approval:
      approvers: ["arn:aws:sts::111111111111:assumed-role/*/*"]
      approvals: 2
`
	m := testkit.MotoForTest(t, testkit.WithSerialRequests())
	db := dynamoOn(m.URL())
	if err := store.CreateTable(context.Background(), db, "vend-state"); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse([]byte(rolePolicy))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := tvm.New(&assumer{}, policystore.Static(p, nil), tvm.WithState(store.New(db, "vend-state")))
	if err != nil {
		t.Fatal(err)
	}
	session := func(role, name string) identity.Caller {
		c, err := identity.ParseARN("arn:aws:sts::111111111111:assumed-role/" + role + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	r, err := svc.Request(ctx, session("ops", "alice"), tvm.CredentialsRequest{Profile: "prod-admin", Reason: "INC-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, session("ops", "not-alice"), r.ID, tvm.ActionApprove, "", ""); !errors.Is(err, tvm.ErrSelfApproval) {
		t.Errorf("another session of the requester's role approving: %v, want self_approval", err)
	}
	if _, err := svc.Decide(ctx, session("lead", "bob"), r.ID, tvm.ActionApprove, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, session("lead", "bob-again"), r.ID, tvm.ActionApprove, "", ""); !errors.Is(err, tvm.ErrAlreadyDecided) {
		t.Errorf("a second session of an approver's role: %v, want already_decided", err)
	}
	ic1, ic2 := session("AWSReservedSSO_Lead_0123456789abcdef", "carol@example.com"), session("AWSReservedSSO_Lead_0123456789abcdef", "dave@example.com")
	r2, err := svc.Request(ctx, session("ops", "alice"), tvm.CredentialsRequest{Profile: "prod-admin", Reason: "INC-2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, ic1, r2.ID, tvm.ActionApprove, "", ""); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.Decide(ctx, ic2, r2.ID, tvm.ActionApprove, "", ""); err != nil || got.Status != wire.StatusApproved {
		t.Errorf("two Identity Center people of one permission set: %+v, %v, want approved", got.Status, err)
	}
}

func TestRequestGrantLength(t *testing.T) {
	svc, _, _ := workflow(t)
	ctx := context.Background()
	for _, bad := range []string{"600", "7201", "1h", "+1800", " 1800"} {
		if _, err := svc.Request(ctx, alice, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "x", Duration: bad}); !errors.Is(err, tvm.ErrInvalidDuration) {
			t.Errorf("grant %q: %v, want invalid duration", bad, err)
		}
	}
	r, err := svc.Request(ctx, alice, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "x", Duration: "1800"})
	if err != nil || r.GrantSeconds != 1800 {
		t.Errorf("a 30-minute grant: %+v, %v", r, err)
	}
}
