package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/awsfiles"
	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/lambda/wire"
)

// The statuses of a check.
const (
	OK   = "ok"
	Warn = "warn"
	Fail = "FAIL"
)

// Check is one line of the report.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	// Fix says what to do, for a warning or a failure.
	Fix string `json:"fix,omitempty"`
}

// Report is what `vend doctor -o json` prints.
type Report struct {
	Checks []Check `json:"checks"`
	OK     bool    `json:"ok"`
}

// Options are the dependencies and flags of `vend doctor`.
type Options struct {
	IO      *iostreams.IOStreams
	F       *factory.Factory
	Context context.Context
	Now     func() time.Time
	HTTP    *http.Client
	Output  string
}

// NewCmdDoctor returns vend doctor. runF, when set, replaces doctorRun (tests).
func NewCmdDoctor(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, F: f, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check vend's settings, base credentials, the TVM and the clock",
		Long: `Check that vend can work here, one line per check with what to do when it fails:

  config            the config file vend reads, and whether it parses
  tvm url           the TVM's URL, and where it came from (flag, environment, config file)
  base profile      the AWS profile whose credentials sign requests, and where it came from
  base credentials  whether those credentials load (the access key ID and where the SDK
                    found them; never the secret)
  signing           the SigV4 service and region requests are signed for
  tvm               whether the TVM answers /v1/whoami, and as whom it sees you
  clock             the skew between this machine and the TVM (SigV4 allows 5 minutes)
  aws files         what the default profile of your AWS files sets that SDKs would use
                    before vend's credentials when a child sees those files

vend doctor exits 1 when any check fails; warnings do not fail it.`,
		Example: `  vend doctor
  vend doctor --base-profile sso-dev
  vend doctor -o json | jq '.checks[] | select(.status != "ok")'`,
		Args: output.NoArgs("doctor"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return doctorRun(opts)
		},
	}
	output.Register(cmd.Flags(), &opts.Output, []string{output.FormatText, output.FormatJSON})
	return cmd
}

// maxSkew is how far SigV4 lets the signer's clock be from AWS's.
const maxSkew = 5 * time.Minute

func doctorRun(opts *Options) error {
	ctx := opts.Context
	var checks []Check
	add := func(c Check) { checks = append(checks, c) }
	rep := func() error {
		r := Report{Checks: checks, OK: true}
		for _, c := range checks {
			if c.Status == Fail {
				r.OK = false
			}
		}
		if opts.Output == output.FormatJSON {
			if err := output.JSON(opts.IO.Out, r); err != nil {
				return err
			}
		} else {
			writeText(opts.IO.Out, checks)
		}
		if !r.OK {
			return status.ErrSilent
		}
		return nil
	}
	f := opts.F

	file, err := f.ConfigFile()
	if err != nil {
		add(Check{Name: "config", Status: Fail, Detail: err.Error(), Fix: "fix the file, or point " + config.EnvConfig + " at another"})
		return rep()
	}
	if file.RemoteServer == "" && len(file.Profiles) == 0 {
		add(Check{Name: "config", Status: OK, Detail: file.Path + " (absent or empty: flags and the environment decide)"})
	} else {
		add(Check{Name: "config", Status: OK, Detail: file.Path})
	}

	flags := config.Settings{RemoteServer: f.Flags.RemoteServer, BaseProfile: f.Flags.BaseProfile,
		SigningService: f.Flags.SigningService, SigningRegion: f.Flags.SigningRegion}
	src := config.Sources(file, flags, f.Getenv, "")
	s, err := config.Resolve(file, flags, f.Getenv, "")
	var noServer *config.NoServerError
	if errors.As(err, &noServer) {
		add(Check{Name: "tvm url", Status: Fail, Detail: "not set", Fix: err.Error()})
		return rep()
	}
	add(urlCheck(s.RemoteServer, src["remote_server"]))

	if s.BaseProfile != "" {
		add(Check{Name: "base profile", Status: OK, Detail: s.BaseProfile + " (" + src["base_profile"] + ")"})
	} else {
		who := "the SDK's default chain"
		if p := f.Getenv("AWS_PROFILE"); p != "" {
			who += ", AWS_PROFILE=" + p
		}
		add(Check{Name: "base profile", Status: OK, Detail: "none: " + who})
	}

	remote, err := f.Connect(ctx, "", 0)
	if err != nil {
		add(Check{Name: "base credentials", Status: Fail, Detail: firstLine(err.Error()), Fix: "sign in (aws sso login, aws configure) or pass --base-profile with a profile that has credentials"})
		return rep()
	}
	creds, err := remote.Base.Credentials.Retrieve(ctx)
	if err != nil {
		add(Check{Name: "base credentials", Status: Fail, Detail: firstLine(err.Error()), Fix: "sign in (aws sso login, aws configure) or pass --base-profile with a profile that has credentials"})
		return rep()
	}
	detail := creds.AccessKeyID + " from " + creds.Source
	if creds.CanExpire {
		detail += ", expiring " + creds.Expires.UTC().Format(time.RFC3339)
	}
	add(Check{Name: "base credentials", Status: OK, Detail: detail})
	add(Check{Name: "signing", Status: OK, Detail: fmt.Sprintf("service %s, region %s", remote.Client.SigningService(), remote.Client.SigningRegion())})

	start := time.Now()
	w, err := remote.Client.Whoami(ctx)
	if err != nil {
		fix := "check the URL and that the TVM is deployed; vend --debug whoami shows each attempt"
		var wireErr *wire.Error
		if errors.As(err, &wireErr) {
			fix = "the TVM refused: " + wireErr.Code + " (see the error reference: vend docs, or the site's Errors page)"
		}
		add(Check{Name: "tvm", Status: Fail, Detail: firstLine(err.Error()), Fix: fix})
	} else {
		add(Check{Name: "tvm", Status: OK, Detail: fmt.Sprintf("answers as TVM %s in %d ms; you are %s", orUnknown(w.TVMVersion), time.Since(start).Milliseconds(), w.Caller.ARN)})
	}
	add(clockCheck(ctx, opts, remote.Client.URL()))
	add(filesCheck(f.Getenv))
	return rep()
}

// urlCheck judges the TVM URL (config.CheckServerURL).
func urlCheck(raw, from string) Check {
	c := Check{Name: "tvm url", Status: OK, Detail: raw + " (" + from + ")"}
	warning, err := config.CheckServerURL(raw)
	switch {
	case err != nil:
		c.Status, c.Fix = Fail, err.Error()
	case warning != "":
		c.Status, c.Fix = Warn, warning
	}
	return c
}

// clockCheck compares this machine's clock with the TVM front's Date header, read from
// an unsigned request (which the front refuses, with its Date all the same).
func clockCheck(ctx context.Context, opts *Options, base string) Check {
	c := Check{Name: "clock", Status: OK}
	client := opts.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+wire.PathWhoami, nil)
	if err == nil {
		var resp *http.Response
		sent := opts.Now()
		if resp, err = client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			var server time.Time
			if server, err = http.ParseTime(resp.Header.Get("Date")); err == nil {
				// The Date header has whole seconds: a skew under two seconds is none.
				skew := sent.Add(opts.Now().Sub(sent) / 2).Sub(server).Round(time.Second)
				c.Detail = "this machine is " + describeSkew(skew)
				if skew > maxSkew || skew < -maxSkew {
					c.Status, c.Fix = Fail, "set the clock right (NTP): SigV4 refuses signatures more than 5 minutes off"
				} else if skew > time.Minute || skew < -time.Minute {
					c.Status, c.Fix = Warn, "set the clock right (NTP) before it drifts past SigV4's 5 minutes"
				}
				return c
			}
		}
	}
	c.Status, c.Detail, c.Fix = Warn, "no Date from the TVM: "+firstLine(err.Error()), "check the clock by hand: SigV4 allows 5 minutes"
	return c
}

func describeSkew(d time.Duration) string {
	switch {
	case d >= -time.Second && d <= time.Second:
		return "in step with the TVM"
	case d > 0:
		return d.String() + " ahead of the TVM"
	default:
		return (-d).String() + " behind the TVM"
	}
}

// filesCheck reports what the default profile of the AWS files sets: SDKs in a child
// that sees those files (vend serve, or vend exec --keep-aws-files) may use it before
// vend's credentials.
func filesCheck(getenv func(string) string) Check {
	cfg, creds := awsfiles.Paths(getenv)
	found, err := awsfiles.DefaultProfileShadows(cfg, creds)
	switch {
	case err != nil:
		return Check{Name: "aws files", Status: Warn, Detail: firstLine(err.Error()), Fix: "check the files' permissions"}
	case len(found) == 0:
		return Check{Name: "aws files", Status: OK, Detail: "the default profile sets no credentials (" + cfg + ", " + creds + ")"}
	}
	var list []string
	for _, f := range found {
		list = append(list, f.String())
	}
	return Check{Name: "aws files", Status: Warn, Detail: "the default profile sets credentials: " + strings.Join(list, "; "),
		Fix: "vend exec hides these from its child; with vend serve or vend exec --keep-aws-files, SDKs use them first: move them to a named profile and use --base-profile"}
}

func writeText(w io.Writer, checks []Check) {
	width := 0
	for _, c := range checks {
		width = max(width, len(c.Name))
	}
	for _, c := range checks {
		fmt.Fprintf(w, "%-4s  %-*s  %s\n", c.Status, width, c.Name, c.Detail)
		if c.Fix != "" {
			indent := strings.Repeat(" ", 6+width+2)
			fmt.Fprintf(w, "%s→ %s\n", indent, strings.ReplaceAll(c.Fix, "\n", "\n"+indent+"  "))
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func orUnknown(s string) string {
	if s == "" {
		return "(version unknown)"
	}
	return s
}
