package handler

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vend-tvm/vend/lambda/policystore"
)

// TestScheduledEventSweeps: EventBridge's scheduled event runs the sweep and logs one
// sweep line, no decision line; an HTTP event, whatever its body or query says, never
// does.
func TestScheduledEventSweeps(t *testing.T) {
	raw, err := os.ReadFile("testdata/scheduled-event.json")
	if err != nil {
		t.Fatal(err)
	}
	var upstream events.EventBridgeEvent
	if err := json.Unmarshal(raw, &upstream); err != nil || upstream.Source != "aws.events" || upstream.DetailType != "Scheduled Event" {
		t.Fatalf("the testdata is not what aws-lambda-go calls a scheduled event: %+v, %v", upstream, err)
	}
	hs := newHarness(t, policystore.Static(mustPolicy(t, testPolicy), nil))
	out, err := hs.h.Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		OK      bool
		Expired int
	}
	if err := json.Unmarshal(out, &res); err != nil || !res.OK {
		t.Fatalf("sweep answered %s (%v)", out, err)
	}
	logs := hs.logs.String()
	if !strings.Contains(logs, `"msg":"sweep"`) || strings.Contains(logs, `"msg":"decision"`) {
		t.Errorf("logs:\n%s", logs)
	}

	for name, payload := range map[string]string{
		"function url":          string(marshal(t, loadEvent(t, "function-url-event.json"))),
		"with a requestContext": strings.Replace(string(raw), `"detail": {}`, `"detail": {}, "requestContext": {}`, 1),
		"another detail type":   strings.Replace(string(raw), "Scheduled Event", "Object Created", 1),
		"another source":        strings.Replace(string(raw), "aws.events", "custom.events", 1),
	} {
		if isScheduled([]byte(payload)) {
			t.Errorf("%s is taken for a scheduled event", name)
		}
	}
	if !isScheduled(raw) {
		t.Error("the scheduled event is not recognised")
	}
}
