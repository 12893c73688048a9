// Package awsenv builds the TVM's aws.Config from the environment the Lambda runtime
// sets: the execution role's session in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN, the region in AWS_REGION, and the SDKs' standard endpoint overrides
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>).
//
// The full SDK configuration chain (shared files, SSO, IMDS, credential processes) has
// no source a Lambda function uses, costs 1.4 MB of binary, and would let a stray file or
// variable change where the TVM's credentials come from. A function without these
// variables is misconfigured, and the TVM then fails closed.
package awsenv
