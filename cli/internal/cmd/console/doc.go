// Package console implements `vend console`: sign in to the AWS Management Console with
// a profile's credentials, through the sign-in federation endpoint.
package console
