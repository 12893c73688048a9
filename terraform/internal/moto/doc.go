// Package moto starts and stops a moto_server (the local AWS the Terraform apply tests
// run against) on a free 127.0.0.1 port.
package moto
