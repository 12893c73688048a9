// Package access holds the commands of the access workflows: vend request (ask for a
// profile that needs approval), vend requests (list them), vend approve and vend reject.
package access
