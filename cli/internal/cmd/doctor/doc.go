// Package doctor is `vend doctor`: where vend's settings come from, and whether base
// credentials, the TVM and the clock work, one line per check with what to do.
package doctor
