//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/wire"
)

// drainEvents returns the events on the queue now, deleting them, so that each test
// sees only its own.
func (s *stack) drainEvents(t *testing.T) []wire.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := sqs.NewFromConfig(s.awsConfig())
	var out []wire.Event
	for {
		got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.eventsQueueURL), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatalf("receive events: %v", err)
		}
		if len(got.Messages) == 0 {
			return out
		}
		for _, m := range got.Messages {
			body := aws.ToString(m.Body)
			s.secretsMu.Lock()
			for _, secret := range s.secrets {
				if strings.Contains(body, secret) {
					t.Errorf("an event holds a secret (%d chars)", len(secret))
				}
			}
			s.secretsMu.Unlock()
			var e wire.Event
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("event is not JSON (raw delivery?): %v: %s", err, body)
			}
			out = append(out, e)
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(s.eventsQueueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("delete event: %v", err)
			}
		}
	}
}

// TestBreakGlass drives a break-glass profile with the real AWS CLI: refused without a
// reason (exit 3, the child never starts, no event), vended with one, and each vend
// publishes one event to the topic, read back from the queue the way a subscriber does,
// naming the caller, the profile, the rule and the reason, and holding no secret.
func TestBreakGlass(t *testing.T) {
	s := needStack(t)
	needTool(t, "aws", "aws", "--version")
	s.drainEvents(t)

	res := s.vend(t, s.alice, nil, "exec", "--no-cache", breakglassProfile, "--", "sh", "-c", "echo started")
	if res.code != status.Denied || strings.Contains(res.stdout, "started") ||
		!strings.Contains(res.stderr, "break-glass") || !strings.Contains(res.stderr, "--reason") || !strings.Contains(res.stderr, "engineers-break-glass") {
		t.Fatalf("without a reason: exit %d\nstdout: %s\nstderr: %s\nwant exit 3, no child, and how to give a reason", res.code, res.stdout, res.stderr)
	}
	if evs := s.drainEvents(t); len(evs) != 0 {
		t.Fatalf("a refused break-glass request published %d events", len(evs))
	}

	const reason = "INC-4711: payments are down, rolling back"
	res = s.vend(t, s.alice, nil, "exec", "--no-cache", "--reason", reason, breakglassProfile, "--",
		"aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	want := "arn:aws:sts::" + accountID + ":assumed-role/demo-admin/" + identity.RoleSessionName(s.alice.caller(t), identity.DefaultPrefix)
	if res.code != 0 || strings.TrimSpace(res.stdout) != want {
		t.Fatalf("with a reason: exit %d, printed %q, want %q\nstderr: %s", res.code, res.stdout, want, res.stderr)
	}

	// export shows the keys, so that the event can be checked against them.
	res = s.vend(t, s.alice, nil, "export", "--no-cache", "-o", "json", "--reason", reason, breakglassProfile)
	var creds map[string]string
	if err := json.Unmarshal([]byte(res.stdout), &creds); res.code != 0 || err != nil {
		t.Fatalf("export: exit %d, %v\n%s", res.code, err, res.stderr)
	}
	s.addSecret(creds["AWS_SECRET_ACCESS_KEY"])
	s.addSecret(creds["AWS_SESSION_TOKEN"])

	evs := s.drainEvents(t)
	if len(evs) != 2 {
		t.Fatalf("%d events for two break-glass vends, want 2: %+v", len(evs), evs)
	}
	for _, e := range evs {
		if e.Type != wire.EventBreakGlass || e.Version != wire.EventVersion || e.Reason != reason || e.Profile != breakglassProfile ||
			e.Rule != "engineers-break-glass" || e.Caller.ARN != s.alice.ARN || e.RoleARN != "arn:aws:iam::"+accountID+":role/vend/demo-admin" ||
			e.SourceIdentity != identity.SourceIdentity(s.alice.caller(t), identity.DefaultPrefix) || e.RequestID == "" || e.TVMVersion != "e2e" {
			t.Errorf("event %+v", e)
		}
		if !strings.Contains(s.decisions.String(), `"request_id":"`+e.RequestID+`"`) {
			t.Errorf("event %s has no decision line", e.RequestID)
		}
	}
	if evs[1].AccessKeyID != creds["AWS_ACCESS_KEY_ID"] {
		t.Errorf("the export's event names key %s, the export got %s", evs[1].AccessKeyID, creds["AWS_ACCESS_KEY_ID"])
	}
	if !strings.Contains(s.decisions.String(), `"justification":"`+reason+`"`) {
		t.Error("no decision line holds the reason")
	}

	// A reason that could rewrite a terminal or a log is refused before any request.
	res = s.vend(t, s.alice, nil, "export", "--reason", "ok\x1b[2J", breakglassProfile)
	if res.code != status.Usage {
		t.Errorf("a reason with an escape: exit %d, want %d\n%s", res.code, status.Usage, res.stderr)
	}
}
