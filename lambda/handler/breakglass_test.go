package handler

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// breakGlassPolicy lets the test event's caller (an Identity Center engineer) have
// prod-admin only as break-glass, and prod-readonly as usual.
const breakGlassPolicy = `version: 1
profiles:
  prod-readonly:
    role_arn: arn:aws:iam::111111111111:role/vend/prod-readonly
  prod-admin:
    role_arn: arn:aws:iam::111111111111:role/vend/prod-admin
rules:
  - name: oncall-break-glass
    effect: allow
    principals: ["arn:aws:sts::*:assumed-role/AWSReservedSSO_Engineer_*/*"]
    profiles: [prod-admin]
    break_glass: true
  - name: engineers-read
    effect: allow
    principals: ["arn:aws:sts::*:assumed-role/AWSReservedSSO_Engineer_*/*"]
    profiles: [prod-readonly]
`

// fakeEvents records what it publishes, or fails as told.
type fakeEvents struct {
	mu  sync.Mutex
	got []wire.Event
	err error
}

func (f *fakeEvents) Publish(_ context.Context, e wire.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.got = append(f.got, e)
	return nil
}

func breakGlassRequest(t *testing.T, hs *harness, profile, reason string) (response, map[string]any) {
	t.Helper()
	q := url.Values{"profile": {profile}}
	if reason != "" {
		q.Set("reason", reason)
	}
	ev := loadEvent(t, "function-url-event.json")
	ev.RawQueryString = q.Encode()
	hs.logs.Reset()
	r := invoke(t, hs.h, marshal(t, ev))
	return r, decisionLine(t, hs.logs.String())
}

func TestBreakGlass(t *testing.T) {
	const reason = "INC-4711: payments down, need to roll back"
	events := &fakeEvents{}
	hs := newHarness(t, policystore.Static(mustPolicy(t, breakGlassPolicy), nil), tvm.WithEvents(events), tvm.WithVersion("v9"))

	t.Run("without a reason", func(t *testing.T) {
		r, line := breakGlassRequest(t, hs, "prod-admin", "")
		var e wire.Error
		_ = json.Unmarshal([]byte(r.Body), &e)
		if r.StatusCode != 403 || e.Code != wire.CodeReasonRequired || e.Rule != "oncall-break-glass" || !strings.Contains(e.Message, "--reason") {
			t.Errorf("got %d %+v, want 403 reason_required naming the rule and --reason", r.StatusCode, e)
		}
		if len(hs.assumer.got) != 0 || len(events.got) != 0 {
			t.Errorf("refused, yet %d AssumeRole calls and %d events", len(hs.assumer.got), len(events.got))
		}
		if line["decision"] != "deny" || line["break_glass"] != true || line["alerted"] != false {
			t.Errorf("decision line %v", line)
		}
	})

	t.Run("with a reason", func(t *testing.T) {
		r, line := breakGlassRequest(t, hs, "prod-admin", reason)
		if r.StatusCode != 200 {
			t.Fatalf("got %d %s", r.StatusCode, r.Body)
		}
		if len(events.got) != 1 {
			t.Fatalf("%d events, want 1", len(events.got))
		}
		e := events.got[0]
		if e.Type != wire.EventBreakGlass || e.Version != wire.EventVersion || e.Reason != reason || e.Profile != "prod-admin" ||
			e.Rule != "oncall-break-glass" || e.RoleARN != "arn:aws:iam::111111111111:role/vend/prod-admin" ||
			!strings.Contains(e.Caller.ARN, "jane.doe@example.com") || e.SourceIdentity == "" || e.RequestID != line["request_id"] ||
			e.AccessKeyID != testKeyID || e.Expiration.IsZero() || e.TVMVersion != "v9" {
			t.Errorf("event %+v", e)
		}
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), testSecret) || strings.Contains(string(b), testToken) {
			t.Errorf("the event holds a secret: %s", b)
		}
		if line["justification"] != reason || line["break_glass"] != true || line["alerted"] != true || line["decision"] != "allow" {
			t.Errorf("decision line %v", line)
		}
		tags := hs.assumer.got[len(hs.assumer.got)-1].Tags
		if !containsTag(tags, tvm.TagBreakGlass, "true") {
			t.Errorf("session tags %v lack %s=true", tags, tvm.TagBreakGlass)
		}
	})

	t.Run("an ordinary rule with a reason", func(t *testing.T) {
		before := len(events.got)
		r, line := breakGlassRequest(t, hs, "prod-readonly", reason)
		if r.StatusCode != 200 || len(events.got) != before {
			t.Errorf("got %d and %d new events, want 200 and none", r.StatusCode, len(events.got)-before)
		}
		if line["justification"] != reason || line["break_glass"] != false || line["alerted"] != false {
			t.Errorf("decision line %v", line)
		}
		if containsTag(hs.assumer.got[len(hs.assumer.got)-1].Tags, tvm.TagBreakGlass, "true") {
			t.Error("an ordinary session carries the break-glass tag")
		}
	})
}

// The alert is what makes break-glass acceptable: when it cannot be raised, nothing is
// vended, whether publishing fails or no topic is configured.
func TestBreakGlassFailsClosedWithoutItsAlert(t *testing.T) {
	for name, opts := range map[string][]tvm.Option{
		"publish fails": {tvm.WithEvents(&fakeEvents{err: errors.New("sns: AuthorizationError")})},
		"no topic":      nil,
	} {
		t.Run(name, func(t *testing.T) {
			hs := newHarness(t, policystore.Static(mustPolicy(t, breakGlassPolicy), nil), opts...)
			r, line := breakGlassRequest(t, hs, "prod-admin", "INC-1")
			var e wire.Error
			_ = json.Unmarshal([]byte(r.Body), &e)
			if r.StatusCode != 503 || e.Code != wire.CodeEventsUnavailable || strings.Contains(r.Body, testKeyID) || r.Headers["Retry-After"] == "" {
				t.Errorf("got %d %s, want 503 events_unavailable with Retry-After and no credentials", r.StatusCode, r.Body)
			}
			if line["alerted"] != false || line["access_key_id"] != "" {
				t.Errorf("decision line %v", line)
			}
		})
	}
}

func TestReasonChecked(t *testing.T) {
	hs := newHarness(t, policystore.Static(mustPolicy(t, breakGlassPolicy), nil), tvm.WithEvents(&fakeEvents{}))
	for name, q := range map[string]string{
		"empty":         "profile=prod-admin&reason=",
		"blank":         "profile=prod-admin&reason=%20%20",
		"newline":       "profile=prod-admin&reason=a%0Ab",
		"escape":        "profile=prod-admin&reason=a%1B%5B2Jb",
		"bidi override": "profile=prod-admin&reason=a%E2%80%AEb",
		"not utf-8":     "profile=prod-admin&reason=%FF",
		"too long":      "profile=prod-admin&reason=" + strings.Repeat("x", wire.MaxReasonBytes+1),
		"given twice":   "profile=prod-admin&reason=a&reason=b",
	} {
		t.Run(name, func(t *testing.T) {
			ev := loadEvent(t, "function-url-event.json")
			ev.RawQueryString = q
			r := invoke(t, hs.h, marshal(t, ev))
			if r.StatusCode != 400 {
				t.Errorf("got %d %s, want 400", r.StatusCode, r.Body)
			}
		})
	}
	if len(hs.assumer.got) != 0 {
		t.Errorf("%d AssumeRole calls for refused reasons", len(hs.assumer.got))
	}
}

func containsTag(tags []tvm.Tag, k, v string) bool {
	for _, t := range tags {
		if t.Key == k && t.Value == v {
			return true
		}
	}
	return false
}
