// Package awsfiles reads and copies the AWS shared config and credentials files (and
// boto's file) for the settings of the default profile that AWS SDKs use before
// container credentials: static keys, credential_process, `aws login`, SSO, role_arn,
// web identity. Isolate makes private copies without them, so that a child of vend exec
// or a shell set up by vend serve resolves vend's endpoint first while keeping every
// other setting and the named profiles.
package awsfiles
