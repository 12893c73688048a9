// Package tvmclient talks to the TVM: it signs each request with SigV4 using the caller's
// base AWS credentials, retries what is safe to retry, decodes the wire types and turns
// error responses into *wire.Error. Provider adapts it to aws.CredentialsProvider.
package tvmclient
