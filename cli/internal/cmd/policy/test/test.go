package test

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/lambda/wire"
)

// TestOptions are the dependencies and flags of `vend policy test`.
type TestOptions struct {
	IO  *iostreams.IOStreams
	Now func() time.Time

	File      string
	Principal string
	Profile   string
	AccountID string
	OrgID     string
	At        time.Time // zero: now
	Output    string
	// Scope is the caller's scope to test with (--scope, --scope-arn).
	Scope sessionpolicy.Scope
}

// NewCmdTest returns the test command. runF, when set, replaces testRun.
func NewCmdTest(f *factory.Factory, runF func(*TestOptions) error) *cobra.Command {
	opts := &TestOptions{IO: f.IOStreams, Now: f.Now}
	var at string
	cmd := &cobra.Command{
		Use:   "test FILE --principal ARN --profile NAME [flags]",
		Short: "Decide one request against a policy file and explain why",
		Long: `Decide whether the caller --principal may have --profile under the policy in FILE,
exactly as the TVM would, and show for every rule whether it matched and, if not, the
first condition that failed. The account defaults to the one in the ARN; give
--org-id when rules test organisation IDs, and --at to try another moment.

It also shows the session policies the TVM would pass: the profile's own, or the
caller's scope given with --scope and --scope-arn. A rule with require_scope refuses a
caller without a scope, and a profile with session policies of its own refuses a
caller's scope; both are shown as the TVM's refusal. What a scope lets the session do
is vend policy scope-check's answer.

vend prints ALLOW or DENY, the deciding rule and its reason, and exits 0 on allow and
3 on deny.`,
		Example: `  vend policy test policy.yaml \
    --principal arn:aws:sts::444444444444:assumed-role/github-actions-deploy/run-42 \
    --profile prod-deploy --at 2025-06-07T10:00:00+02:00

  vend policy test policy.yaml --principal arn:aws:iam::333333333333:user/scanner \
    --profile prod-readonly --org-id o-abc123def4 -o json

  # An agent's request with the scope it will send
  vend policy test policy.yaml --principal arn:aws:sts::444444444444:assumed-role/agent/run-7 \
    --profile data --scope agent-scope.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return status.Usagef("test takes one policy file\n\nExample:\n  vend policy test policy.yaml --principal ARN --profile NAME")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.Principal == "" || opts.Profile == "" {
				return status.Usagef("--principal and --profile are required\n\nExample:\n  vend policy test %s --principal arn:aws:sts::111111111111:assumed-role/Role/alice --profile NAME", opts.File)
			}
			acct, err := accountOf(opts.Principal)
			if err != nil {
				return status.Usagef("%v", err)
			}
			if opts.AccountID == "" {
				opts.AccountID = acct
			}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return status.Usagef("invalid --at %q: use RFC 3339, like 2025-06-07T10:00:00Z", at)
				}
				opts.At = t
			}
			if runF != nil {
				return runF(opts)
			}
			return testRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Principal, "principal", "", "caller ARN, as the TVM sees it (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION)")
	cmd.Flags().StringVar(&opts.Profile, "profile", "", "vend profile requested")
	cmd.Flags().StringVar(&opts.AccountID, "account", "", "caller account ID (default: the ARN's)")
	cmd.Flags().StringVar(&opts.OrgID, "org-id", "", "caller's organisation ID (default: none)")
	cmd.Flags().StringVar(&at, "at", "", "time of the request, RFC 3339 (default: now)")
	factory.RegisterScope(cmd.Flags(), &opts.Scope)
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

// accountOf checks the principal the way the TVM checks a caller's ARN, so that a test
// never answers for a caller the TVM would refuse, and returns its account.
func accountOf(arn string) (string, error) {
	c, err := identity.ParseARN(arn)
	if err != nil {
		return "", fmt.Errorf("--principal %q: %v; want an ARN like arn:aws:sts::111111111111:assumed-role/Role/alice", arn, err)
	}
	return c.AccountID, nil
}

// Result is the JSON output.
type Result struct {
	Allowed        bool         `json:"allowed"`
	Effect         string       `json:"effect"`
	Rule           string       `json:"rule"`
	Reason         string       `json:"reason"`
	Profile        string       `json:"profile"`
	RoleARN        string       `json:"role_arn,omitempty"`
	UnknownProfile bool         `json:"unknown_profile"`
	PolicyHash     string       `json:"policy_hash"`
	BreakGlass     bool         `json:"break_glass"`
	Approval       *Approval    `json:"approval,omitempty"`
	Session        *Session     `json:"session,omitempty"`
	Principal      string       `json:"principal"`
	AccountID      string       `json:"account_id"`
	OrgID          string       `json:"org_id,omitempty"`
	At             time.Time    `json:"at"`
	Rules          []RuleResult `json:"rules"`
}

// Approval is what the deciding rule needs before it vends.
type Approval struct {
	Approvers    []string `json:"approvers"`
	Approvals    int      `json:"approvals"`
	GrantSeconds int      `json:"grant_seconds"`
}

// Session is what the session policies of an allowed request would be.
type Session struct {
	// Source is whose session policies the TVM passes: profile, caller, or "" (none).
	Source string   `json:"source"`
	SHA256 string   `json:"sha256,omitempty"`
	ARNs   []string `json:"arns,omitempty"`
	// ScopeRequired says the deciding rule needs the caller's scope.
	ScopeRequired bool `json:"scope_required"`
	// Refused is the TVM's error code when it would refuse for the scope
	// (scope_required, invalid_scope), with Detail saying why.
	Refused string `json:"refused,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// session is what the TVM makes of the request's scope once the policy allowed it.
func session(d policy.Decision, scope sessionpolicy.Scope) *Session {
	if !d.Allowed {
		return nil
	}
	s := &Session{ScopeRequired: d.RequireScope}
	ses, err := d.Session(scope)
	switch {
	case errors.Is(err, policy.ErrScopeRequired):
		s.Refused, s.Detail = wire.CodeScopeRequired, err.Error()
	case err != nil:
		s.Refused, s.Detail = wire.CodeInvalidScope, err.Error()
	case ses.Source != "":
		s.Source, s.SHA256, s.ARNs = ses.Source, ses.Scope.SHA256(), ses.Scope.ARNs
	}
	return s
}

// RuleResult is one rule's part in the decision.
type RuleResult struct {
	Rule    string `json:"rule"`
	Effect  string `json:"effect"`
	Line    int    `json:"line"`
	Matched bool   `json:"matched"`
	Decided bool   `json:"decided"`
	Detail  string `json:"detail"`
}

func testRun(opts *TestOptions) error {
	p, err := policy.ParseFile(opts.File)
	if err != nil {
		return fmt.Errorf("%w\nrun vend policy validate %s to see every problem", err, opts.File)
	}
	at := opts.At
	if at.IsZero() {
		at = opts.Now()
	}
	req := policy.Request{
		PrincipalARN: opts.Principal, AccountID: opts.AccountID, OrgID: opts.OrgID,
		Profile: opts.Profile, Time: at,
	}
	d := p.Evaluate(req)
	res := Result{
		Allowed: d.Allowed, Effect: string(d.Effect), Rule: d.Rule, Reason: d.Reason,
		Profile: opts.Profile, RoleARN: d.Profile.RoleARN, UnknownProfile: d.UnknownProfile,
		PolicyHash: d.PolicyHash, BreakGlass: d.BreakGlass, Principal: opts.Principal, AccountID: opts.AccountID,
		OrgID: opts.OrgID, At: at, Rules: []RuleResult{},
	}
	if a := d.Approval; a != nil {
		res.Approval = &Approval{Approvers: a.Approvers, Approvals: a.Count, GrantSeconds: int(a.Grant / time.Second)}
	}
	if err := opts.Scope.Validate(); err != nil {
		return status.Usagef("--scope/--scope-arn: %s", strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
	}
	res.Session = session(d, opts.Scope)
	if res.Session != nil && res.Session.Refused != "" {
		res.Allowed, res.Reason = false, res.Session.Detail
	}
	for _, r := range p.Explain(req) {
		res.Rules = append(res.Rules, RuleResult{
			Rule: r.Rule, Effect: string(r.Effect), Line: r.Line,
			Matched: r.Matched, Decided: r.Decided, Detail: r.Detail,
		})
	}
	return output.Verdict(opts.IO.Out, opts.Output, res, func() error { return write(opts, res) }, res.Allowed)
}

func describeSession(s *Session) string {
	var parts []string
	if s.SHA256 != "" {
		parts = append(parts, "document sha256 "+s.SHA256)
	}
	if len(s.ARNs) > 0 {
		parts = append(parts, "managed "+strings.Join(s.ARNs, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

func write(opts *TestOptions, r Result) error {
	out := opts.IO.Out
	verdict := "DENY"
	if r.Allowed {
		verdict = "ALLOW"
	}
	fmt.Fprintf(out, "%s  %s for %s\n", verdict, r.Profile, r.Principal)
	tw := tabwriter.NewWriter(out, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "  rule:\t%s\n", r.Rule)
	fmt.Fprintf(tw, "  reason:\t%s\n", r.Reason)
	if r.RoleARN != "" {
		fmt.Fprintf(tw, "  role:\t%s\n", r.RoleARN)
	}
	if a := r.Approval; a != nil {
		fmt.Fprintf(tw, "  approval:\t%d from %s; then vend request grants %s (vend request %s --reason TEXT)\n",
			a.Approvals, strings.Join(a.Approvers, ", "), time.Duration(a.GrantSeconds)*time.Second, r.Profile)
	}
	if r.BreakGlass {
		fmt.Fprintf(tw, "  break-glass:\tthe TVM vends only with a reason (--reason TEXT), and every vend raises an alert\n")
	}
	if s := r.Session; s != nil {
		switch {
		case s.Refused != "":
			// The reason line above already says why.
			fmt.Fprintf(tw, "  scope:\trefused: the TVM answers %s\n", s.Refused)
		case s.Source == "":
			fmt.Fprintf(tw, "  session:\tthe role's own permissions (no session policy)\n")
		default:
			fmt.Fprintf(tw, "  session:\tnarrowed by the %s's session policies%s\n", s.Source, describeSession(s))
		}
	}
	org := r.OrgID
	if org == "" {
		org = "none"
	}
	fmt.Fprintf(tw, "  request:\taccount %s, organisation %s, at %s\n", r.AccountID, org, r.At.Format(time.RFC3339))
	fmt.Fprintf(tw, "  policy:\t%s\n", r.PolicyHash)
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.UnknownProfile {
		fmt.Fprintf(out, "\nprofile %q is not defined in the policy\n", r.Profile)
	}
	if len(r.Rules) == 0 {
		return nil
	}
	fmt.Fprintln(out, "\nRules in file order (deny rules are evaluated first, then allow rules):")
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tRULE\tEFFECT\tLINE\tRESULT")
	for _, rr := range r.Rules {
		mark := ""
		if rr.Decided {
			mark = "→"
		}
		result := rr.Detail
		if rr.Decided {
			result = "decides: " + result
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\n", mark, rr.Rule, rr.Effect, rr.Line, result)
	}
	return tw.Flush()
}
