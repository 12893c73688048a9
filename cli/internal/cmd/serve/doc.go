// Package serve implements `vend serve`: the loopback credentials endpoint of exec,
// standalone, for processes vend does not start.
package serve
