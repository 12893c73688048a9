package tvm_test

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/vend-tvm/vend/internal/revocation"
	"github.com/vend-tvm/vend/internal/testkit"
	"github.com/vend-tvm/vend/lambda/iampolicy"
	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/store"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// moto's IAM keeps everything in its default account.
const revokePolicy = `version: 1
profiles:
  prod-admin:
    role_arn: arn:aws:iam::123456789012:role/vend/prod-admin
  readonly:
    role_arn: arn:aws:iam::123456789012:role/vend/readonly
  unguarded:
    role_arn: arn:aws:iam::123456789012:role/vend/unguarded
rules:
  - name: admin-with-approval
    effect: allow
    principals: ["arn:aws:iam::123456789012:user/dev/*"]
    profiles: [prod-admin]
    approval:
      approvers: ["arn:aws:iam::123456789012:user/lead/*"]
      grant: 2h
  - name: readonly
    effect: allow
    principals: ["*"]
    profiles: [readonly, unguarded]
administrators: ["arn:aws:iam::123456789012:user/security/*"]
`

// parsed is a caller as the TVM sees one: classified from its verified ARN.
func parsed(t *testing.T, arn string) identity.Caller {
	t.Helper()
	c, err := identity.ParseARN(arn)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type revokeStack struct {
	svc   *tvm.Service
	clk   *clock
	iam   *iam.Client
	a     *hookAssumer
	alice identity.Caller
	carol identity.Caller
	bob   identity.Caller
	eve   identity.Caller
	zed   identity.Caller
}

// hookAssumer runs hook (when set) while STS would be issuing the session.
type hookAssumer struct {
	assumer
	hook func()
}

func (h *hookAssumer) AssumeRole(ctx context.Context, in tvm.AssumeInput) (tvm.Credentials, error) {
	if h.hook != nil {
		h.hook()
	}
	return h.assumer.AssumeRole(ctx, in)
}

// revokeStackFor is the core with its state on a DynamoDB table and its revocation
// policies on IAM, both on moto; prod-admin's and readonly's roles have revocation
// policies as the protected-role module makes them, unguarded's has none.
func revokeStackFor(t *testing.T, opts ...tvm.Option) *revokeStack {
	t.Helper()
	m := testkit.MotoForTest(t, testkit.WithSerialRequests())
	db := dynamoOn(m.URL())
	ctx := context.Background()
	if err := store.CreateTable(ctx, db, "vend-state"); err != nil {
		t.Fatal(err)
	}
	client := iam.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIATVMTEST000000000", "secret", ""),
		BaseEndpoint: aws.String(m.URL()),
	})
	empty, err := revocation.Document(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"prod-admin", "readonly"} {
		if _, err := client.CreatePolicy(ctx, &iam.CreatePolicyInput{
			PolicyName: aws.String(role), Path: aws.String(revocation.Path), PolicyDocument: aws.String(string(empty)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := policy.Parse([]byte(revokePolicy))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db, "vend-state")
	s := &revokeStack{clk: &clock{t: time.Now().UTC().Truncate(time.Second)}, iam: client, a: &hookAssumer{}}
	opts = append([]tvm.Option{tvm.WithClock(s.clk.now), tvm.WithState(st), tvm.WithRevocation(st, iampolicy.New(client)), tvm.WithRateLimit(0, 0)}, opts...)
	if s.svc, err = tvm.New(s.a, policystore.Static(p, nil), opts...); err != nil {
		t.Fatal(err)
	}
	s.alice = parsed(t, "arn:aws:iam::123456789012:user/dev/alice")
	s.carol = parsed(t, "arn:aws:iam::123456789012:user/dev/carol")
	s.bob = parsed(t, "arn:aws:iam::123456789012:user/lead/bob")
	s.eve = parsed(t, "arn:aws:iam::123456789012:user/security/eve")
	s.zed = parsed(t, "arn:aws:sts::123456789012:assumed-role/Other/zed")
	return s
}

// granted files alice's request for prod-admin and has bob approve it.
func (s *revokeStack) granted(t *testing.T, who identity.Caller) wire.AccessRequest {
	t.Helper()
	ctx := context.Background()
	r, err := s.svc.Request(ctx, who, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "INC-9"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = s.svc.Decide(ctx, s.bob, r.ID, tvm.ActionApprove, "", ""); err != nil || r.Status != wire.StatusApproved {
		t.Fatalf("approve: %+v, %v", r, err)
	}
	return r
}

// revoked reads the default version of role's revocation policy and returns its
// entries by SourceIdentity.
func (s *revokeStack) revoked(t *testing.T, role string) map[string]time.Time {
	t.Helper()
	ctx := context.Background()
	arn := "arn:aws:iam::123456789012:policy/vend-revocation/" + role
	p, err := s.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
	if err != nil {
		t.Fatal(err)
	}
	_, es, err := revocation.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("%v in %s", err, doc)
	}
	out := map[string]time.Time{}
	for _, e := range es {
		out[e.SourceIdentity] = e.Before
	}
	return out
}

func TestRevokeRequestEndsGrantAndSessions(t *testing.T) {
	s := revokeStackFor(t)
	ctx := context.Background()
	r := s.granted(t, s.alice)
	if _, err := s.svc.Credentials(ctx, s.alice, tvm.CredentialsRequest{Profile: "prod-admin"}); err != nil {
		t.Fatalf("vend within the grant: %v", err)
	}
	if _, err := s.svc.Revoke(ctx, s.zed, tvm.RevokeInput{RequestID: r.ID}); !errors.Is(err, tvm.ErrRequestNotFound) {
		t.Errorf("a stranger revoking: %v, want request_not_found (and nothing revealed)", err)
	}
	out, err := s.svc.Revoke(ctx, s.bob, tvm.RevokeInput{RequestID: r.ID, Comment: "done early", TraceID: "trace-1"})
	if err != nil {
		t.Fatal(err)
	}
	si := s.svc.SourceIdentity(s.alice)
	want := revocation.Cutoff(s.clk.now())
	if out.SourceIdentity != si || !out.Before.Equal(want) || out.Caller.ARN != s.alice.ARN || len(out.Roles) != 1 || !out.Roles[0].Done ||
		out.Roles[0].PolicyARN != "arn:aws:iam::123456789012:policy/vend-revocation/prod-admin" || len(out.Requests) != 1 || out.Requests[0].Status != wire.StatusRevoked {
		t.Fatalf("Revoke = %+v", out)
	}
	if last := out.Requests[0].Decisions[len(out.Requests[0].Decisions)-1]; last.Action != wire.ActionRevoke || last.By != s.bob.ARN || last.Comment != "done early" {
		t.Errorf("the revocation is not recorded on the request: %+v", last)
	}
	if got := s.revoked(t, "prod-admin"); len(got) != 1 || !got[si].Equal(want) {
		t.Fatalf("prod-admin's revocation policy denies %v; want %s before %s", got, si, want)
	}
	if _, err := s.svc.Credentials(ctx, s.alice, tvm.CredentialsRequest{Profile: "prod-admin"}); !errors.Is(err, tvm.ErrApprovalRequired) {
		t.Errorf("vend after revocation: %v, want approval_required", err)
	}
	if _, err := s.svc.Decide(ctx, s.bob, r.ID, tvm.ActionApprove, "", ""); !errors.Is(err, tvm.ErrRequestClosed) {
		t.Errorf("approving a revoked request: %v", err)
	}
	// Revoking again writes the policy anew: how an incomplete revocation is finished.
	s.clk.advance(time.Minute)
	again, err := s.svc.Revoke(ctx, s.alice, tvm.RevokeInput{RequestID: r.ID})
	if err != nil || len(again.Roles) != 1 || !again.Roles[0].Done {
		t.Fatalf("the requester revoking again: %+v, %v", again, err)
	}
	if got := s.revoked(t, "prod-admin"); !got[si].Equal(again.Before) || !again.Before.After(want) {
		t.Errorf("after revoking again: %v", got)
	}
	// A new approval works again: its sessions are issued after the cutoff.
	s.clk.advance(time.Minute)
	s.granted(t, s.alice)
	if _, err := s.svc.Credentials(ctx, s.alice, tvm.CredentialsRequest{Profile: "prod-admin"}); err != nil {
		t.Errorf("vend after a new approval: %v", err)
	}
}

func TestRevokePendingRequestWithdrawsIt(t *testing.T) {
	s := revokeStackFor(t)
	ctx := context.Background()
	r, err := s.svc.Request(ctx, s.alice, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "INC-9"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.svc.Revoke(ctx, s.alice, tvm.RevokeInput{RequestID: r.ID})
	if err != nil || len(out.Roles) != 0 || out.Requests[0].Status != wire.StatusRevoked {
		t.Fatalf("withdrawing a pending request: %+v, %v", out, err)
	}
	if got := s.revoked(t, "prod-admin"); len(got) != 0 {
		t.Errorf("a request that never granted wrote a revocation: %v", got)
	}
	if _, err := s.svc.Decide(ctx, s.bob, r.ID, tvm.ActionApprove, "", ""); !errors.Is(err, tvm.ErrRequestClosed) {
		t.Errorf("approving a withdrawn request: %v", err)
	}
	rej, err := s.svc.Request(ctx, s.alice, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "INC-10"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Decide(ctx, s.bob, rej.ID, tvm.ActionReject, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{RequestID: rej.ID}); !errors.Is(err, tvm.ErrRequestClosed) {
		t.Errorf("revoking a rejected request: %v", err)
	}
}

func TestRevokeCaller(t *testing.T) {
	s := revokeStackFor(t)
	ctx := context.Background()
	s.granted(t, s.alice)
	if _, err := s.svc.Revoke(ctx, s.bob, tvm.RevokeInput{CallerARN: s.alice.ARN}); !errors.Is(err, tvm.ErrNotRevoker) {
		t.Errorf("an approver revoking a caller: %v, want not_a_revoker", err)
	}
	if _, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{CallerARN: "alice"}); !errors.Is(err, tvm.ErrInvalidCaller) {
		t.Errorf("revoking no ARN: %v", err)
	}
	if _, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{CallerARN: s.alice.ARN, Profile: "nope"}); !errors.Is(err, tvm.ErrUnknownProfile) {
		t.Errorf("revoking on an unknown profile: %v", err)
	}
	// One profile: its role only.
	out, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{CallerARN: s.zed.ARN, Profile: "readonly"})
	if err != nil || len(out.Roles) != 1 || out.Roles[0].RoleARN != "arn:aws:iam::123456789012:role/vend/readonly" || len(out.Requests) != 0 {
		t.Fatalf("revoking zed on readonly: %+v, %v", out, err)
	}
	if got := s.revoked(t, "readonly"); len(got) != 1 || got[s.svc.SourceIdentity(s.zed)].IsZero() {
		t.Errorf("readonly denies %v", got)
	}
	// Every profile: every role, the grants too; a role without a revocation policy is
	// reported, and the rest is done.
	out, err = s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{CallerARN: s.alice.ARN})
	var inc *tvm.RevocationIncompleteError
	if !errors.As(err, &inc) || len(inc.Roles) != 1 || inc.Roles[0] != "arn:aws:iam::123456789012:role/vend/unguarded" {
		t.Fatalf("revoking alice everywhere: %v, want incomplete on unguarded", err)
	}
	if len(out.Roles) != 3 || len(out.Requests) != 1 || out.Requests[0].Status != wire.StatusRevoked {
		t.Fatalf("Revoke = %+v", out)
	}
	for _, r := range out.Roles {
		if r.Done == (r.RoleARN == "arn:aws:iam::123456789012:role/vend/unguarded") {
			t.Errorf("role %s: done %v (%s)", r.RoleARN, r.Done, r.Error)
		}
	}
	si := s.svc.SourceIdentity(s.alice)
	if got := s.revoked(t, "readonly"); len(got) != 2 || got[si].IsZero() {
		t.Errorf("readonly denies %v", got)
	}
	if got := s.revoked(t, "prod-admin"); len(got) != 1 || got[si].IsZero() {
		t.Errorf("prod-admin denies %v", got)
	}
	if _, err := s.svc.Credentials(ctx, s.alice, tvm.CredentialsRequest{Profile: "prod-admin"}); !errors.Is(err, tvm.ErrApprovalRequired) {
		t.Errorf("vend after the caller's revocation: %v", err)
	}
}

// TestRevocationsArePruned: an entry goes once no session it covers can be alive.
func TestRevocationsArePruned(t *testing.T) {
	s := revokeStackFor(t)
	ctx := context.Background()
	if _, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{CallerARN: s.alice.ARN, Profile: "readonly"}); err != nil {
		t.Fatal(err)
	}
	s.clk.advance(revocation.MaxSession)
	if _, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{CallerARN: s.carol.ARN, Profile: "readonly"}); err != nil {
		t.Fatal(err)
	}
	if got := s.revoked(t, "readonly"); len(got) != 2 {
		t.Fatalf("an hour on, both must stay (alice's last sessions may live seconds more): %v", got)
	}
	s.clk.advance(2*revocation.Skew + 2*time.Second) // past the cutoff's rounding, Skew and MaxSession
	if _, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{CallerARN: s.zed.ARN, Profile: "readonly"}); err != nil {
		t.Fatal(err)
	}
	got := s.revoked(t, "readonly")
	if _, ok := got[s.svc.SourceIdentity(s.alice)]; ok || len(got) != 2 {
		t.Fatalf("alice's revocation outlived every session it covered: %v", got)
	}
}

// TestConcurrentRevocationsAllLand: revocations of many callers at once on one role all
// end up in its policy.
func TestConcurrentRevocationsAllLand(t *testing.T) {
	s := revokeStackFor(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	callers := make([]identity.Caller, 6)
	for i := range callers {
		callers[i] = parsed(t, "arn:aws:iam::123456789012:user/dev/user"+string(rune('a'+i)))
		wg.Go(func() {
			if out, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{CallerARN: callers[i].ARN, Profile: "readonly"}); err != nil {
				t.Error(err, out.Roles)
			}
		})
	}
	wg.Wait()
	got := s.revoked(t, "readonly")
	for _, c := range callers {
		if got[s.svc.SourceIdentity(c)].IsZero() {
			t.Errorf("%s's revocation was lost: %v", c.ARN, got)
		}
	}
}

// TestApproveRacingRevoke: the last approval and a revocation at once leave the request
// revoked and no grant, whichever wins.
func TestApproveRacingRevoke(t *testing.T) {
	for range 4 {
		s := revokeStackFor(t)
		ctx := context.Background()
		r, err := s.svc.Request(ctx, s.alice, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "INC-9"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = s.svc.Decide(ctx, s.bob, r.ID, tvm.ActionApprove, "", "") })
		wg.Go(func() {
			if _, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{RequestID: r.ID}); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		rs, err := s.svc.Requests(ctx, s.eve)
		if err != nil || len(rs) != 1 || rs[0].Status != wire.StatusRevoked {
			t.Fatalf("after the race: %+v, %v", rs, err)
		}
		if _, err := s.svc.Credentials(ctx, s.alice, tvm.CredentialsRequest{Profile: "prod-admin"}); !errors.Is(err, tvm.ErrApprovalRequired) {
			t.Fatalf("after the race alice can vend: %v", err)
		}
	}
}

// TestVendInFlightDuringRevocation: a session STS issues while its grant is being
// revoked is dropped, never handed out.
func TestVendInFlightDuringRevocation(t *testing.T) {
	s := revokeStackFor(t)
	ctx := context.Background()
	r := s.granted(t, s.alice)
	s.a.hook = func() {
		s.a.hook = nil
		if _, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{RequestID: r.ID}); err != nil {
			t.Error(err)
		}
	}
	res, err := s.svc.Credentials(ctx, s.alice, tvm.CredentialsRequest{Profile: "prod-admin"})
	if !errors.Is(err, tvm.ErrApprovalRequired) || res.Credentials.AccessKeyID != "" {
		t.Fatalf("a vend whose grant was revoked in flight: %+v, %v", res.Credentials, err)
	}
}

func TestRevokeNeedsItsParts(t *testing.T) {
	p, err := policy.Parse([]byte(revokePolicy))
	if err != nil {
		t.Fatal(err)
	}
	eve := parsed(t, "arn:aws:iam::123456789012:user/security/eve")
	noState, _ := tvm.New(&assumer{}, policystore.Static(p, nil))
	if _, err := noState.Revoke(context.Background(), eve, tvm.RevokeInput{CallerARN: eve.ARN}); !errors.Is(err, tvm.ErrStateUnavailable) {
		t.Errorf("without a state table: %v", err)
	}
	st := store.New(unreachable(), "vend-state")
	noWriter, _ := tvm.New(&assumer{}, policystore.Static(p, nil), tvm.WithState(st))
	if _, err := noWriter.Revoke(context.Background(), eve, tvm.RevokeInput{CallerARN: eve.ARN}); !errors.Is(err, tvm.ErrRevocationUnavailable) {
		t.Errorf("without a policy writer: %v", err)
	}
	down, _ := tvm.New(&assumer{}, policystore.Static(p, nil), tvm.WithState(st), tvm.WithRevocation(st, iampolicy.New(nil)))
	if _, err := down.Revoke(context.Background(), eve, tvm.RevokeInput{RequestID: "req-abcdefghijklmnopqrstuvwxyz"}); !errors.Is(err, tvm.ErrStateUnavailable) {
		t.Errorf("with the table unreachable: %v", err)
	}
}
