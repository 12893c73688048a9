package scpcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// Paths relative to the repository root.
const (
	Dir           = "scp/crosscheck"
	AllowListPath = Dir + "/known-differences.txt"
	workDir       = project.BinDir + "/scpcheck"
)

// ParamsFiles are the parameter sets the cross-check runs the matrix with: the
// commercial partition and GovCloud, as the scp module's own tests do.
var ParamsFiles = []string{"scp/testdata/params.json", "scp/testdata/params-govcloud.json"}

// Modes are the protected-role variants the matrix covers.
var Modes = []string{"enforce", "tag-gated"}

// Run builds vend, installs the pinned simulator, and cross-checks the matrix of every
// parameter set, printing one table per set. It fails on any unexplained disagreement.
func Run(ctx context.Context, r *project.Runner) error {
	if err := r.Step("build vend CLI", func() error { return r.BuildCLI(ctx, r.Stamp(ctx)) }); err != nil {
		return err
	}
	if err := r.Step("install @cloud-copilot/iam-simulate", func() error { return install(ctx, r) }); err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(r.Root, AllowListPath))
	if err != nil {
		return fmt.Errorf("open allow-list: %w", err)
	}
	known, err := ParseAllowList(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", AllowListPath, err)
	}
	// report runs one cross-check as a step that prints its table and fails on any
	// unexplained disagreement.
	report := func(name string, check func() (Report, error)) error {
		return r.Step(name, func() error {
			rep, err := check()
			if err != nil {
				return err
			}
			if err := rep.WriteTable(r.Stdout); err != nil {
				return err
			}
			return rep.Err()
		})
	}
	var errs []error
	for _, params := range ParamsFiles {
		errs = append(errs, report("cross-check "+params, func() (Report, error) { return check(ctx, r, params, known) }))
	}
	errs = append(errs, report("cross-check a scoped session", func() (Report, error) { return checkScope(ctx, r) }))
	errs = append(errs, report("cross-check the revocation document", func() (Report, error) { return checkRevocation(ctx, r) }))
	return errors.Join(errs...)
}

// install runs npm ci unless node_modules already matches the lockfile: npm writes
// node_modules/.package-lock.json on every install, so a copy newer than the lockfile
// is current.
func install(ctx context.Context, r *project.Runner) error {
	lock, err := os.Stat(filepath.Join(r.Root, Dir, "package-lock.json"))
	if err != nil {
		return err
	}
	if hidden, err := os.Stat(filepath.Join(r.Root, Dir, "node_modules", ".package-lock.json")); err == nil && !hidden.ModTime().Before(lock.ModTime()) {
		fmt.Fprintln(r.Stdout, "node_modules is current")
		return nil
	}
	return r.Run(ctx, project.Cmd{Dir: Dir, Args: []string{"npm", "ci", "--no-audit", "--no-fund"}})
}

func check(ctx context.Context, r *project.Runner, params string, known AllowList) (Report, error) {
	vend := r.CLIPath()
	var cases []Case
	if err := outputJSON(ctx, r, &cases, vend, "scp", "simulate", "--params", params, "-o", "json"); err != nil {
		return Report{}, err
	}
	// One question in the management account names the accounts the simulation invents.
	var probe struct {
		Organisation Org `json:"organisation"`
	}
	if err := outputJSON(ctx, r, &probe, vend, "scp", "simulate", "--params", params, "-o", "json",
		"--principal", "arn:aws:iam:::role/probe", "--principal-account", "management",
		"--action", "sts:GetCallerIdentity", "--resource", "*"); err != nil {
		return Report{}, err
	}
	if probe.Organisation.ManagementAccount == "" || probe.Organisation.ExternalAccount == "" {
		return Report{}, errors.New("vend scp simulate did not name the simulated organisation's accounts")
	}
	docs := map[string][]Document{}
	for _, m := range Modes {
		var ds []Document
		if err := outputJSON(ctx, r, &ds, vend, "scp", "render", "--params", params, "--mode", m, "-o", "json"); err != nil {
			return Report{}, err
		}
		docs[m] = ds
	}
	jobs, err := BuildJobs(cases, docs, NewLayout(probe.Organisation, cases))
	if err != nil {
		return Report{}, err
	}
	out, err := simulate(ctx, r, filepath.Base(params), jobs)
	if err != nil {
		return Report{}, err
	}
	return Compare(cases, out, known), nil
}

// checkRevocation runs revocation.Proof through the simulator. No difference is
// allow-listed: the document uses nothing the two evaluators model differently.
func checkRevocation(ctx context.Context, r *project.Runner) (Report, error) {
	cases, jobs, err := RevocationJobs(0)
	if err != nil {
		return Report{}, err
	}
	out, err := simulate(ctx, r, "revocation.json", jobs)
	if err != nil {
		return Report{}, err
	}
	return Compare(cases, out, AllowList{}), nil
}

// checkScope decides sessionpolicy.Proof with vend policy scope-check and with the
// simulator. No difference is allow-listed.
func checkScope(ctx context.Context, r *project.Runner) (Report, error) {
	cases, jobs, err := ScopeJobs(0)
	if err != nil {
		return Report{}, err
	}
	dir := filepath.Join(r.Root, workDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Report{}, err
	}
	p := sessionpolicy.Proof()
	rolePath, scopePath := filepath.Join(dir, "scope-role.json"), filepath.Join(dir, "scope.json")
	if err := errors.Join(os.WriteFile(rolePath, p.Role, 0o644), os.WriteFile(scopePath, p.Scope, 0o644)); err != nil {
		return Report{}, err
	}
	for i, c := range cases {
		// scope-check exits 3 on a deny; its JSON answer is the decision either way.
		s, err := r.Output(ctx, project.Cmd{Args: []string{r.CLIPath(), "policy", "scope-check", "-o", "json",
			"--scope", scopePath, "--role-policy", rolePath, "--role-arn", c.Request.Principal,
			"--action", c.Request.Action, "--resource", c.Request.Resource}, OKExit: []int{3}})
		if err != nil {
			return Report{}, err
		}
		var out struct{ Allowed bool }
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return Report{}, fmt.Errorf("vend policy scope-check: %w", err)
		}
		cases[i].Got = "DENY"
		if out.Allowed {
			cases[i].Got = "ALLOW"
		}
		cases[i].Pass = cases[i].Got == c.Want
	}
	out, err := simulate(ctx, r, "scope.json", jobs)
	if err != nil {
		return Report{}, err
	}
	return Compare(cases, out, AllowList{}), nil
}

// simulate writes jobs to the work directory under name and runs the node script on
// them.
func simulate(ctx context.Context, r *project.Runner, name string, jobs []Job) (Output, error) {
	in, err := json.Marshal(map[string]any{"jobs": jobs})
	if err != nil {
		return Output{}, err
	}
	inPath := filepath.Join(r.Root, workDir, name)
	if err := os.MkdirAll(filepath.Dir(inPath), 0o755); err != nil {
		return Output{}, err
	}
	if err := os.WriteFile(inPath, in, 0o644); err != nil {
		return Output{}, err
	}
	var out Output
	if err := outputJSON(ctx, r, &out, "node", filepath.Join(r.Root, Dir, "crosscheck.mjs"), inPath); err != nil {
		return Output{}, err
	}
	return out, nil
}

func outputJSON(ctx context.Context, r *project.Runner, v any, args ...string) error {
	s, err := r.Output(ctx, project.Cmd{Args: args})
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("%s: decode output: %w", args[0], err)
	}
	return nil
}
