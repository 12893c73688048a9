// Package profiles implements `vend profiles`: list the TVM's profiles and whether the
// caller may use each one now.
package profiles
