// Package credentialprocess implements `vend credential-process`, the program the AWS
// CLI and SDKs run for a credential_process profile.
package credentialprocess
