// Package e2e holds vend's end-to-end tests (build tag e2e, run by `go tool mage test`):
// the built vend binary, the real TVM handler behind the SigV4-verifying loopback Function
// URL front, moto_server as STS and IAM, and the real AWS CLI, boto3, Go SDK v2 and JS SDK
// v3 as clients.
package e2e
