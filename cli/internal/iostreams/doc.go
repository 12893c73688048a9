// Package iostreams carries the standard streams of a command, so that commands never
// touch os.Stdout directly and tests can capture what they print.
package iostreams
