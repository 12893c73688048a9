// Package site holds the logic behind the documentation site's Mage targets: it
// generates the reference pages from the code (error codes from lambda/wire, Terraform
// module tables from the module READMEs, the changelog, and the CLI reference from
// `vend docs` once that command exists), builds the Hugo site and its Pagefind index,
// serves it on loopback, tests it in headless Chromium and publishes it to S3.
//
// Like the rest of magefiles it never imports product packages: it parses source files
// and runs commands instead, so the build graph stays one-way.
package site
