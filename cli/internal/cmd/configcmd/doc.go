// Package configcmd is `vend config`: writing vend's configuration file.
package configcmd
