package project

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// InCI reports whether the run is in CI, where a missing tool fails the run instead of
// skipping the tests that need it.
func InCI() bool { return os.Getenv("CI") == "true" }

// Tool is an external program a target needs beyond Go.
type Tool struct {
	Name  string   // what to tell the user
	Check []string // a command that exits 0 when the tool works
	Fix   string   // how to get it
}

// Tools are the external programs the targets check for, each described once. A target
// lists the ones it needs by field name, so the order of a list never decides what is
// checked, and a misspelt tool does not compile.
var Tools = struct {
	Terraform, MotoServer, AWSCLI, Boto3, Node, NPM Tool
}{
	Terraform:  Tool{"terraform", []string{"terraform", "version"}, "install Terraform 1.9 or later"},
	MotoServer: Tool{"moto_server", []string{"moto_server", "--help"}, "pip install 'moto[server]==5.2.1'"},
	AWSCLI:     Tool{"the AWS CLI", []string{"aws", "--version"}, "pip install awscli"},
	Boto3:      Tool{"boto3", []string{"python3", "-c", "import boto3"}, "pip install boto3"},
	Node:       Tool{"node", []string{"node", "--version"}, "apt-get install nodejs npm"},
	NPM:        Tool{"npm", []string{"npm", "--version"}, "apt-get install npm"},
}

// MissingTools returns the tools that do not work on this machine.
func (r *Runner) MissingTools(ctx context.Context, tools []Tool) []Tool {
	var missing []Tool
	for _, t := range tools {
		cmd := exec.CommandContext(ctx, t.Check[0], t.Check[1:]...)
		if err := cmd.Run(); err != nil {
			missing = append(missing, t)
		}
	}
	return missing
}

// DescribeMissing says which tools are missing and how to install each.
func DescribeMissing(tools []Tool) string {
	var b strings.Builder
	for _, t := range tools {
		fmt.Fprintf(&b, "  - %s (install: %s)\n", t.Name, t.Fix)
	}
	return b.String()
}
