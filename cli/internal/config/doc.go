// Package config loads vend's configuration file and resolves the settings for one vend
// profile from flags, environment and file, in that order of precedence.
package config
