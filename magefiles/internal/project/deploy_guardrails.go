package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// checkGuardrails proves, on the deployed organisation, that the guardrails attached
// are byte for byte what `vend scp render` makes of the same parameters, and attached
// where the example says: SCPs to the security and workloads OUs, RCPs to the root. In
// audit mode it checks that nothing is attached.
func (r *Runner) checkGuardrails(ctx context.Context, endpoint string, out LocalOutputs) error {
	g := out.Guardrails
	if g.Mode != "enforce" {
		if len(g.PolicyIDs) > 0 {
			return fmt.Errorf("guardrails in %s mode attached %d policies, want none", g.Mode, len(g.PolicyIDs))
		}
		fmt.Fprintf(r.Stdout, "    guardrails: %s mode, no organisation policy attached\n", g.Mode)
		return nil
	}
	dir := r.path(filepath.Join(StateDir, "guardrails"))
	params := filepath.Join(dir, "params.tfvars.json")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := writePrivate(params, g.Params); err != nil {
		return err
	}
	if err := r.Run(ctx, Cmd{Args: []string{r.CLIPath(), "scp", "render", "--params", params, "--out", dir}}); err != nil {
		return err
	}
	env, err := r.accountEnv(ctx, endpoint, out.Region, out.ManagementAccountID)
	if err != nil {
		return err
	}
	aws := func(args ...string) (string, error) {
		return r.Output(ctx, Cmd{Env: env, Args: append([]string{"aws", "--output", "text"}, args...)})
	}
	names := make([]string, 0, len(g.PolicyIDs))
	for name := range g.PolicyIDs {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) != 5 {
		return fmt.Errorf("guardrails attached %d policies (%s), want 3 SCPs and 2 RCPs", len(names), strings.Join(names, ", "))
	}
	for _, name := range names {
		want, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			return fmt.Errorf("vend scp render wrote no %s: %w", name, err)
		}
		got, err := aws("organizations", "describe-policy", "--policy-id", g.PolicyIDs[name], "--query", "Policy.Content")
		if err != nil {
			return err
		}
		if strings.TrimSpace(got) != strings.TrimSpace(string(want)) {
			return fmt.Errorf("the organisation's %s differs from vend scp render's:\n  attached: %s\n  rendered: %s", name, strings.TrimSpace(got), strings.TrimSpace(string(want)))
		}
		targets, err := aws("organizations", "list-targets-for-policy", "--policy-id", g.PolicyIDs[name], "--query", "Targets[].TargetId")
		if err != nil {
			return err
		}
		wantTargets := g.TargetIDs
		if strings.HasPrefix(name, "rcp-") {
			wantTargets = g.RCPTargetIDs
		}
		gotTargets := strings.Fields(targets)
		slices.Sort(gotTargets)
		wantTargets = slices.Sorted(slices.Values(wantTargets))
		if !slices.Equal(gotTargets, wantTargets) {
			return fmt.Errorf("%s is attached to %v, want %v", name, gotTargets, wantTargets)
		}
	}
	fmt.Fprintf(r.Stdout, "    guardrails: enforce mode, %d policies attached (SCPs to %s, RCPs to %s), each byte for byte vend scp render's\n",
		len(names), strings.Join(g.TargetIDs, " and "), strings.Join(g.RCPTargetIDs, ", "))
	return nil
}
