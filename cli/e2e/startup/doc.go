// Package startup measures and pins how fast the built vend binary starts (build tag
// e2e): `vend version` is the floor, and a warm credential-process or exec, answered from
// the disk cache, must stay close to it and never call the TVM.
package startup
