// Package completion implements `vend completion`: shell completion scripts from cobra.
package completion
