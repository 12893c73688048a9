// Package localfront is a loopback stand-in for an AWS Lambda Function URL with
// AuthType AWS_IAM. It verifies SigV4 signatures against the secret keys of known
// local identities, builds the payload 2.0 event with requestContext.authorizer.iam
// filled as AWS fills it, invokes the function, and maps the function's answer back
// to HTTP as the Function URL service does.
//
// It exists so that end-to-end tests and local deployments exercise the same signed
// request path the CLI uses against AWS, without AWS. It is not a security boundary
// for anything but loopback test traffic: it listens on loopback addresses only.
package localfront
