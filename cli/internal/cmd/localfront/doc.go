// Package localfront implements the hidden `vend local-front` command: a SigV4-verifying
// stand-in for a Lambda Function URL, in front of the Lambda Runtime Interface Emulator,
// for local deployments and end-to-end tests.
package localfront
