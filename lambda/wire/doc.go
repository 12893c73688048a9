// Package wire defines what travels between the vend CLI and the TVM: the routes,
// query parameters, headers, response bodies and stable error codes. Both sides import
// it so that they cannot drift apart.
package wire
