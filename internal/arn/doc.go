// Package arn splits Amazon Resource Names into their six parts and checks each one,
// and checks AWS account IDs and partitions: one parser for every module, so that the
// TVM, the CLI, the guardrail tools and the build agree on what an ARN is.
package arn
