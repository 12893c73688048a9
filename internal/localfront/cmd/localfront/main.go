// Command localfront serves a SigV4-verifying stand-in for a Lambda Function URL in
// front of the Lambda Runtime Interface Emulator, for vend's local deploy and tests. It
// is built by `go tool mage build` into bin/localfront and never ships in vend.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/vend-tvm/vend/internal/localfront"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := localfront.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
