//go:build mage

// Package main holds the vend Mage targets.
package main

// Build builds things.
func Build() error { return nil }
