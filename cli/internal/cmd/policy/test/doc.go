// Package test implements `vend policy test`: decide one request against a policy file
// locally and explain every rule's part in the decision.
package test
