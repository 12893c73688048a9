//go:build e2e

package startup

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/tvmclient"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

const region = "eu-west-1"

// vendBin is the binary under test: VEND_BIN (what mage built) or one built by TestMain.
var vendBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	vendBin = os.Getenv("VEND_BIN")
	if vendBin == "" {
		dir, err := os.MkdirTemp("", "vend-startup-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		vendBin = filepath.Join(dir, "vend")
		if out, err := exec.Command("go", "build", "-o", vendBin, "../../cmd/vend").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build vend: %v\n%s", err, out)
			return 1
		}
	}
	return m.Run()
}

// world is a private HOME whose AWS credentials file holds the base credentials in the
// default profile (the usual setup), and a fake TVM that allows every profile for an hour
// and counts its calls.
type world struct {
	tvm *tvmtest.Server
	dir string
	env []string
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	dir := tb.TempDir()
	w := &world{tvm: tvmtest.New(tb, tvmclient.ServiceLambda, region), dir: dir}
	w.tvm.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "VEND_") || k == "HOME" || strings.HasPrefix(k, "XDG_") {
			continue
		}
		w.env = append(w.env, kv)
	}
	w.env = append(w.env,
		"HOME="+dir,
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "aws-credentials"),
		"AWS_REGION="+region,
		"AWS_EC2_METADATA_DISABLED=true",
		"VEND_REMOTE_SERVER="+w.tvm.URL,
	)
	w.write(tb, "aws-config", "[default]\nregion = "+region+"\n")
	w.write(tb, "aws-credentials", staticProfile("default", tvmtest.BaseAccessKeyID))
	return w
}

// envKeys are base credentials in the environment, which the SDKs prefer to the files.
var envKeys = []string{
	"AWS_ACCESS_KEY_ID=" + tvmtest.BaseAccessKeyID,
	"AWS_SECRET_ACCESS_KEY=" + tvmtest.BaseSecretAccessKey,
	"AWS_SESSION_TOKEN=" + tvmtest.BaseSessionToken,
}

// staticProfile is a credentials-file section with the fake TVM's base secret and token
// and the given access key ID (the fake refuses any other key's signature).
func staticProfile(name, keyID string) string {
	return "[" + name + "]\naws_access_key_id = " + keyID + "\naws_secret_access_key = " + tvmtest.BaseSecretAccessKey +
		"\naws_session_token = " + tvmtest.BaseSessionToken + "\n"
}

func (w *world) write(tb testing.TB, name, content string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// vend runs the binary with args and extra environment, and fails on a non-zero exit.
func (w *world) vend(tb testing.TB, extra []string, args ...string) string {
	tb.Helper()
	out, errOut, err := w.run(tb, extra, args...)
	if err != nil {
		tb.Fatalf("vend %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// run runs the binary and returns what it printed and how it exited.
func (w *world) run(tb testing.TB, extra []string, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, vendBin, args...)
	cmd.Env = append(slices.Clip(w.env), extra...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	for _, s := range tvmtest.Secrets {
		if strings.Contains(errOut.String(), s) {
			tb.Fatalf("vend %s leaked a secret to stderr", strings.Join(args, " "))
		}
	}
	return out.String(), errOut.String(), err
}

func (w *world) calls() int { return w.tvm.CallCount(wire.PathCredentials) }

// startupCase is one command measured.
type startupCase struct {
	name string
	args []string
	env  []string
	// warm says the command reads the disk cache: one run fills it before timing.
	warm bool
}

// startupCases are the commands measured, the floor first. With a CA bundle on this
// machine, a credential-process case also runs with AWS_CA_BUNDLE set, which many
// corporate machines do: the SDK parses the bundle whenever it loads the configuration.
func startupCases() []startupCase {
	cases := []startupCase{
		{name: "version", args: []string{"version"}},
		{name: "credential-process-warm", args: []string{"credential-process", "deploy"}, warm: true},
		{name: "credential-process-warm-env", args: []string{"credential-process", "deploy"}, env: envKeys, warm: true},
	}
	if bundle := caBundle(); bundle != "" {
		cases = append(cases, startupCase{
			name: "credential-process-warm-ca-bundle", args: []string{"credential-process", "deploy"},
			env: []string{"AWS_CA_BUNDLE=" + bundle}, warm: true,
		})
	}
	return append(cases,
		startupCase{name: "exec-warm", args: []string{"exec", "deploy", "--", "true"}, warm: true},
		startupCase{name: "export-warm", args: []string{"export", "deploy"}, warm: true},
	)
}

// caBundle returns the machine's CA bundle: AWS_CA_BUNDLE if set, else the usual
// Debian path, else "".
func caBundle() string {
	for _, p := range []string{os.Getenv("AWS_CA_BUNDLE"), "/etc/ssl/certs/ca-certificates.crt"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// BenchmarkStartup execs the built binary. Besides ns/op it reports the median and 90th
// percentile of single runs (p50-ns, p90-ns) and the TVM calls a run made (tvm-calls/op;
// 0 for every warm case). Each iteration of a case other than version also runs
// `vend version`, untimed, and the case reports its percentiles as multiples of that
// floor's (p50-x-version, p90-x-version): interleaved, the ratios hold up when the
// machine's load changes during the run.
//
//	CI=true go test -tags e2e -run '^$' -bench Startup -count 6 ./e2e/startup > new.txt
//	cd ../magefiles && go tool benchstat new.txt
func BenchmarkStartup(b *testing.B) {
	if _, err := exec.LookPath("true"); err != nil {
		b.Skip("no true(1) on PATH")
	}
	w := newWorld(b)
	for _, bc := range startupCases() {
		b.Run(bc.name, func(b *testing.B) {
			if bc.warm {
				w.vend(b, bc.env, bc.args...)
			}
			floor := bc.name != "version"
			before := w.calls()
			runs := make([]time.Duration, 0, b.N)
			var floors []time.Duration
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				w.vend(b, bc.env, bc.args...)
				runs = append(runs, time.Since(start))
				if floor {
					b.StopTimer()
					start := time.Now()
					w.vend(b, nil, "version")
					floors = append(floors, time.Since(start))
					b.StartTimer()
				}
			}
			b.StopTimer()
			slices.Sort(runs)
			p50, p90 := percentile(runs, 50), percentile(runs, 90)
			b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(p90.Nanoseconds()), "p90-ns")
			b.ReportMetric(float64(w.calls()-before)/float64(len(runs)), "tvm-calls/op")
			if floor {
				slices.Sort(floors)
				b.ReportMetric(float64(p50)/float64(percentile(floors, 50)), "p50-x-version")
				b.ReportMetric(float64(p90)/float64(percentile(floors, 90)), "p90-x-version")
			}
		})
	}
}

// percentile returns the p-th percentile of sorted (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

// TestWarmRunsMakeNoTVMCalls pins what the benchmark measures: after one fetch, every
// warm case answers from the disk cache.
func TestWarmRunsMakeNoTVMCalls(t *testing.T) {
	for _, tc := range startupCases() {
		if !tc.warm {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.vend(t, tc.env, tc.args...)
			if w.calls() != 1 {
				t.Fatalf("first run made %d TVM calls, want 1", w.calls())
			}
			for range 3 {
				w.vend(t, tc.env, tc.args...)
			}
			if n := w.calls() - 1; n != 0 {
				t.Errorf("3 warm runs made %d TVM calls, want 0", n)
			}
			w.vend(t, tc.env, append([]string{tc.args[0], "--no-cache"}, tc.args[1:]...)...)
			if n := w.calls() - 1; n != 1 {
				t.Errorf("--no-cache made %d TVM calls, want 1", n)
			}
		})
	}
}

// TestAnotherIdentityMisses switches the base identity between runs of the binary in
// every way the cache key must notice: each switch asks the TVM. A key the fake does
// not know gets its signature refused, which is still a call.
func TestAnotherIdentityMisses(t *testing.T) {
	const other = "AKIDSOMEONEELSE0001"
	cases := []struct {
		name   string
		before []string // extra environment of the first run
		after  []string // and of the second
		// prepare changes the world between the runs.
		prepare func(t *testing.T, w *world)
		args    []string
	}{
		{name: "environment key", before: envKeys, after: withKeyID(envKeys, other)},
		{name: "environment keys over the profile", after: withKeyID(envKeys, other)},
		{name: "credentials file edited", prepare: func(t *testing.T, w *world) {
			w.write(t, "aws-credentials", staticProfile("default", other))
		}},
		{name: "AWS_PROFILE", after: []string{"AWS_PROFILE=other"}, prepare: func(t *testing.T, w *world) {
			w.write(t, "aws-credentials", staticProfile("default", tvmtest.BaseAccessKeyID)+staticProfile("other", other))
		}},
		{name: "--base-profile", args: []string{"--base-profile", "other"}, prepare: func(t *testing.T, w *world) {
			w.write(t, "aws-credentials", staticProfile("default", tvmtest.BaseAccessKeyID)+staticProfile("other", other))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.tvm.ExpectBadSignatures()
			w.vend(t, tc.before, "credential-process", "deploy")
			w.vend(t, tc.before, "credential-process", "deploy")
			if w.calls() != 1 {
				t.Fatalf("two runs as the first identity made %d TVM calls, want 1", w.calls())
			}
			if tc.prepare != nil {
				tc.prepare(t, w)
			}
			out, _, err := w.run(t, tc.after, append(tc.args, "credential-process", "deploy")...)
			if w.calls() != 2 {
				t.Fatalf("the other identity made %d TVM calls, want 1", w.calls()-1)
			}
			if err == nil || strings.Contains(out, tvmtest.VendedAccessKeyID) {
				t.Errorf("the other identity got credentials (exit %v): %s", err, out)
			}
		})
	}
}

// withKeyID returns env with AWS_ACCESS_KEY_ID replaced by id.
func withKeyID(env []string, id string) []string {
	out := slices.Clone(env)
	for i, kv := range out {
		if strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") {
			out[i] = "AWS_ACCESS_KEY_ID=" + id
		}
	}
	return out
}
