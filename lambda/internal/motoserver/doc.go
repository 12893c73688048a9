// Package motoserver starts a moto_server on 127.0.0.1 for tests that talk to a real
// (emulated) AWS API: STS, IAM and SSM. It is test support only.
package motoserver
