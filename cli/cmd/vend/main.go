// Command vend gets short-lived AWS role credentials from a policy-gated TVM.
package main

import (
	"context"
	"os"

	"github.com/vend-tvm/vend/cli/internal/cmd/root"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
)

func main() {
	os.Exit(root.Main(context.Background(), iostreams.System(), os.Args[1:]))
}
