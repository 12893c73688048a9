// Package assume is the TVM's STS adapter: it implements tvm.Assumer with
// aws-sdk-go-v2's sts.AssumeRole and turns STS failures into the core's error kinds
// (throttled, trust refused, other STS error), keeping STS's own text out of anything
// the caller sees.
//
// Build one client per container with NewClient, in main: it pins the retry policy
// (standard retryer, 3 attempts) and a short per-attempt timeout, so that a slow STS
// cannot eat the Lambda's whole time budget. The SDK resolves the regional STS endpoint
// from AWS_REGION and honours AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL, which is how the
// tests point it at moto_server.
package assume
