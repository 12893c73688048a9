package tvm_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vend-tvm/vend/internal/revocation"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// recorder keeps the events the core publishes.
type recorder struct {
	mu     sync.Mutex
	events []wire.Event
}

func (r *recorder) Publish(_ context.Context, e wire.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) types() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, e := range r.events {
		out[e.Type]++
	}
	return out
}

func TestSweepPublishesEachExpiryOnce(t *testing.T) {
	ev := &recorder{}
	s := revokeStackFor(t, tvm.WithEvents(ev))
	ctx := context.Background()
	pending, err := s.svc.Request(ctx, s.carol, tvm.CredentialsRequest{Profile: "prod-admin", Reason: "lapses"})
	if err != nil {
		t.Fatal(err)
	}
	granted := s.granted(t, s.alice)
	if res, err := s.svc.Sweep(ctx); err != nil || res.Expired != 0 {
		t.Fatalf("a sweep with nothing expired: %+v, %v", res, err)
	}
	s.clk.advance(2*time.Hour + time.Second) // the grant ends
	if res, err := s.svc.Sweep(ctx); err != nil || res.Expired != 1 {
		t.Fatalf("after the grant: %+v, %v", res, err)
	}
	s.clk.advance(tvm.PendingFor) // the pending request lapses
	var wg sync.WaitGroup
	results := make([]tvm.SweepResult, 3)
	for i := range results { // sweeps at once: each expiry is still published once
		wg.Go(func() {
			var err error
			if results[i], err = s.svc.Sweep(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := results[0].Expired + results[1].Expired + results[2].Expired; n != 1 {
		t.Errorf("concurrent sweeps published %d expiries, want 1", n)
	}
	if got := ev.types(); got[wire.EventGrantExpired] != 1 || got[wire.EventRequestExpired] != 1 {
		t.Errorf("events %v", got)
	}
	for _, e := range ev.events {
		switch e.Type {
		case wire.EventGrantExpired:
			if e.AccessRequestID != granted.ID || e.Status != wire.StatusExpired || e.Caller.ARN != s.alice.ARN {
				t.Errorf("grant_expired %+v", e)
			}
		case wire.EventRequestExpired:
			if e.AccessRequestID != pending.ID || e.Status != wire.StatusExpired || e.Caller.ARN != s.carol.ARN {
				t.Errorf("request_expired %+v", e)
			}
		}
	}
	if res, err := s.svc.Sweep(ctx); err != nil || res.Expired != 0 {
		t.Errorf("a later sweep: %+v, %v", res, err)
	}
}

func TestSweepPrunesRevocations(t *testing.T) {
	s := revokeStackFor(t)
	ctx := context.Background()
	if _, err := s.svc.Revoke(ctx, s.eve, tvm.RevokeInput{CallerARN: s.alice.ARN, Profile: "readonly"}); err != nil {
		t.Fatal(err)
	}
	if res, err := s.svc.Sweep(ctx); err != nil || res.Pruned != 0 || len(s.revoked(t, "readonly")) != 1 {
		t.Fatalf("a sweep within the hour: %+v, %v", res, err)
	}
	s.clk.advance(revocation.MaxSession + 3*revocation.Skew)
	if res, err := s.svc.Sweep(ctx); err != nil || res.Pruned != 1 {
		t.Fatalf("a sweep after the hour: %+v, %v", res, err)
	}
	if got := s.revoked(t, "readonly"); len(got) != 0 {
		t.Errorf("readonly still denies %v", got)
	}
	if res, err := s.svc.Sweep(ctx); err != nil || res.Pruned != 0 {
		t.Errorf("a sweep with nothing to prune: %+v, %v", res, err)
	}
}
