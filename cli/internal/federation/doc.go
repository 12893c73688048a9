// Package federation signs a role session in to the AWS Management Console: it
// exchanges the session's credentials for a sign-in token at the partition's federation
// endpoint (Action=getSigninToken) and builds the Action=login URL that opens the
// console with them.
//
// vend's sessions are always role-chained (the TVM assumes the role with its own role
// session), and AWS answers 400 to getSigninToken with a SessionDuration for chained
// credentials, so none is ever sent: the console session lasts as long as the
// credentials do, at most an hour.
package federation
