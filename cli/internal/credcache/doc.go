// Package credcache keeps role credentials from the TVM so that the processes vend
// serves never wait on the network.
//
// Cache is an aws.CredentialsProvider decorator for long-running commands (exec, serve):
// it answers from memory, makes concurrent fetches share one call to the TVM, refreshes
// ahead of expiry in the background and rides out short TVM outages on the credentials
// it already holds. FileCache is a small on-disk cache for credential-process, which the
// AWS CLI starts anew for every command.
package credcache
