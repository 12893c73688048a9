package access

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmclient"
	"github.com/vend-tvm/vend/lambda/wire"
)

// Options are the dependencies and flags of the access commands.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, profile string, d config.Duration) (*factory.Remote, error)
	Now     func() time.Time
	Context context.Context

	Profile string        // request
	Reason  string        // request
	Grant   time.Duration // request: 0 for the rule's
	ID      string        // approve, reject, revoke --request
	Comment string        // approve, reject, revoke
	Caller  string        // revoke --caller
	On      string        // revoke --caller --profile
	Output  string
}

func newOptions(f *factory.Factory) *Options {
	return &Options{IO: f.IOStreams, Connect: f.Connect, Now: f.Now}
}

func runE(opts *Options, runF, run func(*Options) error, args func([]string)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, a []string) error {
		args(a)
		opts.Context = cmd.Context()
		if runF != nil {
			return runF(opts)
		}
		return run(opts)
	}
}

// textFlag is a one-line text flag checked as the TVM checks reasons.
type textFlag struct{ dst *string }

func (t textFlag) String() string { return *t.dst }
func (t textFlag) Type() string   { return "text" }
func (t textFlag) Set(s string) error {
	if err := wire.CheckReason(s); err != nil {
		return err
	}
	*t.dst = s
	return nil
}

func addText(fs *pflag.FlagSet, dst *string, name, usage string) { fs.Var(textFlag{dst}, name, usage) }

// NewCmdRequest returns vend request. runF, when set, replaces requestRun (tests).
func NewCmdRequest(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := newOptions(f)
	cmd := &cobra.Command{
		Use:   "request PROFILE --reason TEXT",
		Short: "Ask for a profile that needs approval",
		Long: `Ask for PROFILE when the policy lets you have it only after approval. vend prints the
request's ID; the rule's approvers decide it with vend approve ID or vend reject ID.
Once it has the approvals the rule asks for, you vend PROFILE as usual (vend exec,
credential-process...) until the grant ends: the rule's grant, or --duration if
shorter. Each vend within the grant is an ordinary session of at most an hour.

A pending request lapses after 24 hours. vend requests shows where it stands.`,
		Example: `  vend request prod-admin --reason 'CHG-1234: rotate the database password'
  vend request prod-admin --reason 'INC-77' --duration 30m -o json | jq -r .id`,
		Args: output.OneProfile("request", "Example:\n  vend request PROFILE --reason 'CHG-1234: why you need it'"),
		RunE: runE(opts, runF, requestRun, func(a []string) { opts.Profile = a[0] }),
	}
	addText(cmd.Flags(), &opts.Reason, "reason", "why you need the access, one line (required; the approvers and the log see it)")
	cmd.Flags().DurationVar(&opts.Grant, "duration", 0, "how long the grant should last, at least 15m and at most the rule's (default: the rule's)")
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

func requestRun(opts *Options) error {
	if opts.Reason == "" {
		return status.Usagef("request needs --reason: say why you need %s, for the approvers", opts.Profile)
	}
	if opts.Grant != 0 && (opts.Grant < 15*time.Minute || opts.Grant%time.Second != 0) {
		return status.Usagef("--duration %s: want whole seconds, at least 15m", opts.Grant)
	}
	remote, err := opts.Connect(opts.Context, "", 0)
	if err != nil {
		return err
	}
	r, err := remote.Client.CreateRequest(opts.Context, tvmclient.Request{Profile: opts.Profile, Reason: opts.Reason, Duration: opts.Grant})
	if err != nil {
		return err
	}
	if opts.Output == output.FormatJSON {
		return output.JSON(opts.IO.Out, r)
	}
	fmt.Fprintln(opts.IO.Out, r.ID)
	fmt.Fprintf(opts.IO.ErrOut, "vend: requested %s (rule %s): %d approval%s needed, then a grant of %s; approvers run: vend approve %s\n",
		r.Profile, r.Rule, r.Approvals, plural(r.Approvals), time.Duration(r.GrantSeconds)*time.Second, r.ID)
	return nil
}

// NewCmdRequests returns vend requests. runF, when set, replaces requestsRun (tests).
func NewCmdRequests(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := newOptions(f)
	cmd := &cobra.Command{
		Use:   "requests",
		Short: "List the requests you made or may decide",
		Long: `List the access requests you made, those you may approve or reject now, and, for the
policy's administrators, all of them, newest first: ID, STATUS (pending, approved,
rejected, expired, revoked), PROFILE, REQUESTER, approvals given and needed, and the
REASON.`,
		Example: `  vend requests
  vend requests -o json | jq -r '.requests[] | select(.status == "pending") | .id'`,
		Args: output.NoArgs("requests"),
		RunE: runE(opts, runF, requestsRun, func([]string) {}),
	}
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

func requestsRun(opts *Options) error {
	remote, err := opts.Connect(opts.Context, "", 0)
	if err != nil {
		return err
	}
	rs, err := remote.Client.Requests(opts.Context)
	if err != nil {
		return err
	}
	if opts.Output == output.FormatJSON {
		return output.JSON(opts.IO.Out, rs)
	}
	if len(rs.Requests) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "vend: no requests you made or may decide")
		return nil
	}
	return writeTable(opts.IO.Out, rs.Requests, opts.Now())
}

func writeTable(w io.Writer, rs []wire.AccessRequest, now time.Time) error {
	b := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(b, "ID\tSTATUS\tPROFILE\tREQUESTER\tAPPROVALS\tREASON")
	for _, r := range rs {
		who := r.Requester.Name
		if who == "" {
			who = r.Requester.ARN
		}
		st := r.Status
		switch {
		case st == wire.StatusPending:
			st += " " + short(r.ExpiresAt.Sub(now))
		case st == wire.StatusApproved:
			st += " " + short(r.GrantedUntil.Sub(now))
		}
		fmt.Fprintf(b, "%s\t%s\t%s\t%s\t%d/%d\t%s\n", r.ID, st, r.Profile, who, r.ApprovalsGiven(), r.Approvals, r.Reason)
	}
	return b.Flush()
}

// short is a duration left, rounded to minutes, as "(1h30m left)".
func short(d time.Duration) string {
	d = max(d, 0).Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	var s string
	switch {
	case h == 0:
		s = fmt.Sprintf("%dm", m)
	case m == 0:
		s = fmt.Sprintf("%dh", h)
	default:
		s = fmt.Sprintf("%dh%dm", h, m)
	}
	return "(" + s + " left)"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// NewCmdApprove returns vend approve; NewCmdReject vend reject.
func NewCmdApprove(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	return newCmdDecide(f, runF, true)
}

// NewCmdReject returns vend reject.
func NewCmdReject(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	return newCmdDecide(f, runF, false)
}

func newCmdDecide(f *factory.Factory, runF func(*Options) error, approve bool) *cobra.Command {
	opts := newOptions(f)
	verb, what := "reject", "Reject a request: it closes, and grants nothing"
	if approve {
		verb, what = "approve", "Approve a request: with the approvals its rule needs, its grant begins"
	}
	cmd := &cobra.Command{
		Use:   verb + " ID [--comment TEXT]",
		Short: strings.SplitN(what, ":", 2)[0],
		Long: what + `.

The TVM checks the policy again when you decide: the request must still be pending and
its rule must name you as an approver. Nobody decides their own request, even when the
rule names them; each approver counts once.`,
		Example: "  vend " + verb + " req-abcdefghijklmnopqrstuvwxyz --comment 'matches CHG-1234'",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return status.Usagef("%s takes one request ID\n\nExample:\n  vend %s ID   (vend requests lists them)", verb, verb)
			}
			return nil
		},
		RunE: runE(opts, runF, func(o *Options) error { return decideRun(o, approve) }, func(a []string) { opts.ID = a[0] }),
	}
	addText(cmd.Flags(), &opts.Comment, "comment", "a note for the requester and the log, one line")
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

func decideRun(opts *Options, approve bool) error {
	remote, err := opts.Connect(opts.Context, "", 0)
	if err != nil {
		return err
	}
	r, err := remote.Client.Decide(opts.Context, opts.ID, approve, opts.Comment)
	if err != nil {
		return err
	}
	if opts.Output == output.FormatJSON {
		return output.JSON(opts.IO.Out, r)
	}
	switch r.Status {
	case wire.StatusApproved:
		fmt.Fprintf(opts.IO.Out, "%s approved: %s may vend %s until %s\n", r.ID, name(r.Requester), r.Profile, r.GrantedUntil.UTC().Format(time.RFC3339))
	case wire.StatusRejected:
		fmt.Fprintf(opts.IO.Out, "%s rejected\n", r.ID)
	default:
		fmt.Fprintf(opts.IO.Out, "%s: %d of %d approvals; still pending\n", r.ID, r.ApprovalsGiven(), r.Approvals)
	}
	return nil
}

func name(c wire.Caller) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ARN
}

// NewCmdRevoke returns vend revoke. runF, when set, replaces revokeRun (tests).
func NewCmdRevoke(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := newOptions(f)
	cmd := &cobra.Command{
		Use:   "revoke (--request ID | --caller ARN [--profile P]) [--comment TEXT]",
		Short: "End a grant and the sessions already issued",
		Long: `End access now, including the sessions vend already issued.

--request ID ends that request's grant (or withdraws it while pending). --caller ARN
ends every grant of that caller, on every profile or only --profile's. Either way the
TVM writes, to each role concerned, a deny of every action for sessions carrying the
caller's SourceIdentity that were issued before now: AWS enforces it on their next
call, within seconds. Sessions issued later, after a new approval, work again.

A request may be revoked by the policy's administrators, by its approvers and by its
requester; a caller only by administrators. A caller whose rule needs no approval can
vend again at once: change the policy to keep them out. If the TVM could not write a
role's revocation policy it says which; run the same command again to finish.`,
		Example: `  vend revoke --request req-abcdefghijklmnopqrstuvwxyz --comment 'INC-77 closed'
  vend revoke --caller arn:aws:iam::111111111111:user/alice
  vend revoke --caller arn:aws:sts::111111111111:assumed-role/Dev/alice --profile prod-admin -o json`,
		Args: output.NoArgs("revoke"),
		RunE: runE(opts, runF, revokeRun, func([]string) {}),
	}
	cmd.Flags().StringVar(&opts.ID, "request", "", "the request to revoke (vend requests lists them)")
	cmd.Flags().StringVar(&opts.Caller, "caller", "", "the caller ARN whose grants and sessions end, as vend requests or the decision log shows it")
	cmd.Flags().StringVar(&opts.On, "profile", "", "with --caller: only this profile's role (default: every profile's)")
	addText(cmd.Flags(), &opts.Comment, "comment", "why, one line (the log and the revoked event carry it)")
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

func revokeRun(opts *Options) error {
	switch {
	case (opts.ID == "") == (opts.Caller == ""):
		return status.Usagef("revoke needs --request ID or --caller ARN (one of them)\n\nExample:\n  vend revoke --request ID   (vend requests lists them)")
	case opts.On != "" && opts.Caller == "":
		return status.Usagef("--profile goes with --caller: a request names its own profile")
	case opts.Caller != "" && !strings.HasPrefix(opts.Caller, "arn:"):
		return status.Usagef("--caller %q: want the caller's ARN, such as arn:aws:iam::111111111111:user/alice", opts.Caller)
	}
	remote, err := opts.Connect(opts.Context, "", 0)
	if err != nil {
		return err
	}
	rv, err := remote.Client.Revoke(opts.Context, tvmclient.Revocation{RequestID: opts.ID, CallerARN: opts.Caller, Profile: opts.On, Comment: opts.Comment})
	var wireErr *wire.Error
	if errors.As(err, &wireErr) && wireErr.Revocation != nil {
		if opts.Output == output.FormatJSON {
			_ = output.JSON(opts.IO.Out, wireErr.Revocation)
		} else {
			writeRevocation(opts.IO.Out, wireErr.Revocation)
		}
		return err
	}
	if err != nil {
		return err
	}
	if opts.Output == output.FormatJSON {
		return output.JSON(opts.IO.Out, rv)
	}
	writeRevocation(opts.IO.Out, rv)
	return nil
}

func writeRevocation(w io.Writer, rv *wire.Revocation) {
	for _, r := range rv.Requests {
		fmt.Fprintf(w, "%s revoked: %s has no grant for %s\n", r.ID, name(r.Requester), r.Profile)
	}
	if len(rv.Roles) == 0 {
		fmt.Fprintf(w, "no session was issued on it, so no role needed a revocation\n")
		return
	}
	fmt.Fprintf(w, "sessions of %s (source identity %s) issued before %s:\n", name(rv.Caller), rv.SourceIdentity, rv.Before.UTC().Format(time.RFC3339))
	for _, r := range rv.Roles {
		if r.Done {
			fmt.Fprintf(w, "  %s  denied\n", r.RoleARN)
		} else {
			fmt.Fprintf(w, "  %s  NOT REVOKED: %s\n", r.RoleARN, r.Error)
		}
	}
}
