// Package lint implements `vend scp lint`: check rendered guardrail templates, or any
// SCP and RCP documents, for mistakes that open bypasses or that AWS rejects.
package lint
