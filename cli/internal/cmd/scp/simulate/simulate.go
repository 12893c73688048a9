package simulate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/cmd/scp/params"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/internal/arn"
	"github.com/vend-tvm/vend/scp"
)

// SimulateOptions are the dependencies and flags of `vend scp simulate`.
type SimulateOptions struct {
	IO *iostreams.IOStreams
	// RunMatrix evaluates the matrix; tests swap in edited templates.
	RunMatrix func(scp.Params) ([]scp.CaseResult, error)

	Params params.Flags
	Mode   scp.Mode // "" runs the matrix of both modes; a single question defaults to enforce
	Output string

	// Single is set when --principal, --action or --resource asks one question instead
	// of running the matrix.
	Single           bool
	Principal        string
	PrincipalAccount string // management, member, external or an account ID
	Action           string
	Resource         string
	SourceIdentity   string
	ResourceTags     map[string]string
	Context          map[string][]string
}

// Account roles --principal-account accepts besides an account ID.
const (
	AccountManagement = "management"
	AccountMember     = "member"
	AccountExternal   = "external"
)

// NewCmdSimulate returns the simulate command. runF, when set, replaces simulateRun.
func NewCmdSimulate(f *factory.Factory, runF func(*SimulateOptions) error) *cobra.Command {
	opts := &SimulateOptions{IO: f.IOStreams, RunMatrix: scp.RunMatrix}
	var (
		mode    string
		tags    []string
		ctxKeys []string
	)
	cmd := &cobra.Command{
		Use:   "simulate [flags]",
		Short: "Prove offline what the guardrails allow and deny",
		Long: `Evaluate the guardrails, rendered with your parameters, in a modelled organisation:
your accounts in one OU with the SCPs attached, the RCPs at the root, plus three
accounts your parameters do not name: the management account, another member account
and an account outside the organisation. The IAM policy simulator cannot evaluate
SCPs with global condition keys such as aws:PrincipalArn; this can.

Without a question, vend runs the matrix: every path that must stay open (the TVM,
break-glass, the deployer) and every way around the TVM that must be closed. It prints
one row per case and exits 1 when any case is not decided as it should be, by the
statement it should be. --mode limits the matrix to one mode.

With --principal, --action and --resource, vend answers one question: ALLOW or DENY
and the statement that decided. --principal is the role ARN as aws:PrincipalArn holds
it (arn:aws:iam::ACCOUNT:role/PATH/NAME, never the assumed-role session), an IAM user
or root ARN, or a service principal like lambda.amazonaws.com; leave it out for
AssumeRoleWithSAML and AssumeRoleWithWebIdentity. --principal-account puts the
principal in one of the simulated accounts: management, member or external (or an
account ID), replacing the ARN's account. The answer exits 0 on ALLOW and 3 on DENY.`,
		Example: `  vend scp simulate --params guardrails.tfvars.json
  vend scp simulate --params guardrails.tfvars.json --mode tag-gated --json

  # Can an admin of the management account assume a protected role?
  vend scp simulate --params guardrails.tfvars.json \
    --principal arn:aws:iam:::role/Admin --principal-account management \
    --action sts:AssumeRole --resource arn:aws:iam::222222222222:role/vend/reader

  # Can a member account set a vend SourceIdentity?
  vend scp simulate --params guardrails.tfvars.json \
    --principal arn:aws:iam::333333333333:role/Admin --action sts:AssumeRole \
    --resource arn:aws:iam::333333333333:role/app --source-identity vend-alice`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return status.Usagef("simulate takes no arguments, got %q\n\nExample:\n  vend scp simulate --params guardrails.tfvars.json", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if mode != "" {
				m, err := params.ParseMode(mode)
				if err != nil {
					return err
				}
				opts.Mode = m
			}
			opts.Single = fl.Changed("principal") || fl.Changed("action") || fl.Changed("resource")
			if !opts.Single {
				for _, name := range []string{"principal-account", "source-identity", "resource-tag", "context"} {
					if fl.Changed(name) {
						return status.Usagef("--%s describes a single question: give --principal, --action and --resource too", name)
					}
				}
			} else {
				if err := validateQuestion(opts); err != nil {
					return err
				}
				var err error
				if opts.ResourceTags, err = parseTags(tags); err != nil {
					return status.Usagef("%v", err)
				}
				if opts.Context, err = parseContext(ctxKeys); err != nil {
					return status.Usagef("%v", err)
				}
			}
			if !opts.Params.Given() {
				return status.Usagef("%v\n\nExample:\n  vend scp simulate --params guardrails.tfvars.json", params.ErrNone)
			}
			if runF != nil {
				return runF(opts)
			}
			return simulateRun(opts)
		},
	}
	fl := cmd.Flags()
	opts.Params.Register(fl)
	fl.StringVar(&mode, "mode", "", "enforce or tag-gated (default: both for the matrix, enforce for a question)")
	output.Register(fl, &opts.Output, []string{output.FormatText, output.FormatJSON})
	fl.StringVar(&opts.Principal, "principal", "", "caller: role, user or root ARN, or a service principal")
	fl.StringVar(&opts.PrincipalAccount, "principal-account", "", "put --principal in the simulated management, member or external account, or an account ID")
	fl.StringVar(&opts.Action, "action", "", "action, like sts:AssumeRole")
	fl.StringVar(&opts.Resource, "resource", "", "ARN of the resource acted on")
	fl.StringVar(&opts.SourceIdentity, "source-identity", "", "SourceIdentity the request sets (sts:SourceIdentity)")
	fl.StringArrayVar(&tags, "resource-tag", nil, "tag on the resource, KEY=VALUE (repeat)")
	fl.StringArrayVar(&ctxKeys, "context", nil, "extra request context key, KEY=VALUE, like aws:SourceIdentity=vend-alice (repeat)")
	return cmd
}

var federation = []string{"sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"}

// validateQuestion checks what the flags alone can tell; the evaluator judges the ARNs.
func validateQuestion(opts *SimulateOptions) error {
	const example = "\n\nExample:\n  vend scp simulate --params p.json --principal arn:aws:iam::333333333333:role/Admin \\\n    --action sts:AssumeRole --resource arn:aws:iam::222222222222:role/vend/reader"
	if opts.Action == "" || opts.Resource == "" {
		return status.Usagef("a question needs --action and --resource%s", example)
	}
	if opts.Principal == "" && !slices.ContainsFunc(federation, func(a string) bool { return strings.EqualFold(a, opts.Action) }) {
		return status.Usagef("a question needs --principal; only %s are called without one%s", strings.Join(federation, " and "), example)
	}
	if opts.PrincipalAccount != "" {
		switch opts.PrincipalAccount {
		case AccountManagement, AccountMember, AccountExternal:
		default:
			if !arn.ValidAccountID(opts.PrincipalAccount) {
				return status.Usagef("--principal-account %q: use management, member, external or a 12-digit account ID", opts.PrincipalAccount)
			}
		}
		if !strings.HasPrefix(opts.Principal, "arn:") {
			return status.Usagef("--principal-account needs an ARN in --principal, like arn:aws:iam:::role/Admin")
		}
	}
	return nil
}

// parseKV splits KEY=VALUE at the first "="; values may hold "=" themselves.
func parseKV(flag, s string) (key, value string, err error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return "", "", fmt.Errorf("--%s %q: want KEY=VALUE", flag, s)
	}
	return k, v, nil
}

func parseTags(in []string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	for _, s := range in {
		k, v, err := parseKV("resource-tag", s)
		if err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("--resource-tag %q: tag %s given twice; a resource has one value per tag key", s, k)
		}
		out[k] = v
	}
	return out, nil
}

// parseContext collects context keys; a key given twice gets both values, as
// multivalued keys like aws:TagKeys have.
func parseContext(in []string) (map[string][]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := map[string][]string{}
	for _, s := range in {
		k, v, err := parseKV("context", s)
		if err != nil {
			return nil, err
		}
		if !strings.Contains(k, ":") {
			return nil, fmt.Errorf("--context %q: keys are SERVICE:Name, like aws:SourceIdentity", s)
		}
		out[k] = append(out[k], v)
	}
	return out, nil
}

func simulateRun(opts *SimulateOptions) error {
	p, err := opts.Params.Load(opts.IO.In)
	if err != nil {
		return err
	}
	if opts.Single {
		return question(opts, p)
	}
	return matrix(opts, p)
}

// Organisation describes the simulated organisation in the JSON output.
type Organisation struct {
	ID                string `json:"id"`
	ManagementAccount string `json:"management_account"`
	MemberAccount     string `json:"member_account"`
	ExternalAccount   string `json:"external_account"`
}

func organisation(sim scp.Simulation) Organisation {
	return Organisation{ID: sim.Org.ID, ManagementAccount: sim.ManagementAccount, MemberAccount: sim.MemberAccount, ExternalAccount: sim.ExternalAccount}
}

// Statement names one statement in the JSON output.
type Statement struct {
	Policy string   `json:"policy"`
	Kind   scp.Kind `json:"kind"`
	Target string   `json:"target"`
	Index  int      `json:"index"`
	Sid    string   `json:"sid,omitempty"`
}

func statement(r scp.StatementRef) *Statement {
	if r.Policy == "" {
		return nil
	}
	return &Statement{Policy: r.Policy, Kind: r.Kind, Target: r.Target, Index: r.Index, Sid: r.Sid}
}

func statements(rs []scp.StatementRef) []Statement {
	out := make([]Statement, 0, len(rs))
	for _, r := range rs {
		out = append(out, *statement(r))
	}
	return out
}

// Request is the request of the JSON output.
type Request struct {
	Principal    string              `json:"principal"`
	Action       string              `json:"action"`
	Resource     string              `json:"resource"`
	ResourceTags map[string]string   `json:"resource_tags,omitempty"`
	Context      map[string][]string `json:"context,omitempty"`
}

func request(r scp.Request) Request {
	return Request{Principal: r.Principal, Action: r.Action, Resource: r.Resource, ResourceTags: r.ResourceTags, Context: r.Context}
}

// Answer is the JSON output of a single question.
type Answer struct {
	Decision     scp.Decision `json:"decision"`
	DecidedBy    *Statement   `json:"decided_by"`
	Reason       string       `json:"reason"`
	Denies       []Statement  `json:"denies"`
	Exempted     []Statement  `json:"exempted"`
	Mode         scp.Mode     `json:"mode"`
	Request      Request      `json:"request"`
	Organisation Organisation `json:"organisation"`
}

func question(opts *SimulateOptions, p scp.Params) error {
	mode := opts.Mode
	if mode == "" {
		mode = scp.ModeEnforce
	}
	sim, err := scp.NewSimulation(p, mode)
	if err != nil {
		return fmt.Errorf("build the simulated organisation: %w", err)
	}
	principal := opts.Principal
	if opts.PrincipalAccount != "" {
		if principal, err = withAccount(principal, accountFor(sim, opts.PrincipalAccount)); err != nil {
			return &status.UsageError{Err: err}
		}
	}
	ctx := opts.Context
	if opts.SourceIdentity != "" {
		ctx = mergeContext(ctx, "sts:SourceIdentity", opts.SourceIdentity)
	}
	req := scp.Request{Principal: principal, Action: opts.Action, Resource: opts.Resource, ResourceTags: opts.ResourceTags, Context: ctx}
	r := sim.Evaluate(req)
	if r.Err != nil {
		if errors.Is(r.Err, scp.ErrUnsupported) {
			return fmt.Errorf("cannot decide offline: %w", r.Err)
		}
		// Everything else the evaluator refuses is about the question asked.
		return &status.UsageError{Err: r.Err}
	}
	a := Answer{
		Decision: r.Decision, DecidedBy: statement(r.DecidedBy), Reason: r.Reason,
		Denies: statements(r.Denies), Exempted: statements(r.Exempted), Mode: mode,
		Request: request(req), Organisation: organisation(sim),
	}
	text := func() error { return writeAnswer(opts.IO.Out, sim, req, r, mode) }
	return output.Verdict(opts.IO.Out, opts.Output, a, text, r.Decision != scp.Deny)
}

func accountFor(sim scp.Simulation, which string) string {
	switch which {
	case AccountManagement:
		return sim.ManagementAccount
	case AccountMember:
		return sim.MemberAccount
	case AccountExternal:
		return sim.ExternalAccount
	}
	return which
}

// withAccount replaces the account field of an ARN.
func withAccount(principal, account string) (string, error) {
	out, err := arn.WithAccount(principal, account)
	if err != nil {
		return "", fmt.Errorf("--principal %q is not an ARN like arn:aws:iam:::role/Admin", principal)
	}
	return out, nil
}

func mergeContext(ctx map[string][]string, key, value string) map[string][]string {
	out := make(map[string][]string, len(ctx)+1)
	for k, v := range ctx {
		out[k] = v
	}
	out[key] = []string{value}
	return out
}

// accountRole says which part an account plays in the simulated organisation.
func accountRole(sim scp.Simulation, account string) string {
	switch {
	case account == "":
		return ""
	case account == sim.ManagementAccount:
		return "management account"
	case account == sim.MemberAccount:
		return "another member account"
	case sim.Org.Member(account):
		return "member account from the parameters"
	}
	return "outside the organisation"
}

func writeAnswer(w io.Writer, sim scp.Simulation, req scp.Request, r scp.Result, mode scp.Mode) error {
	fmt.Fprintf(w, "%s  %s on %s\n", r.Decision, req.Action, req.Resource)
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	principal := req.Principal
	if principal == "" {
		principal = "(unauthenticated federation call)"
	} else if acct := arn.AccountOf(principal); acct != "" {
		principal += " (" + accountRole(sim, acct) + ")"
	}
	fmt.Fprintf(tw, "  principal:\t%s\n", principal)
	if r.DecidedBy.Policy != "" {
		fmt.Fprintf(tw, "  decided by:\t%s (%s attached to %s)\n", r.DecidedBy, r.DecidedBy.Kind, r.DecidedBy.Target)
	} else {
		fmt.Fprintf(tw, "  decided by:\tno statement\n")
	}
	fmt.Fprintf(tw, "  reason:\t%s\n", r.Reason)
	if len(r.Denies) > 1 {
		fmt.Fprintf(tw, "  denied by:\t%s\n", joinRefs(r.Denies))
	}
	if len(r.Exempted) > 0 {
		fmt.Fprintf(tw, "  exempted by:\t%s\n", joinRefs(r.Exempted))
	}
	fmt.Fprintf(tw, "  mode:\t%s\n", mode)
	fmt.Fprintf(tw, "  organisation:\t%s\n", legend(sim))
	return tw.Flush()
}

func joinRefs(rs []scp.StatementRef) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}

func legend(sim scp.Simulation) string {
	return fmt.Sprintf("%s; simulated accounts: management %s, another member %s, outside %s",
		sim.Org.ID, sim.ManagementAccount, sim.MemberAccount, sim.ExternalAccount)
}

// Row is one matrix case of the JSON output.
type Row struct {
	Case          string       `json:"case"`
	Mode          scp.Mode     `json:"mode"`
	Request       Request      `json:"request"`
	Want          scp.Decision `json:"want"`
	WantDecidedBy string       `json:"want_decided_by"`
	Got           scp.Decision `json:"got"`
	DecidedBy     *Statement   `json:"decided_by"`
	Reason        string       `json:"reason"`
	Error         string       `json:"error,omitempty"`
	Pass          bool         `json:"pass"`
}

func wantRef(c scp.Case) string {
	return scp.StatementRef{Policy: c.WantPolicy, Sid: c.WantSid}.String()
}

func matrix(opts *SimulateOptions, p scp.Params) error {
	results, err := opts.RunMatrix(p)
	if err != nil {
		return fmt.Errorf("run the matrix: %w", err)
	}
	if opts.Mode != "" {
		results = slices.DeleteFunc(results, func(r scp.CaseResult) bool { return r.Case.Mode != opts.Mode })
	}
	failed := 0
	for _, r := range results {
		if !r.Pass {
			failed++
		}
	}
	if opts.Output == output.FormatJSON {
		rows := make([]Row, len(results))
		for i, r := range results {
			rows[i] = Row{
				Case: r.Case.Name, Mode: r.Case.Mode, Request: request(r.Case.Request),
				Want: r.Case.Want, WantDecidedBy: wantRef(r.Case), Got: r.Result.Decision,
				DecidedBy: statement(r.Result.DecidedBy), Reason: r.Result.Reason, Pass: r.Pass,
			}
			if r.Result.Err != nil {
				rows[i].Error = r.Result.Err.Error()
			}
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return err
		}
	} else {
		// The legend explains the account IDs the parameters do not name.
		sim, err := scp.NewSimulation(p, scp.ModeEnforce)
		if err != nil {
			return fmt.Errorf("build the simulated organisation: %w", err)
		}
		if err := writeMatrix(opts.IO.Out, sim, results, failed); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &status.ExitError{Code: status.Error, Err: fmt.Errorf("%d of %d cases are not decided as they should be", failed, len(results))}
	}
	return nil
}

func writeMatrix(w io.Writer, sim scp.Simulation, results []scp.CaseResult, failed int) error {
	fmt.Fprintf(w, "Organisation %s\n\n", legend(sim))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tACTION\tPRINCIPAL\tRESOURCE\tWANT\tGOT\tDECIDED BY")
	for _, r := range results {
		principal := r.Case.Request.Principal
		if principal == "" {
			principal = "(unauthenticated)"
		}
		name := r.Case.Name
		if r.Case.Mode == scp.ModeTagGated {
			name = "[tag-gated] " + name
		}
		got := string(r.Result.Decision)
		if !r.Pass {
			got += " ✗"
		}
		decided := r.Result.DecidedBy.String()
		if decided == "" {
			decided = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, r.Case.Request.Action, principal, r.Case.Request.Resource, r.Case.Want, got, decided)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed == 0 {
		_, err := fmt.Fprintf(w, "\nall %d cases decided as they should be\n", len(results))
		return err
	}
	fmt.Fprintln(w)
	for _, r := range results {
		if r.Pass {
			continue
		}
		fmt.Fprintf(w, "FAIL %s: want %s by %s, got %s by %s: %s\n", r.Case.Name, r.Case.Want, wantRef(r.Case),
			r.Result.Decision, orNone(r.Result.DecidedBy.String()), r.Result.Reason)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no statement"
	}
	return s
}
