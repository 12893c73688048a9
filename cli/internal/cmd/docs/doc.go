// Package docs implements the hidden `vend docs` command: generate the CLI reference
// from the cobra command tree, as Hugo pages for the site or as man pages.
package docs
