// Package tvm is the core of the token vending machine: given a verified caller and a
// request, it evaluates the policy, picks the session duration, calls AssumeRole and
// returns the credentials, or a typed error saying why not.
//
// It is plain Go: it knows neither Lambda events nor the AWS SDK. Its dependencies are
// small interfaces declared here (Assumer, PolicySource) and a clock, so that the
// handler tests, the benchmarks and the CLI's local server can run it without AWS.
// Only the edge (the handler package) maps its errors to HTTP.
package tvm
