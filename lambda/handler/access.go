package handler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

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

func (h *Handler) revoke(ctx context.Context, c identity.Caller, req Request, rec *record) response {
	rec.accessRequest, rec.justification, rec.profile = req.ID, req.Comment, req.Profile
	out, err := h.svc.Revoke(ctx, c, tvm.RevokeInput{RequestID: req.ID, CallerARN: req.Caller, Profile: req.Profile, Comment: req.Comment, TraceID: rec.requestID})
	rec.sourceIdentity, rec.revokedCaller = out.SourceIdentity, out.Caller.ARN
	if len(out.Requests) == 1 {
		rec.profile, rec.rule = out.Requests[0].Profile, out.Requests[0].Rule
	}
	var inc *tvm.RevocationIncompleteError
	if errors.As(err, &inc) {
		// The answer says which roles are done: the client shows them, and revoking
		// again finishes the rest.
		rec.err = err
		out.RequestID = rec.requestID
		return h.failWith(rec, wire.Error{
			Code:       wire.CodeRevocationIncomplete,
			Message:    "the grants ended, but the revocation policy of " + strings.Join(inc.Roles, ", ") + " was not written, so sessions there may still work; revoke again, and if it keeps failing ask the TVM's operators (see its log for this request ID)",
			Revocation: &out,
		}, retryAfter(time.Second))
	}
	if err != nil {
		return h.coreError(rec, err)
	}
	return h.ok(rec, out, nil)
}

// scheduled is the part of an EventBridge scheduled event that tells one apart. A
// Function URL or API Gateway event never has these fields: the service builds them, and
// a caller cannot add top-level fields to them.
type scheduled struct {
	Source         string          `json:"source"`
	DetailType     string          `json:"detail-type"`
	RequestContext json.RawMessage `json:"requestContext"`
}

// isScheduled reports whether payload is an EventBridge scheduled event (the tvm
// module's sweep schedule) rather than an HTTP request.
func isScheduled(payload []byte) bool {
	var ev scheduled
	return json.Unmarshal(payload, &ev) == nil && ev.Source == "aws.events" && ev.DetailType == "Scheduled Event" && len(ev.RequestContext) == 0
}

// sweep runs the core's sweep and logs one sweep line. It decides nothing about
// access, so it writes no decision line; whoever may invoke the function directly can
// only make it publish expiries and prune revocations early.
func (h *Handler) sweep(ctx context.Context) []byte {
	start := time.Now()
	var res tvm.SweepResult
	var err error
	if h.protect(&record{}, func() { res, err = h.svc.Sweep(ctx) }) {
		err = errors.New("the sweep panicked")
	}
	attrs := []slog.Attr{
		slog.Int("expired", res.Expired), slog.Int("pruned", res.Pruned),
		slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000), slog.String("tvm_version", h.version),
	}
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
		attrs = append(attrs, slog.String("error", truncate(err.Error(), 1024)))
	}
	h.logger.LogAttrs(ctx, level, "sweep", attrs...)
	out, _ := json.Marshal(struct {
		tvm.SweepResult
		OK bool `json:"ok"`
	}{res, err == nil})
	return out
}
