// Package dist holds the logic behind `go tool mage dist`: it decides between a snapshot
// and a release from the tags on HEAD, runs the pinned goreleaser with release notes taken
// from CHANGELOG.md, and verifies what goreleaser produced the way a user meets it:
// checksums that verify, archives that hold the right binary, completions and man pages,
// Lambda zips with an executable bootstrap for their architecture, and a .deb that
// installs with dpkg and runs.
package dist
