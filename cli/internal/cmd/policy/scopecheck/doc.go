// Package scopecheck implements `vend policy scope-check`: whether a scoped session
// could make one request, decided offline with vend's IAM evaluator (package scp) from
// the role's policies and the session policies, so that a scope can be checked before
// it is handed to an agent or a CI job.
package scopecheck
