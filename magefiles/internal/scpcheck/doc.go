// Package scpcheck cross-checks vend's SCP/RCP simulation matrix with an evaluator
// written by someone else, @cloud-copilot/iam-simulate from npm. vend's own evaluator
// and its matrix were written together, so a shared misreading of AWS policy logic
// (a condition operator, a wildcard, a missing key) would pass both; a second,
// independent evaluator catches that.
//
// The package turns each matrix row, as `vend scp simulate -o json` prints it, into a
// simulation for iam-simulate: the request, its context keys, an allow-all identity
// policy, a trust or resource policy allowing the call where AWS needs one, and the
// SCPs and RCPs that apply at the accounts involved, level by level. It then compares
// the two decisions and holds every disagreement against an allow-list of known
// modelling differences, each with its reason.
//
// It reads vend's output and never imports vend's packages, so mage stays fast and the
// build graph one-way.
package scpcheck
