package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/vend-tvm/vend/lambda/wire"
)

// API is the part of the SNS client the publisher uses.
type API interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNS publishes events to one topic.
type SNS struct {
	client   API
	topicARN string
}

// NewSNS returns a publisher to topicARN through client.
func NewSNS(client API, topicARN string) *SNS {
	return &SNS{client: client, topicARN: topicARN}
}

// maxSubject is SNS's limit on a subject: 100 characters.
const maxSubject = 100

// Publish sends e. An error means the event was not published.
func (s *SNS) Publish(ctx context.Context, e wire.Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	_, err = s.client.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(s.topicARN),
		Message:  aws.String(string(body)),
		Subject:  aws.String(Subject(e)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"type": {DataType: aws.String("String"), StringValue: aws.String(e.Type)},
		},
	})
	if err != nil {
		return fmt.Errorf("publish %s event to %s: %w", e.Type, s.topicARN, err)
	}
	return nil
}

// Subject is the event's one-line summary, within SNS's limits on a subject: at most
// 100 characters, printable ASCII, no line breaks (other characters become "?").
func Subject(e wire.Event) string {
	who := e.Caller.Name
	if who == "" {
		who = e.Caller.ARN
	}
	var s string
	switch e.Type {
	case wire.EventBreakGlass:
		s = fmt.Sprintf("vend: break-glass use of %s by %s", e.Profile, who)
	default:
		s = fmt.Sprintf("vend: %s for %s by %s", e.Type, e.Profile, who)
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxSubject {
		s = s[:maxSubject-3] + "..."
	}
	return s
}
