package policy

import (
	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/cmd/policy/scopecheck"
	policytest "github.com/vend-tvm/vend/cli/internal/cmd/policy/test"
	"github.com/vend-tvm/vend/cli/internal/cmd/policy/validate"
	"github.com/vend-tvm/vend/cli/internal/factory"
)

// NewCmdPolicy returns the policy command group.
func NewCmdPolicy(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy <command>",
		Short: "Validate and test TVM policy files locally",
		Long: `Validate and test TVM policy files on your machine. vend uses the TVM's own policy
engine, so a decision here is the decision the TVM makes.`,
		Example: `  vend policy validate policy.yaml
  vend policy test policy.yaml --principal arn:aws:sts::111111111111:assumed-role/BreakGlass/alice --profile prod-admin
  vend policy scope-check --scope agent-scope.json --action s3:GetObject --resource arn:aws:s3:::reports/agents/x`,
	}
	cmd.AddCommand(validate.NewCmdValidate(f, nil))
	cmd.AddCommand(policytest.NewCmdTest(f, nil))
	cmd.AddCommand(scopecheck.NewCmdScopeCheck(f, nil))
	return cmd
}
