// Package scp groups the `vend scp` commands, which render, lint and simulate the
// organisation guardrails (SCPs and RCPs) from the same templates Terraform deploys.
package scp
