// Package export implements `vend export`: print a profile's credentials as shell
// variable assignments, for tools that cannot use a credentials endpoint.
package export
