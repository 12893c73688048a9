// Package policy groups the `vend policy` commands, which check and try out TVM policy
// files locally with the TVM's own policy engine.
package policy
