package tvm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vend-tvm/vend/internal/revocation"
	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/lambda/wire"
)

// RevocationStore keeps, per protected role, the revocations its policy must hold
// (package store). PutRevocations is conditional on the version read (0: none yet); a
// lost race is ErrStateConflict.
type RevocationStore interface {
	Revocations(ctx context.Context, roleARN string) ([]revocation.Entry, int, error)
	PutRevocations(ctx context.Context, roleARN string, entries []revocation.Entry, version int) error
}

// PolicyPublisher makes a document the default version of a managed policy (package
// iampolicy).
type PolicyPublisher interface {
	Publish(ctx context.Context, policyARN string, doc []byte) error
}

// WithRevocation lets the service revoke issued sessions: it keeps revocations in rs
// (the state table) and publishes each role's revocation policy through pub.
func WithRevocation(rs RevocationStore, pub PolicyPublisher) Option {
	return func(s *Service) error {
		s.revocations, s.publisher = rs, pub
		return nil
	}
}

// RevokeInput names what to revoke: a request (RequestID), or a caller (CallerARN) on
// every profile's role or on Profile's alone.
type RevokeInput struct {
	RequestID string
	CallerARN string
	Profile   string
	Comment   string
	// TraceID ties the revocation to its decision line and event.
	TraceID string
}

// RevocationIncompleteError names the roles whose revocation policy was not written.
type RevocationIncompleteError struct{ Roles []string }

func (e *RevocationIncompleteError) Error() string {
	return "the revocation policy of " + strings.Join(e.Roles, ", ") + " was not written"
}

// Is makes errors.Is(err, ErrRevocationIncomplete) true.
func (e *RevocationIncompleteError) Is(target error) bool { return target == ErrRevocationIncomplete }

// Revoke ends a caller's access: the grants go (so nothing more is vended on them) and,
// on each role concerned, sessions of the caller's SourceIdentity issued before now (and
// revocation.Skew) are denied by the role's revocation policy, which AWS enforces on
// every call those sessions make.
//
// A request may be revoked by the policy's administrators, by those who may approve it,
// and by its requester; a caller only by administrators. A request already revoked is
// revoked again (its policies written anew), so a revocation that was incomplete is
// finished by making it once more.
func (s *Service) Revoke(ctx context.Context, c identity.Caller, in RevokeInput) (wire.Revocation, error) {
	if err := s.allow(ctx, c); err != nil {
		return wire.Revocation{}, err
	}
	switch {
	case s.state == nil:
		return wire.Revocation{}, fmt.Errorf("%w: no state table is configured", ErrStateUnavailable)
	case s.revocations == nil || s.publisher == nil:
		return wire.Revocation{}, fmt.Errorf("%w: no revocation policy writer is configured", ErrRevocationUnavailable)
	}
	p, err := s.policy(ctx)
	if err != nil {
		return wire.Revocation{}, err
	}
	var (
		target identity.Caller
		roles  []string
		ended  []wire.AccessRequest
	)
	if in.RequestID != "" {
		var r wire.AccessRequest
		if r, err = s.revokeRequest(ctx, p, c, in); err != nil {
			return wire.Revocation{}, err
		}
		ended = append(ended, r)
		if target, err = identity.ParseARN(r.Requester.ARN); err != nil {
			return wire.Revocation{}, fmt.Errorf("%w: the request's requester: %w", ErrInvalidCaller, err)
		}
		if prof, ok := p.Profile(r.Profile); ok && !r.GrantedUntil.IsZero() {
			roles = []string{prof.RoleARN} // a request that never granted issued no session
		}
	} else {
		if !p.IsAdministrator(c.ARN) {
			return wire.Revocation{}, fmt.Errorf("%w: revoking a caller is for the policy's administrators", ErrNotRevoker)
		}
		if target, err = identity.ParseARN(in.CallerARN); err != nil {
			return wire.Revocation{}, fmt.Errorf("%w: %w", ErrInvalidCaller, err)
		}
		if roles, err = profileRoles(p, in.Profile); err != nil {
			return wire.Revocation{}, err
		}
		if ended, err = s.revokeGrants(ctx, p, c, target, in); err != nil {
			return wire.Revocation{}, err
		}
	}
	out := wire.Revocation{
		Caller: target.Wire(), SourceIdentity: s.SourceIdentity(target), Before: revocation.Cutoff(s.now()),
		Roles: []wire.RevokedRole{}, Requests: ended, RequestID: in.TraceID,
	}
	var failed []string
	for _, role := range roles {
		rr := wire.RevokedRole{RoleARN: role}
		rr.PolicyARN, err = revocation.PolicyARN(role)
		if err == nil {
			err = s.revokeOnRole(ctx, role, rr.PolicyARN, revocation.Entry{SourceIdentity: out.SourceIdentity, Before: out.Before})
		}
		rr.Done = err == nil
		if err != nil {
			rr.Error = err.Error()
			failed = append(failed, role)
		}
		out.Roles = append(out.Roles, rr)
	}
	s.publishRevocation(ctx, c, in, out, roles, failed)
	if len(failed) > 0 {
		return out, &RevocationIncompleteError{Roles: failed}
	}
	return out, nil
}

// revokeRequest marks request in.RequestID revoked, which deletes its grant in the same
// transaction, and returns it. Pending requests are withdrawn; approved ones, running or
// ended, are revoked (their sessions may outlive the grant by up to an hour).
func (s *Service) revokeRequest(ctx context.Context, p *policy.Policy, c identity.Caller, in RevokeInput) (wire.AccessRequest, error) {
	for range maxDecideAttempts {
		r, version, err := s.state.Get(ctx, in.RequestID)
		if err != nil {
			return r, err
		}
		if !p.IsAdministrator(c.ARN) && r.Requester.ARN != c.ARN && !s.mayDecide(p, r, c.ARN) {
			// Those who may not revoke it learn nothing about it either.
			return wire.AccessRequest{}, ErrRequestNotFound
		}
		if r.Status == wire.StatusRevoked {
			return r, nil
		}
		if st := Status(r, s.now()); r.Status != wire.StatusApproved && st != wire.StatusPending {
			return r, fmt.Errorf("%w: it is %s and issued no session", ErrRequestClosed, st)
		}
		r.Status = wire.StatusRevoked
		r.Decisions = append(r.Decisions, wire.Decision{By: c.ARN, Action: wire.ActionRevoke, At: s.now().UTC(), Comment: in.Comment})
		err = s.state.Update(ctx, r, version)
		if errors.Is(err, ErrStateConflict) {
			continue
		}
		return r, err
	}
	return wire.AccessRequest{}, fmt.Errorf("%w: %d attempts lost a race", ErrStateUnavailable, maxDecideAttempts)
}

// revokeGrants revokes every approved request of target (for in.Profile, when set).
func (s *Service) revokeGrants(ctx context.Context, p *policy.Policy, c identity.Caller, target identity.Caller, in RevokeInput) ([]wire.AccessRequest, error) {
	all, err := s.state.List(ctx)
	if err != nil {
		return nil, err
	}
	ended := []wire.AccessRequest{}
	for _, r := range all {
		if r.Requester.ARN != target.ARN || in.Profile != "" && r.Profile != in.Profile || Status(r, s.now()) != wire.StatusApproved {
			continue
		}
		one := in
		one.RequestID = r.ID
		r, err := s.revokeRequest(ctx, p, c, one)
		if err != nil {
			return ended, err
		}
		ended = append(ended, r)
	}
	sortNewestFirst(ended)
	return ended, nil
}

// profileRoles lists the roles of profile, or of every profile when it is empty.
func profileRoles(p *policy.Policy, profile string) ([]string, error) {
	if profile != "" {
		prof, ok := p.Profile(profile)
		if !ok {
			return nil, ErrUnknownProfile
		}
		return []string{prof.RoleARN}, nil
	}
	var roles []string
	for _, prof := range p.Profiles() {
		if !slices.Contains(roles, prof.RoleARN) {
			roles = append(roles, prof.RoleARN)
		}
	}
	slices.Sort(roles)
	return roles, nil
}

// maxPublishAttempts bounds the loop that makes a role's policy catch up with its state.
const maxPublishAttempts = 8

// revokeOnRole adds e to the role's revocations, dropping those no session can match any
// more, and publishes the role's policy.
func (s *Service) revokeOnRole(ctx context.Context, role, policyARN string, e revocation.Entry) error {
	if _, err := s.changeRevocations(ctx, role, func(es []revocation.Entry) []revocation.Entry {
		return revocation.Prune(revocation.Add(es, e), s.now())
	}); err != nil {
		return err
	}
	return s.publishRevocations(ctx, role, policyARN)
}

// changeRevocations applies change to the role's revocations in the state table, as a
// conditional write on the version read, and reports whether anything changed.
func (s *Service) changeRevocations(ctx context.Context, role string, change func([]revocation.Entry) []revocation.Entry) (bool, error) {
	for range maxDecideAttempts {
		es, v, err := s.revocations.Revocations(ctx, role)
		if err != nil {
			return false, err
		}
		next := change(es)
		if slices.Equal(next, es) && v > 0 {
			return false, nil
		}
		if _, err := revocation.Document(v+1, next); err != nil {
			return false, fmt.Errorf("%w (revoke the role's sessions in IAM instead: Revoke active sessions)", err)
		}
		err = s.revocations.PutRevocations(ctx, role, next, v)
		if errors.Is(err, ErrStateConflict) {
			continue
		}
		return err == nil, err
	}
	return false, fmt.Errorf("%w: %d attempts lost a race", ErrStateUnavailable, maxDecideAttempts)
}

// publishRevocations publishes the role's policy from its state. Writers race only in
// the table (conditional writes); a publisher reads the version after publishing and
// publishes again if it moved, so the policy a burst of revocations leaves is the
// table's last state: whoever publishes last read a state at least as new as every
// write that finished before its publish did.
func (s *Service) publishRevocations(ctx context.Context, role, policyARN string) error {
	for range maxPublishAttempts {
		es, v, err := s.revocations.Revocations(ctx, role)
		if err != nil {
			return err
		}
		doc, err := revocation.Document(v, es)
		if err != nil {
			return err
		}
		if err := s.publisher.Publish(ctx, policyARN, doc); err != nil {
			return err
		}
		_, now, err := s.revocations.Revocations(ctx, role)
		if err != nil {
			return err
		}
		if now == v {
			return nil
		}
	}
	return fmt.Errorf("the revocations of %s kept changing while they were published", role)
}

// publishRevocation sends the revoked event.
func (s *Service) publishRevocation(ctx context.Context, c identity.Caller, in RevokeInput, out wire.Revocation, roles, failed []string) {
	if s.events == nil {
		return
	}
	e := wire.Event{
		Version: wire.EventVersion, Type: wire.EventRevoked, Time: s.now().UTC(), RequestID: in.TraceID,
		Caller: out.Caller, SourceIdentity: out.SourceIdentity, Profile: in.Profile, Reason: in.Comment,
		By: c.ARN, TVMVersion: s.version, RevokedBefore: out.Before, RoleARNs: roles, Incomplete: failed,
		Status: wire.StatusRevoked,
	}
	if in.RequestID != "" && len(out.Requests) == 1 {
		e.AccessRequestID, e.Profile, e.Rule = out.Requests[0].ID, out.Requests[0].Profile, out.Requests[0].Rule
	}
	if err := s.events.Publish(ctx, e); err != nil && s.onEventError != nil {
		s.onEventError(e.Type, e.AccessRequestID, err)
	}
}

// regrant re-reads the grant a vend used after STS answered: a revocation that deleted
// it meanwhile wrote a cutoff that may fall before the session's issue time, so the
// session is dropped here instead.
func (s *Service) regrant(ctx context.Context, c identity.Caller, d policy.Decision, g Grant) error {
	now, ok, err := s.state.GrantFor(ctx, c.ARN, d.Profile.Name, s.now())
	if err != nil {
		return err
	}
	if !ok || now.RequestID != g.RequestID {
		return &ApprovalRequiredError{Rule: d.Rule, Profile: d.Profile.Name}
	}
	return nil
}
