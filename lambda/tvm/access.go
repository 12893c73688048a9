package tvm

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/lambda/wire"
)

// StateStore keeps access requests and grants (package store, on DynamoDB). Changes are
// conditional on the version read: a lost race is ErrStateConflict.
type StateStore interface {
	Create(ctx context.Context, r wire.AccessRequest) error
	Get(ctx context.Context, id string) (wire.AccessRequest, int, error)
	Update(ctx context.Context, r wire.AccessRequest, version int) error
	List(ctx context.Context) ([]wire.AccessRequest, error)
	GrantFor(ctx context.Context, caller, profile string, now time.Time) (Grant, bool, error)
}

// Grant is what an approved request lets its requester do: vend the profile until Until.
type Grant struct {
	RequestID string
	Until     time.Time
}

// WithState sets the state store. Without one, a rule that needs approval vends nothing
// and the request routes answer state_unavailable.
func WithState(st StateStore) Option {
	return func(s *Service) error {
		s.state = st
		return nil
	}
}

// PendingFor is how long a request waits for its approvals before it lapses.
const PendingFor = 24 * time.Hour

// maxDecideAttempts bounds the read-decide-write loop under contention.
const maxDecideAttempts = 8

// Request files a request for req.Profile: the policy must allow the caller the profile
// with a rule that needs approval. req.Duration, when set, asks for a grant shorter than
// the rule's; req.Reason is required.
func (s *Service) Request(ctx context.Context, c identity.Caller, req CredentialsRequest) (wire.AccessRequest, error) {
	if err := s.allow(ctx, c); err != nil {
		return wire.AccessRequest{}, err
	}
	d, err := s.decide(ctx, c.Wire(), req.Profile)
	if err != nil {
		return wire.AccessRequest{}, err
	}
	if d.Approval == nil {
		return wire.AccessRequest{}, fmt.Errorf("%w: rule %s lets the caller vend %s now", ErrApprovalNotNeeded, d.Rule, req.Profile)
	}
	if req.Reason == "" {
		return wire.AccessRequest{}, &ReasonRequiredError{Rule: d.Rule}
	}
	grant := d.Approval.Grant
	if req.Duration != "" {
		secs, err := parseGrantSeconds(req.Duration, grant)
		if err != nil {
			return wire.AccessRequest{}, err
		}
		grant = time.Duration(secs) * time.Second
	}
	if s.state == nil {
		return wire.AccessRequest{}, fmt.Errorf("%w: no state table is configured", ErrStateUnavailable)
	}
	now := s.now().UTC()
	r := wire.AccessRequest{
		ID: newRequestID(), Status: wire.StatusPending, Requester: c.Wire(), Profile: req.Profile,
		Rule: d.Rule, Reason: req.Reason, CreatedAt: now, ExpiresAt: now.Add(PendingFor),
		Approvals: d.Approval.Count, GrantSeconds: int(grant / time.Second), Decisions: []wire.Decision{},
	}
	if err := s.state.Create(ctx, r); err != nil {
		return wire.AccessRequest{}, err
	}
	s.publish(ctx, wire.EventRequestCreated, r, req.RequestID, "")
	return r, nil
}

// parseGrantSeconds reads a requested grant length in seconds: at least 900, at most the
// rule's grant.
func parseGrantSeconds(raw string, max time.Duration) (int, error) {
	n, err := strconv.Atoi(raw)
	if err != nil || strconv.Itoa(n) != raw || n < minRequestSeconds || time.Duration(n)*time.Second > max {
		return 0, fmt.Errorf("%w: a grant of %q seconds; want 900 to %d", ErrInvalidDuration, raw, int(max/time.Second))
	}
	return n, nil
}

// newRequestID is "req-" and 26 random base32 characters (130 bits).
func newRequestID() string { return "req-" + strings.ToLower(rand.Text()) }

// ValidRequestID reports whether id has the shape newRequestID gives.
func ValidRequestID(id string) bool {
	rest, ok := strings.CutPrefix(id, "req-")
	if !ok || len(rest) != 26 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}

// decide evaluates the policy for a caller as the request recorded it.
func (s *Service) decide(ctx context.Context, c wire.Caller, profile string) (policy.Decision, error) {
	p, err := s.policy(ctx)
	if err != nil {
		return policy.Decision{}, err
	}
	d := p.Evaluate(policy.Request{PrincipalARN: c.ARN, AccountID: c.AccountID, OrgID: c.OrgID, Profile: profile, Time: s.now()})
	switch {
	case d.UnknownProfile:
		return d, ErrUnknownProfile
	case !d.Allowed:
		return d, &DeniedError{Rule: d.Rule, Reason: d.Reason}
	}
	return d, nil
}

// Requests lists the requests the caller made, may decide now, or, for the policy's
// administrators, all of them; newest first.
func (s *Service) Requests(ctx context.Context, c identity.Caller) ([]wire.AccessRequest, error) {
	if err := s.allow(ctx, c); err != nil {
		return nil, err
	}
	if s.state == nil {
		return nil, fmt.Errorf("%w: no state table is configured", ErrStateUnavailable)
	}
	p, err := s.policy(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.state.List(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	admin := p.IsAdministrator(c.ARN)
	out := []wire.AccessRequest{}
	for _, r := range all {
		r.Status = Status(r, now)
		if admin || r.Requester.ARN == c.ARN || s.mayDecide(p, r, c.ARN) {
			out = append(out, r)
		}
	}
	sortNewestFirst(out)
	return out, nil
}

func sortNewestFirst(rs []wire.AccessRequest) {
	slices.SortStableFunc(rs, func(a, b wire.AccessRequest) int { return b.CreatedAt.Compare(a.CreatedAt) })
}

// mayDecide reports whether approver may approve r under the policy now.
func (s *Service) mayDecide(p *policy.Policy, r wire.AccessRequest, approver string) bool {
	d := p.Evaluate(policy.Request{PrincipalARN: r.Requester.ARN, AccountID: r.Requester.AccountID, OrgID: r.Requester.OrgID, Profile: r.Profile, Time: s.now()})
	return d.Allowed && d.Approval.MayApprove(r.Requester.ARN, approver)
}

// Status is r's status at now: pending past ExpiresAt, and approved past the grant's
// end, are expired.
func Status(r wire.AccessRequest, now time.Time) string {
	switch {
	case r.Status == wire.StatusPending && !now.Before(r.ExpiresAt):
		return wire.StatusExpired
	case r.Status == wire.StatusApproved && !now.Before(r.GrantedUntil):
		return wire.StatusExpired
	}
	return r.Status
}

// The decisions an approver can make.
const (
	ActionApprove = wire.ActionApprove
	ActionReject  = wire.ActionReject
)

// Decide approves or rejects request id as caller c. The policy is evaluated again for
// the requester now: the request must still be allowed by a rule that needs approval,
// and c must match its approvers and not be the requester. Approval that reaches the
// rule's count approves the request and starts its grant. Every write is conditional on
// what was read; a lost race reads again and decides on what the winner wrote.
func (s *Service) Decide(ctx context.Context, c identity.Caller, id, action, comment, requestID string) (wire.AccessRequest, error) {
	if err := s.allow(ctx, c); err != nil {
		return wire.AccessRequest{}, err
	}
	if s.state == nil {
		return wire.AccessRequest{}, fmt.Errorf("%w: no state table is configured", ErrStateUnavailable)
	}
	for range maxDecideAttempts {
		r, version, err := s.state.Get(ctx, id)
		if err != nil {
			return wire.AccessRequest{}, err
		}
		now := s.now().UTC()
		if st := Status(r, now); st != wire.StatusPending {
			return r, fmt.Errorf("%w: it is %s", ErrRequestClosed, st)
		}
		if samePerson(r.Requester.ARN, c) {
			return r, ErrSelfApproval
		}
		p, err := s.policy(ctx)
		if err != nil {
			return r, err
		}
		d := p.Evaluate(policy.Request{PrincipalARN: r.Requester.ARN, AccountID: r.Requester.AccountID, OrgID: r.Requester.OrgID, Profile: r.Profile, Time: now})
		if !d.Allowed || d.Approval == nil {
			return r, fmt.Errorf("%w: the policy no longer lets the requester have %s with approval (rule %s)", ErrRequestClosed, r.Profile, d.Rule)
		}
		if !d.Approval.MayApprove(r.Requester.ARN, c.ARN) {
			return r, ErrNotApprover
		}
		for _, dec := range r.Decisions {
			if d, err := identity.ParseARN(dec.By); err == nil && samePerson(c.ARN, d) || dec.By == c.ARN {
				return r, ErrAlreadyDecided
			}
		}
		r.Decisions = append(r.Decisions, wire.Decision{By: c.ARN, Action: action, At: now, Comment: comment})
		event := wire.EventRequestApproved
		switch {
		case action == ActionReject:
			r.Status, event = wire.StatusRejected, wire.EventRequestRejected
		case r.ApprovalsGiven() >= r.Approvals:
			r.Status = wire.StatusApproved
			r.GrantedUntil = now.Add(time.Duration(r.GrantSeconds) * time.Second)
			event = wire.EventGrantStarted
		}
		err = s.state.Update(ctx, r, version)
		if errors.Is(err, ErrStateConflict) {
			continue
		}
		if err != nil {
			return r, err
		}
		s.publish(ctx, event, r, requestID, c.ARN)
		return r, nil
	}
	return wire.AccessRequest{}, fmt.Errorf("%w: %d attempts lost a race", ErrStateUnavailable, maxDecideAttempts)
}

// personKey is what tells people apart among callers, using only what a caller cannot
// choose: the session name of a role session is chosen by whoever assumes the role, so
// sessions of one role are one person here, as a federated user's name is chosen by
// the IAM user who asks for it, so an account's federated users are one; Identity
// Center names its sessions after the person (and vend names them so too, see
// identity), and IAM users and the root user cannot vary their ARN.
func personKey(c identity.Caller) string {
	switch c.Type {
	case identity.TypeAssumedRole, identity.TypeFederatedUser:
		return rateKey(c)
	default:
		return c.ARN
	}
}

// samePerson reports whether arn (a requester or an earlier approver) and c may be one
// person: then c's decision neither approves arn's request nor counts twice.
func samePerson(arn string, c identity.Caller) bool {
	if arn == c.ARN {
		return true
	}
	other, err := identity.ParseARN(arn)
	if err != nil {
		return true // unknowable: refuse rather than count
	}
	return personKey(other) == personKey(c)
}

// grant checks the caller's grant for a profile whose rule needs approval, and returns
// when it ends.
func (s *Service) grant(ctx context.Context, c identity.Caller, d policy.Decision) (Grant, error) {
	if s.state == nil {
		return Grant{}, fmt.Errorf("%w: rule %s needs approval and no state table is configured", ErrStateUnavailable, d.Rule)
	}
	g, ok, err := s.state.GrantFor(ctx, c.ARN, d.Profile.Name, s.now())
	if err != nil {
		return Grant{}, err
	}
	if !ok {
		return Grant{}, &ApprovalRequiredError{Rule: d.Rule, Profile: d.Profile.Name}
	}
	return g, nil
}

// ApprovalRequiredError names the rule that needs approval.
type ApprovalRequiredError struct{ Rule, Profile string }

func (e *ApprovalRequiredError) Error() string {
	return "rule " + e.Rule + " needs an approved request for " + e.Profile
}

// Is makes errors.Is(err, ErrApprovalRequired) true.
func (e *ApprovalRequiredError) Is(target error) bool { return target == ErrApprovalRequired }

// publish sends an access-workflow event. State is the record: an event that cannot be
// published is logged by the caller of the events publisher, not a reason to undo it.
func (s *Service) publish(ctx context.Context, typ string, r wire.AccessRequest, requestID, by string) {
	if s.events == nil {
		return
	}
	e := wire.Event{
		Version: wire.EventVersion, Type: typ, Time: s.now().UTC(), RequestID: requestID,
		Caller: r.Requester, Profile: r.Profile, Rule: r.Rule, Reason: r.Reason,
		AccessRequestID: r.ID, Status: r.Status, By: by, TVMVersion: s.version,
	}
	if !r.GrantedUntil.IsZero() {
		e.Expiration = r.GrantedUntil
	}
	if err := s.events.Publish(ctx, e); err != nil && s.onEventError != nil {
		s.onEventError(typ, r.ID, err)
	}
}
