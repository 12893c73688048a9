// Command tfdocs regenerates the input/output tables in the README of every Terraform
// module and example (between the BEGIN_TF_DOCS/END_TF_DOCS markers).
//
// Usage, from the terraform folder:
//
//	go run ./cmd/tfdocs          # rewrite stale READMEs
//	go run ./cmd/tfdocs -check   # exit 1 when a README is stale
//	go run ./cmd/tfdocs DIR...   # only these module directories
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/vend-tvm/vend/terraform/internal/tfdocs"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tfdocs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "report stale READMEs and exit 1 instead of rewriting them")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dirs := fs.Args()
	if len(dirs) == 0 {
		var err error
		if dirs, err = tfdocs.Dirs("."); err != nil {
			fmt.Fprintf(stderr, "tfdocs: %v (run it from the terraform folder or name the directories)\n", err)
			return 2
		}
	}
	stale := 0
	for _, dir := range dirs {
		changed, err := tfdocs.Update(dir, !*check)
		if err != nil {
			fmt.Fprintf(stderr, "tfdocs: %v\n", err)
			return 2
		}
		if changed {
			stale++
			if *check {
				fmt.Fprintf(stdout, "stale: %s/README.md\n", dir)
			} else {
				fmt.Fprintf(stdout, "updated: %s/README.md\n", dir)
			}
		}
	}
	if *check && stale > 0 {
		fmt.Fprintf(stderr, "tfdocs: %d README(s) stale; run go run ./cmd/tfdocs in the terraform folder\n", stale)
		return 1
	}
	return 0
}
