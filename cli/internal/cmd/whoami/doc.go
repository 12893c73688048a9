// Package whoami implements `vend whoami`: ask the TVM who it sees calling.
package whoami
