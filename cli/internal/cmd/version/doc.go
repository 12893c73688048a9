// Package version implements `vend version`.
package version
