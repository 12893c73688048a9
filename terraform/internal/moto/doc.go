// Package moto gives the Terraform apply tests the moto_server that internal/testkit
// starts, under the names they use (Start, Endpoint).
package moto
