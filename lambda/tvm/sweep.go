package tvm

import (
	"context"
	"errors"
	"fmt"

	"github.com/vend-tvm/vend/internal/revocation"
	"github.com/vend-tvm/vend/lambda/wire"
)

// SweepResult counts what a sweep did.
type SweepResult struct {
	// Expired is how many expiry events were published (lapsed requests, ended grants).
	Expired int `json:"expired"`
	// Pruned is how many roles' revocation policies lost entries no session can match.
	Pruned int `json:"pruned"`
}

// RevokedRoles lists the roles the state table holds revocations for (package store).
type RevokedRoles interface {
	RevokedRoles(ctx context.Context) ([]string, error)
}

// Sweep does what time alone changes, on a schedule (the tvm module invokes the function
// every few minutes): it publishes request_expired for requests that lapsed undecided and
// grant_expired for grants that ended, each once (a conditional write marks it), and
// prunes the revocation policies whose entries no live session can match. It decides
// nothing about access: a request's status is computed from its times whenever it is
// read, with or without a sweep.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	if s.state == nil {
		return res, nil
	}
	all, err := s.state.List(ctx)
	if err != nil {
		return res, err
	}
	var errs []error
	for _, r := range all {
		typ := ""
		switch st := Status(r, s.now()); {
		case st != wire.StatusExpired || !r.ExpiryPublished.IsZero():
			continue
		case r.Status == wire.StatusPending:
			typ = wire.EventRequestExpired
		default:
			typ = wire.EventGrantExpired
		}
		marked, err := s.markExpiry(ctx, r.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if marked != nil {
			s.publish(ctx, typ, *marked, "", "")
			res.Expired++
		}
	}
	if lister, ok := s.revocations.(RevokedRoles); ok && s.publisher != nil {
		roles, err := lister.RevokedRoles(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		for _, role := range roles {
			changed, err := s.changeRevocations(ctx, role, func(es []revocation.Entry) []revocation.Entry { return revocation.Prune(es, s.now()) })
			if err == nil && changed {
				var policyARN string
				if policyARN, err = revocation.PolicyARN(role); err == nil {
					err = s.publishRevocations(ctx, role, policyARN)
				}
				res.Pruned++
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("prune %s: %w", role, err))
			}
		}
	}
	return res, errors.Join(errs...)
}

// markExpiry records that request id's expiry is being published, and returns the
// request when this call marked it (nil when another sweep did, or it changed status).
func (s *Service) markExpiry(ctx context.Context, id string) (*wire.AccessRequest, error) {
	for range maxDecideAttempts {
		r, version, err := s.state.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if Status(r, s.now()) != wire.StatusExpired || !r.ExpiryPublished.IsZero() {
			return nil, nil
		}
		r.ExpiryPublished = s.now().UTC()
		err = s.state.Update(ctx, r, version)
		if errors.Is(err, ErrStateConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		r.Status = wire.StatusExpired
		return &r, nil
	}
	return nil, fmt.Errorf("%w: %d attempts lost a race", ErrStateUnavailable, maxDecideAttempts)
}
