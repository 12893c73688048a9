// Package output holds what commands share about printing data: JSON the same way
// everywhere, the -o/--output flag, and the check that a command takes no positional
// arguments.
package output
