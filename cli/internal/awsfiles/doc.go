// Package awsfiles inspects the AWS shared config and credentials files for settings of
// the default profile that AWS SDKs consult before container credentials, so that
// vend exec can warn that its child might not use vend's credentials at all.
package awsfiles
