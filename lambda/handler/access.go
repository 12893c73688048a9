package handler

import (
	"context"
	"errors"
	"strings"

	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

func (h *Handler) createRequest(ctx context.Context, c identity.Caller, req Request, rec *record) response {
	rec.profile, rec.justification = req.Profile, req.Reason
	r, err := h.svc.Request(ctx, c, tvm.CredentialsRequest{Profile: req.Profile, Duration: req.Duration, Reason: req.Reason, RequestID: rec.requestID})
	rec.accessRequest, rec.rule = r.ID, r.Rule
	if err != nil {
		var rr *tvm.ReasonRequiredError
		if errors.As(err, &rr) {
			rec.err = err
			return h.failWith(rec, wire.Error{Code: wire.CodeReasonRequired, Rule: rr.Rule,
				Message: "a request needs a reason: vend request PROFILE --reason TEXT"}, nil)
		}
		var denied *tvm.DeniedError
		if errors.As(err, &denied) {
			rec.rule = denied.Rule
		}
		return h.coreError(rec, err)
	}
	return h.ok(rec, r, nil)
}

func (h *Handler) listRequests(ctx context.Context, c identity.Caller, rec *record) response {
	rs, err := h.svc.Requests(ctx, c)
	if err != nil {
		return h.coreError(rec, err)
	}
	return h.ok(rec, wire.AccessRequests{Requests: rs, RequestID: rec.requestID}, nil)
}

func (h *Handler) decide(ctx context.Context, c identity.Caller, req Request, action string, rec *record) response {
	rec.accessRequest, rec.justification = req.ID, req.Comment
	r, err := h.svc.Decide(ctx, c, req.ID, action, req.Comment, rec.requestID)
	rec.profile, rec.rule = r.Profile, r.Rule
	if err != nil {
		return h.coreError(rec, err)
	}
	return h.ok(rec, r, nil)
}

// closedWhy is the part of a closed-request error after the sentinel's text.
func closedWhy(err error) string {
	_, why, ok := strings.Cut(err.Error(), tvm.ErrRequestClosed.Error()+": ")
	if !ok {
		return "it was decided, expired or revoked"
	}
	return why
}
