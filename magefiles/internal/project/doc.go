// Package project holds the logic behind the Mage targets: which modules the workspace
// has, how the CLI and the Lambda zips are built, and how tests, lint and benchmarks run.
// The magefile only calls into it, so the logic is importable and tested.
package project
