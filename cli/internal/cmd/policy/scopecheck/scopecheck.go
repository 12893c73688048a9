package scopecheck

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/lambda/policy"
	"github.com/vend-tvm/vend/scp"
)

// placeholderRole is the session's role when neither --role-arn nor a profile names it.
const placeholderRole = "arn:aws:iam::123456789012:role/scoped-session"

// Options are the dependencies and flags of `vend policy scope-check`.
type Options struct {
	IO *iostreams.IOStreams

	PolicyFile   string // --policy: the vend policy holding --profile
	Profile      string // --profile
	Scope        sessionpolicy.Scope
	Managed      []string // --managed-policy ARN=FILE
	RolePolicies []string // --role-policy FILE
	RoleARN      string   // --role-arn
	Action       string
	Resource     string
	Output       string
}

// NewCmdScopeCheck returns the scope-check command. runF, when set, replaces run.
func NewCmdScopeCheck(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "scope-check --scope FILE --action ACTION --resource ARN [flags]",
		Short: "Check offline what a scoped session could do",
		Long: `Decide, on your machine, whether a session narrowed by a scope could make one request:
AWS allows a role session with session policies what the role's identity-based
policies and the session policies both allow, and nothing either denies. The session
policies of one call are one set, in which an Allow in any of them allows.

The session policies are the scope (--scope FILE, --scope-arn ARN) or, with --policy
and --profile, the profile's own session policies; a managed policy named by ARN is
read from the file --managed-policy ARN=FILE gives, since vend does not call AWS here.
The role's policies come from --role-policy (repeatable); without them vend answers
what the session policies allow, assuming the role allows it, and says so.

It uses vend's own IAM evaluator, which the guardrail tests cross-check against an
independent one; it does not model resource policies, permissions boundaries or
organisation policies (vend scp simulate checks those). vend prints ALLOW or DENY
with the statements that decided, and exits 0 on allow and 3 on deny.`,
		Example: `  # May the agent's scope read this object?
  vend policy scope-check --scope agent-scope.json \
    --action s3:GetObject --resource arn:aws:s3:::reports/agents/run-1.csv

  # With the role's own policy, as the session would be
  vend policy scope-check --scope agent-scope.json --role-policy data-role.json \
    --action s3:PutObject --resource arn:aws:s3:::reports/agents/run-1.csv

  # A profile's session policies, from the TVM's policy file
  vend policy scope-check --policy policy.yaml --profile reports \
    --managed-policy arn:aws:iam::aws:policy/ReadOnlyAccess=readonly.json \
    --action s3:GetObject --resource arn:aws:s3:::reports/q4.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case opts.Action == "" || opts.Resource == "":
				return status.Usagef("--action and --resource are required\n\nExample:\n  vend policy scope-check --scope scope.json --action s3:GetObject --resource arn:aws:s3:::bucket/key")
			case (opts.PolicyFile == "") != (opts.Profile == ""):
				return status.Usagef("--policy and --profile go together: the profile is read from the policy file")
			case opts.Scope.Empty() && opts.Profile == "":
				return status.Usagef("give the session policies: --scope FILE and/or --scope-arn ARN, or --policy FILE --profile NAME")
			}
			if err := opts.Scope.Validate(); err != nil {
				return status.Usagef("--scope/--scope-arn: %s", strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
			}
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	fl := cmd.Flags()
	factory.RegisterScope(fl, &opts.Scope)
	fl.StringVar(&opts.PolicyFile, "policy", "", "the TVM's policy file, to take --profile's session policies and role from")
	fl.StringVar(&opts.Profile, "profile", "", "the vend profile whose session policies to check (with --policy)")
	fl.StringArrayVar(&opts.Managed, "managed-policy", nil, "the document of a managed session policy, ARN=FILE (repeat)")
	fl.StringArrayVar(&opts.RolePolicies, "role-policy", nil, "a policy of the role, as JSON (repeat; default: assume the role allows)")
	fl.StringVar(&opts.RoleARN, "role-arn", "", "the role the session is of (default: the profile's)")
	fl.StringVar(&opts.Action, "action", "", "the request's action, SERVICE:Name (like s3:GetObject)")
	fl.StringVar(&opts.Resource, "resource", "", "the request's resource ARN, or *")
	output.Register(fl, &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

// Result is the JSON output.
type Result struct {
	Allowed bool   `json:"allowed"`
	Action  string `json:"action"`
	// Resource and RoleARN are the request's (RoleARN "" when none was named: the
	// evaluator then uses a placeholder role); RolePolicies says whether the role's
	// policies were given (false: assumed to allow).
	Resource     string   `json:"resource"`
	RoleARN      string   `json:"role_arn"`
	RolePolicies bool     `json:"role_policies"`
	Source       string   `json:"source"` // whose session policies: caller or profile
	Sessions     []string `json:"session_policies"`
	Reason       string   `json:"reason"`
	DecidedBy    string   `json:"decided_by,omitempty"`
	Denies       []string `json:"denies,omitempty"`
}

func run(opts *Options) error {
	role, scope, source := opts.RoleARN, opts.Scope, "caller"
	if opts.Profile != "" {
		p, err := policy.ParseFile(opts.PolicyFile)
		if err != nil {
			return fmt.Errorf("%w\nrun vend policy validate %s to see every problem", err, opts.PolicyFile)
		}
		prof, ok := p.Profile(opts.Profile)
		switch {
		case !ok:
			return status.Usagef("the policy %s defines no profile %q", opts.PolicyFile, opts.Profile)
		case prof.Narrowed() && !scope.Empty():
			return status.Usagef("profile %s carries session policies of its own, and the TVM refuses a caller's scope for it: check the profile without --scope/--scope-arn", prof.Name)
		case !prof.Narrowed() && scope.Empty():
			return status.Usagef("profile %s has no session policies: its sessions are the role; give the scope a caller would send with --scope", prof.Name)
		case prof.Narrowed():
			scope, source = sessionpolicy.Scope{Policy: []byte(prof.SessionPolicy), ARNs: prof.SessionPolicyARNs}, "profile"
		}
		if role == "" {
			role = prof.RoleARN
		}
	}
	principal := role
	if principal == "" {
		principal = placeholderRole
	}
	sessions, err := sessionDocuments(scope, opts.Managed)
	if err != nil {
		return err
	}
	identity := []scp.Document{}
	for _, f := range opts.RolePolicies {
		d, err := readDocument(f, filepath.Base(f), scp.KindIdentity)
		if err != nil {
			return err
		}
		identity = append(identity, d)
	}
	given := len(identity) > 0
	if !given {
		// Named so that a reason reads "identity policy role/AssumedToAllow"; the role
		// line says the role's policies were not given.
		allowAll, _ := scp.ParseDocument("role", scp.KindIdentity,
			[]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"AssumedToAllow","Effect":"Allow","Action":"*","Resource":"*"}]}`))
		identity = append(identity, allowAll)
	}
	r := scp.EvaluateSession(scp.Request{Principal: principal, Action: opts.Action, Resource: opts.Resource}, identity, sessions)
	if r.Err != nil {
		return fmt.Errorf("cannot decide: %w", r.Err)
	}
	res := Result{
		Allowed: r.Decision == scp.Allow, Action: opts.Action, Resource: opts.Resource, RoleARN: role,
		RolePolicies: given, Source: source, Reason: r.Reason, DecidedBy: r.DecidedBy.String(),
	}
	for _, d := range sessions {
		res.Sessions = append(res.Sessions, d.Name)
	}
	for _, d := range r.Denies {
		res.Denies = append(res.Denies, d.String())
	}
	return output.Verdict(opts.IO.Out, opts.Output, res, func() error { return write(opts, res) }, res.Allowed)
}

// sessionDocuments are the scope's documents: the inline one, named "scope", and one
// per managed ARN, read from the --managed-policy file given for it.
func sessionDocuments(scope sessionpolicy.Scope, managed []string) ([]scp.Document, error) {
	files := map[string]string{}
	for _, m := range managed {
		a, f, ok := strings.Cut(m, "=")
		if !ok || a == "" || f == "" {
			return nil, status.Usagef("--managed-policy %q: want ARN=FILE", m)
		}
		if err := sessionpolicy.CheckARN(a); err != nil {
			return nil, status.Usagef("--managed-policy: %s", strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
		}
		files[a] = f
	}
	var docs []scp.Document
	if len(scope.Policy) > 0 {
		d, err := scp.ParseDocument("scope", scp.KindSession, scope.Policy)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	var missing []string
	for _, a := range scope.ARNs {
		f, ok := files[a]
		if !ok {
			missing = append(missing, a)
			continue
		}
		d, err := readDocument(f, a, scp.KindSession)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
		delete(files, a)
	}
	if len(missing) > 0 {
		return nil, status.Usagef("vend cannot read managed policies offline: give each one's document with --managed-policy %s=FILE (aws iam get-policy-version prints it)", strings.Join(missing, "=FILE --managed-policy "))
	}
	if extra := slices.Sorted(maps.Keys(files)); len(extra) > 0 {
		return nil, status.Usagef("--managed-policy %s: no session policy names it; add --scope-arn %s", extra[0], extra[0])
	}
	return docs, nil
}

func readDocument(path, name string, kind scp.Kind) (scp.Document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return scp.Document{}, err
	}
	d, err := scp.ParseDocument(name, kind, b)
	if err != nil {
		return scp.Document{}, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

func write(opts *Options, r Result) error {
	verdict := "DENY"
	if r.Allowed {
		verdict = "ALLOW"
	}
	fmt.Fprintf(opts.IO.Out, "%s  %s on %s\n", verdict, r.Action, r.Resource)
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "  reason:\t%s\n", r.Reason)
	fmt.Fprintf(tw, "  session:\tthe %s's session policies: %s\n", r.Source, strings.Join(r.Sessions, ", "))
	role := r.RoleARN
	if role == "" {
		role = "not named (--role-arn, or the profile's)"
	}
	if !r.RolePolicies {
		role += " (its policies not given: assumed to allow; add --role-policy to check them too)"
	}
	fmt.Fprintf(tw, "  role:\t%s\n", role)
	if len(r.Denies) > 0 {
		fmt.Fprintf(tw, "  denied by:\t%s\n", strings.Join(r.Denies, ", "))
	}
	return tw.Flush()
}
