// Package handler is the TVM's aws-lambda-go adapter. Handler implements lambda.Handler:
// it decodes Lambda Function URL events and API Gateway HTTP API (payload 2.0) events —
// the same shape; API Gateway's stage prefix is stripped from rawPath — checks the
// verified IAM caller, parses and bounds the request, calls the tvm core, maps its errors
// to HTTP status codes and wire error codes, and writes exactly one decision log line
// per request.
//
// Nothing internal reaches the caller: STS messages, Go errors and panics become a fixed
// message per error code, and are logged for operators instead. Secrets (the issued
// secret key and session token) reach only the response body, never a log line.
//
// HEAD is answered 405 like any method other than GET: the routes are not resources a
// client has reason to probe, and a HEAD that ran the policy or STS would be a GET
// without its answer.
package handler
