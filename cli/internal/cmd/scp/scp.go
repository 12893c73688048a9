package scp

import (
	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/cmd/scp/lint"
	"github.com/vend-tvm/vend/cli/internal/cmd/scp/render"
	"github.com/vend-tvm/vend/cli/internal/cmd/scp/simulate"
	"github.com/vend-tvm/vend/cli/internal/factory"
)

// NewCmdSCP returns the scp command group.
func NewCmdSCP(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scp <command>",
		Short: "Render, lint and simulate the organisation guardrails (SCPs and RCPs)",
		Long: `Work with the SCPs and RCPs that make the TVM the only way into protected roles. vend
renders the same templates Terraform's org-guardrails module deploys, so what you lint
and simulate here is what AWS Organizations gets.

Every command takes the module's parameters from --params FILE (JSON with the
Terraform variable names, such as a terraform.tfvars.json) and from flags, which win
over the file.`,
		Example: `  vend scp render --params guardrails.tfvars.json --out build/policies
  vend scp lint --params guardrails.tfvars.json
  vend scp simulate --params guardrails.tfvars.json`,
	}
	cmd.AddCommand(render.NewCmdRender(f, nil))
	cmd.AddCommand(lint.NewCmdLint(f, nil))
	cmd.AddCommand(simulate.NewCmdSimulate(f, nil))
	return cmd
}
