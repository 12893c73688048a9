// Package root assembles the vend command tree and is the edge where errors become
// messages on stderr and exit statuses.
package root
