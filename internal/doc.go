// Package internal is the root of the helpers every module of the vend workspace shares:
// internal/arn (one ARN parser), internal/testkit (moto_server, free ports, locked
// buffers, waiting for a file or URL), internal/tfenv (Terraform's environment and the
// provider mirror). Go's internal rule goes by import path, so every package under
// github.com/vend-tvm/vend/ may import them, whichever module it is in. The module uses
// the standard library only, so importing it never adds a dependency (the policy engine
// still imports neither the AWS SDK nor aws-lambda-go).
package internal
