package events

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vend-tvm/vend/lambda/wire"
)

type fakeSNS struct {
	in  *sns.PublishInput
	err error
}

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.in = in
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, f.err
}

const topic = "arn:aws:sns:eu-west-1:111111111111:vend-events"

func TestPublish(t *testing.T) {
	f := &fakeSNS{}
	e := wire.Event{Version: 1, Type: wire.EventBreakGlass, Profile: "prod-admin", Reason: "INC-1",
		Caller: wire.Caller{ARN: "arn:aws:sts::1:assumed-role/r/alice", Name: "alice"}}
	if err := NewSNS(f, topic).Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(f.in.TopicArn) != topic || aws.ToString(f.in.Subject) != "vend: break-glass use of prod-admin by alice" {
		t.Errorf("input %+v", f.in)
	}
	if a := f.in.MessageAttributes["type"]; aws.ToString(a.DataType) != "String" || aws.ToString(a.StringValue) != wire.EventBreakGlass {
		t.Errorf("type attribute %+v", a)
	}
	var got wire.Event
	if err := json.Unmarshal([]byte(aws.ToString(f.in.Message)), &got); err != nil || got.Reason != "INC-1" || got.Caller != e.Caller {
		t.Errorf("message %s: %v", aws.ToString(f.in.Message), err)
	}

	f.err = errors.New("AuthorizationError")
	if err := NewSNS(f, topic).Publish(context.Background(), e); err == nil || !strings.Contains(err.Error(), topic) {
		t.Errorf("a failed publish: %v", err)
	}
}

// SNS refuses subjects over 100 characters or with line breaks and non-ASCII text.
func TestSubjectFitsSNS(t *testing.T) {
	for _, name := range []string{"alice", strings.Repeat("ü", 200), "a\nb\x1b[2J", ""} {
		s := Subject(wire.Event{Type: wire.EventBreakGlass, Profile: "p", Caller: wire.Caller{Name: name, ARN: "arn:aws:iam::1:user/x"}})
		if len(s) > 100 {
			t.Errorf("%q: %d bytes", s, len(s))
		}
		for _, r := range s {
			if r < 0x20 || r > 0x7e {
				t.Errorf("%q holds %U", s, r)
			}
		}
	}
}
