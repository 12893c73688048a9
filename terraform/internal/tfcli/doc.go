// Package tfcli runs the terraform command for tests: offline provider installation
// from a filesystem mirror, no checkpoint calls, no prompts, and output bounded by the
// caller's context.
package tfcli
