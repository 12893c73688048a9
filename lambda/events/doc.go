// Package events publishes the TVM's access-workflow events (wire.Event) to an Amazon
// SNS topic, from where subscribers fan them out to email, chat, SQS or EventBridge.
//
// Each event is one SNS message: the JSON event as the message body, a short subject
// for email subscribers, and a "type" message attribute that subscription filter
// policies can match, for example {"type": ["break_glass"]}.
package events
