// Package tfdocs generates the input, output and requirement tables of the Terraform
// modules' and examples' README files, in the style of terraform-docs, from the .tf
// sources. The tables live between BeginMarker and EndMarker so that the rest of a
// README stays hand-written; a test fails when a table is stale.
package tfdocs
