// Package exec implements `vend exec`: fetch credentials for a vend profile, serve them
// on a loopback container-credentials endpoint, and run a command that uses them.
package exec
