package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/federation"
	"github.com/vend-tvm/vend/cli/internal/iostreams"
	"github.com/vend-tvm/vend/cli/internal/output"
	"github.com/vend-tvm/vend/cli/internal/status"
)

// ConsoleOptions are the dependencies and flags of `vend console`.
type ConsoleOptions struct {
	IO     *iostreams.IOStreams
	Vend   func(ctx context.Context, profile string, vf factory.VendFlags) (*factory.Vended, error)
	HTTP   *http.Client
	Getenv func(string) string
	Now    func() time.Time
	// Open shows url in the user's browser.
	Open    func(url string) error
	Context context.Context

	Profile string
	factory.VendFlags
	Print       bool
	Destination string
	Region      string
}

// NewCmdConsole returns the console command. runF, when set, replaces consoleRun (tests).
func NewCmdConsole(f *factory.Factory, runF func(*ConsoleOptions) error) *cobra.Command {
	opts := &ConsoleOptions{IO: f.IOStreams, Vend: f.Vend, HTTP: f.HTTPClient, Getenv: f.Getenv, Now: f.Now}
	opts.Open = func(u string) error { return openBrowser(opts.Getenv, u) }
	cmd := &cobra.Command{
		Use:   "console [flags] PROFILE",
		Short: "Open the AWS console with a profile's credentials",
		Long: `Get PROFILE's credentials, exchange them at the AWS sign-in federation endpoint for
a sign-in token, and open the AWS Management Console with it in your browser ($BROWSER,
else the system's opener). With --print, vend prints the sign-in URL instead.

The sign-in URL is a secret: for 15 minutes anyone who opens it is signed in as the
role. vend's sessions are role sessions the TVM assumes with its own role, and AWS does
not let such sessions choose a console duration: the console session ends when the
credentials expire (at most an hour; --duration sets it). The federation endpoint
follows the partition of --region (or AWS_REGION): aws, aws-us-gov or aws-cn;
VEND_FEDERATION_ENDPOINT overrides it, for a proxy in front of AWS.

` + factory.CacheHelp,
		Example: `  # Open the console home page as the readonly profile
  vend console readonly

  # A given service page, in a given region
  vend console --region eu-west-1 --destination https://console.aws.amazon.com/s3/home readonly

  # Print the sign-in URL (a secret for 15 minutes) instead of opening it
  vend console --print readonly`,
		Args: output.OneProfile("console", "Example:\n  vend console PROFILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Destination != "" {
				if err := checkDestination(opts.Destination); err != nil {
					return &status.UsageError{Err: err}
				}
			}
			opts.Profile = args[0]
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return consoleRun(opts)
		},
	}
	opts.VendFlags.Register(cmd.Flags(), factory.ConsoleSession)
	cmd.Flags().BoolVar(&opts.Print, "print", false, "print the sign-in URL instead of opening it (a secret for 15 minutes)")
	cmd.Flags().StringVar(&opts.Destination, "destination", "", "console page to open, an https URL (default: the console home)")
	cmd.Flags().StringVar(&opts.Region, "region", "", "console region, which also picks the partition (default: AWS_REGION)")
	return cmd
}

func checkDestination(d string) error {
	u, err := url.Parse(d)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("--destination %q: want an https URL of the console, like https://console.aws.amazon.com/s3/home", d)
	}
	return nil
}

func consoleRun(opts *ConsoleOptions) error {
	ctx := opts.Context
	region := opts.Region
	if region == "" {
		region = firstNonEmpty(opts.Getenv("AWS_REGION"), opts.Getenv("AWS_DEFAULT_REGION"))
	}
	partition := federation.PartitionOfRegion(region)
	endpoint := opts.Getenv(federation.EnvEndpoint)
	if endpoint == "" {
		var err error
		if endpoint, err = federation.Endpoint(partition); err != nil {
			return err
		}
	} else if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s=%q is not an http(s) URL", federation.EnvEndpoint, endpoint)
	}
	destination := opts.Destination
	if destination == "" {
		destination = federation.Destination(partition, region)
	}

	v, err := opts.Vend(ctx, opts.Profile, opts.VendFlags)
	if err != nil {
		return err
	}
	client := opts.HTTP
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	token, err := federation.SigninToken(ctx, client, endpoint, v.Credentials)
	if err != nil {
		return err
	}
	login := federation.LoginURL(endpoint, destination, token)
	ends := "when the credentials expire"
	if v.Credentials.CanExpire {
		ends = fmt.Sprintf("when the credentials expire at %s (in %s)", v.Credentials.Expires.Local().Format(time.Kitchen),
			v.Credentials.Expires.Sub(opts.Now()).Round(time.Minute))
	}
	if opts.Print {
		fmt.Fprintln(opts.IO.Out, login)
		fmt.Fprintf(opts.IO.ErrOut, "vend: this URL signs in to the AWS console as %s for the next 15 minutes: treat it as a secret\n"+
			"vend: the console session ends %s\n", opts.Profile, ends)
		return nil
	}
	if err := opts.Open(login); err != nil {
		return fmt.Errorf("open the browser: %w\n  run 'vend console --print %s' and open the URL yourself (it is a secret for 15 minutes)", err, opts.Profile)
	}
	fmt.Fprintf(opts.IO.ErrOut, "vend: opened the AWS console as %s in your browser; the console session ends %s\n", opts.Profile, ends)
	return nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// openBrowser runs $BROWSER (the usual convention; its first word is the program, and
// "%s" in it stands for the URL), else the system's URL opener.
func openBrowser(getenv func(string) string, u string) error {
	var cmd *exec.Cmd
	if b := strings.TrimSpace(getenv("BROWSER")); b != "" {
		f := strings.Fields(b)
		args := f[1:]
		found := false
		for i, a := range args {
			if strings.Contains(a, "%s") {
				args[i], found = strings.ReplaceAll(a, "%s", u), true
			}
		}
		if !found {
			args = append(args, u)
		}
		cmd = exec.Command(f[0], args...)
	} else {
		switch runtime.GOOS {
		case "darwin":
			cmd = exec.Command("open", u)
		case "windows":
			cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
		default:
			cmd = exec.Command("xdg-open", u)
		}
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	// An opener returns at once; a browser may run for hours. Report what fails at once.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(3 * time.Second):
		return nil
	}
}
