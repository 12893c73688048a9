// Package credserver serves role credentials to child processes on a loopback endpoint
// in the container-credentials format that every AWS SDK reads
// (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN or
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE).
//
// The endpoint hands out secrets to anything that can reach it, so it is hardened
// against the other local processes and web pages that can: it binds only to loopback,
// demands a 256-bit token, refuses hosts other than its own (DNS rebinding) and refuses
// anything that looks like a browser request.
package credserver
