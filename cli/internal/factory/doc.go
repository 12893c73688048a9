// Package factory holds the dependencies commands share (streams, environment, global
// flags, configuration, the TVM client) so that tests can replace any of them.
package factory
