// Package status defines the typed errors that commands return and the process exit
// status each maps to. Only the edge (the root command and main) turns them into an exit.
package status
