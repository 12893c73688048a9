// Package scp holds vend's organisation guardrails: the SCP and RCP templates that make
// the TVM the only way into protected roles, a renderer that fills them with typed
// parameters exactly as Terraform's templatefile() does, a linter for the mistakes that
// silently open bypasses, and an offline evaluator for the subset of the IAM policy
// language the templates use, with the AWS Organizations rules around it.
//
// The IAM policy simulator cannot evaluate SCPs that use global condition keys such as
// aws:PrincipalArn, so the guarantees are proven here instead: Matrix lists the requests
// that must be allowed and denied, and RunMatrix evaluates them against the rendered
// templates in a modelled organisation. A template change that opens a bypass flips a
// row of the matrix.
//
// The templates live under templates/scp and templates/rcp and are embedded; Terraform
// reads the same files, so there is one source of truth.
package scp
