package project

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Where the local stack keeps its state, relative to the repository root. The folder
// is ignored by git; it holds secrets (demo access keys), so it is private to the user.
const (
	StateDir     = ".vend"
	LocalEnvFile = ".vend/local.env"
	stateFile    = ".vend/state.json"
	localExample = "terraform/examples/local"
)

// LocalState is what deploy leaves for destroy and for a second deploy.
type LocalState struct {
	Moto  *Proc `json:"moto,omitempty"`
	RIE   *Proc `json:"rie,omitempty"`
	Front *Proc `json:"front,omitempty"`
}

func (r *Runner) path(rel string) string { return filepath.Join(r.Root, rel) }

func (r *Runner) loadState() (LocalState, error) {
	var s LocalState
	data, err := os.ReadFile(r.path(stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, errNoState
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("read %s: %w (delete it and stop leftover processes by hand)", stateFile, err)
	}
	return s, nil
}

func (r *Runner) saveState(s LocalState) error {
	if err := os.MkdirAll(r.path(StateDir), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(r.path(stateFile), data)
}

// writePrivate writes a 0600 file atomically.
func writePrivate(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// DeployTools are what a local deploy needs beyond Go.
var DeployTools = []Tool{
	{"terraform", []string{"terraform", "version"}, "install Terraform 1.9 or later"},
	{"moto_server", []string{"moto_server", "--help"}, "pip install 'moto[server]==5.2.1'"},
	{"the AWS CLI", []string{"aws", "--version"}, "pip install awscli"},
}

// LocalOutputs are the outputs of terraform/examples/local that the runner uses.
type LocalOutputs struct {
	Region            string            `json:"region"`
	FunctionName      string            `json:"function_name"`
	AccountID         string            `json:"account_id"`
	Environment       map[string]string `json:"environment"`
	ProtectedRoleARNs map[string]string `json:"protected_role_arns"`
	AllowedProfile    string            `json:"allowed_profile"`
	DeniedProfile     string            `json:"denied_profile"`
	DemoIdentities    map[string]struct {
		ARN             string `json:"arn"`
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
	} `json:"demo_identities"`
}

// DeployLocal builds everything, starts the local AWS, applies the local example, runs
// the TVM under the Lambda Runtime Interface Emulator behind the SigV4-verifying front,
// smoke-tests it with the AWS CLI through vend, and writes .vend/local.env.
func (r *Runner) DeployLocal(ctx context.Context) error {
	if missing := r.MissingTools(ctx, DeployTools); len(missing) > 0 {
		return errors.New("deploy needs tools this machine lacks:\n" + DescribeMissing(missing))
	}
	if runtime.GOOS != "linux" {
		return errors.New("the local deploy runs the Linux bootstrap under the Lambda Runtime Interface Emulator: run it on Linux, or deploy to AWS with VEND_TARGET=aws")
	}
	if err := r.BuildAll(ctx); err != nil {
		return err
	}
	rie := r.path(filepath.Join(BinDir, "aws-lambda-rie"))
	if err := r.Step("build Lambda Runtime Interface Emulator", func() error {
		return r.Run(ctx, Cmd{Dir: "magefiles", Args: []string{"go", "build", "-o", rie, "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"}})
	}); err != nil {
		return err
	}
	state, err := r.loadState()
	if err != nil && !errors.Is(err, errNoState) {
		return err
	}
	if err := r.Step("start local AWS (moto_server)", func() error { return r.startMoto(ctx, &state) }); err != nil {
		return err
	}
	var out LocalOutputs
	if err := r.Step("terraform apply "+localExample, func() error {
		var err error
		out, err = r.applyLocal(ctx, state.Moto.URL)
		return err
	}); err != nil {
		return err
	}
	if err := r.Step("start the TVM under the Runtime Interface Emulator", func() error {
		return r.startRIE(ctx, &state, rie, out)
	}); err != nil {
		return err
	}
	if err := r.Step("start the Function URL front", func() error { return r.startFront(ctx, &state, out) }); err != nil {
		return err
	}
	if err := r.Step("write "+LocalEnvFile, func() error { return r.writeLocalEnv(state, out) }); err != nil {
		return err
	}
	if err := r.Step("smoke test with the AWS CLI through vend exec", func() error {
		return r.SmokeTest(ctx, r.path(LocalEnvFile), out.ProtectedRoleARNs[out.AllowedProfile])
	}); err != nil {
		return err
	}
	r.printLocalHowTo(state, out)
	return nil
}

func (r *Runner) startMoto(ctx context.Context, s *LocalState) error {
	if s.Moto != nil && s.Moto.Alive() {
		if err := WaitHTTP(ctx, *s.Moto, s.Moto.URL+"/moto-api/", 5*time.Second); err == nil {
			fmt.Fprintf(r.Stdout, "    reusing moto_server at %s (pid %d)\n", s.Moto.URL, s.Moto.PID)
			return nil
		}
		_ = s.Moto.Stop(5 * time.Second)
	}
	// A new moto_server is empty: Terraform state from an older one describes nothing.
	_ = os.RemoveAll(r.path(filepath.Join(StateDir, "terraform", "terraform.tfstate")))
	port, err := FreePort()
	if err != nil {
		return err
	}
	p, err := StartBackground("moto_server", []string{"moto_server", "-H", "127.0.0.1", "-p", fmt.Sprint(port)},
		os.Environ(), r.Root, r.path(filepath.Join(StateDir, "logs", "moto.log")))
	if err != nil {
		return err
	}
	p.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	s.Moto = &p
	if err := r.saveState(*s); err != nil {
		return err
	}
	return WaitHTTP(ctx, p, p.URL+"/moto-api/", 60*time.Second)
}

// terraformEnv runs Terraform offline from the provider mirror when one is configured,
// with its working data under .vend/.
func (r *Runner) terraformEnv() ([]string, error) {
	env := []string{"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0",
		"TF_DATA_DIR=" + r.path(filepath.Join(StateDir, "terraform", "data"))}
	if mirror := ProviderMirror(); mirror != "" {
		rc := r.path(filepath.Join(StateDir, "terraform", "terraformrc"))
		if err := os.MkdirAll(filepath.Dir(rc), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(rc, []byte(MirrorCLIConfig(mirror)), 0o600); err != nil {
			return nil, err
		}
		env = append(env, "TF_CLI_CONFIG_FILE="+rc)
	}
	return env, nil
}

func (r *Runner) localTFState() string {
	return r.path(filepath.Join(StateDir, "terraform", "terraform.tfstate"))
}

func (r *Runner) applyLocal(ctx context.Context, endpoint string) (LocalOutputs, error) {
	var out LocalOutputs
	env, err := r.terraformEnv()
	if err != nil {
		return out, err
	}
	env = append(env, "AWS_ENDPOINT_URL="+endpoint)
	chdir := "-chdir=" + localExample
	if err := r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "init", "-input=false", "-no-color"}}); err != nil {
		return out, err
	}
	arch := runtime.GOARCH
	vars := []string{"-var", "endpoint=" + endpoint, "-var", "lambda_zip=" + r.LambdaZipPath(arch), "-var", "architecture=" + lambdaArch(arch)}
	apply := append([]string{"terraform", chdir, "apply", "-input=false", "-auto-approve", "-no-color", "-state=" + r.localTFState()}, vars...)
	if err := r.Run(ctx, Cmd{Env: env, Args: apply}); err != nil {
		return out, err
	}
	// Outputs hold the demo callers' secret keys: read them, never print them.
	raw, err := r.Output(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "output", "-json", "-no-color", "-state=" + r.localTFState()}})
	if err != nil {
		return out, err
	}
	return parseLocalOutputs([]byte(raw))
}

func lambdaArch(goarch string) string {
	if goarch == "amd64" {
		return "x86_64"
	}
	return goarch
}

func parseLocalOutputs(raw []byte) (LocalOutputs, error) {
	var wrapped map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	var out LocalOutputs
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return out, fmt.Errorf("read terraform outputs: %w", err)
	}
	flat := map[string]json.RawMessage{}
	for k, v := range wrapped {
		flat[k] = v.Value
	}
	data, _ := json.Marshal(flat)
	if err := json.Unmarshal(data, &out); err != nil {
		return out, fmt.Errorf("read terraform outputs: %w", err)
	}
	var missing []string
	if out.AllowedProfile == "" || out.DeniedProfile == "" {
		missing = append(missing, "allowed_profile/denied_profile")
	}
	if len(out.Environment) == 0 {
		missing = append(missing, "environment")
	}
	if out.DemoIdentities["allowed"].SecretAccessKey == "" || out.DemoIdentities["denied"].SecretAccessKey == "" {
		missing = append(missing, "demo_identities")
	}
	if out.ProtectedRoleARNs[out.AllowedProfile] == "" {
		missing = append(missing, "protected_role_arns")
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("terraform outputs lack %s", strings.Join(missing, ", "))
	}
	return out, nil
}

func (r *Runner) startRIE(ctx context.Context, s *LocalState, rie string, out LocalOutputs) error {
	if s.RIE != nil {
		_ = s.RIE.Stop(5 * time.Second)
		s.RIE = nil
	}
	ports := make([]int, 2)
	for i := range ports {
		p, err := FreePort()
		if err != nil {
			return err
		}
		ports[i] = p
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_REGION=" + out.Region,
		"AWS_DEFAULT_REGION=" + out.Region,
		"AWS_ENDPOINT_URL=" + s.Moto.URL,
		// The local AWS accepts any key: these stand in for the TVM role's session.
		"AWS_ACCESS_KEY_ID=AKIALOCALTVMROLE0000",
		"AWS_SECRET_ACCESS_KEY=local-tvm-role-session",
		"AWS_LAMBDA_FUNCTION_NAME=" + out.FunctionName,
	}
	keys := make([]string, 0, len(out.Environment))
	for k := range out.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+out.Environment[k])
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	args := []string{rie, "--runtime-interface-emulator-address", addr,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", ports[1]), r.BootstrapPath(runtime.GOARCH)}
	p, err := StartBackground("aws-lambda-rie", args, env, r.Root, r.path(filepath.Join(StateDir, "logs", "tvm.log")))
	if err != nil {
		return err
	}
	p.URL = "http://" + addr
	s.RIE = &p
	if err := r.saveState(*s); err != nil {
		return err
	}
	return WaitHTTP(ctx, p, p.URL+"/", 30*time.Second)
}

type frontIdentity struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	ARN             string `json:"arn"`
	AccountID       string `json:"accountId"`
}

func (r *Runner) startFront(ctx context.Context, s *LocalState, out LocalOutputs) error {
	if s.Front != nil {
		_ = s.Front.Stop(5 * time.Second)
		s.Front = nil
	}
	var ids []frontIdentity
	for _, k := range []string{"allowed", "denied"} {
		d := out.DemoIdentities[k]
		ids = append(ids, frontIdentity{AccessKeyID: d.AccessKeyID, SecretAccessKey: d.SecretAccessKey, ARN: d.ARN, AccountID: out.AccountID})
	}
	data, err := json.MarshalIndent(ids, "", "  ")
	if err != nil {
		return err
	}
	idFile := r.path(filepath.Join(StateDir, "identities.json"))
	if err := writePrivate(idFile, data); err != nil {
		return err
	}
	urlFile := r.path(filepath.Join(StateDir, "front.url"))
	_ = os.Remove(urlFile)
	args := []string{r.CLIPath(), "local-front", "--invoke-url", s.RIE.URL, "--identities", idFile,
		"--region", out.Region, "--account-id", out.AccountID, "--url-file", urlFile}
	p, err := StartBackground("vend local-front", args, os.Environ(), r.Root, r.path(filepath.Join(StateDir, "logs", "front.log")))
	if err != nil {
		return err
	}
	p.Match = "local-front"
	s.Front = &p
	if err := r.saveState(*s); err != nil {
		return err
	}
	url, err := WaitFile(ctx, p, urlFile, 30*time.Second)
	if err != nil {
		return err
	}
	s.Front.URL = strings.TrimSuffix(url, "/")
	return r.saveState(*s)
}

func (r *Runner) writeLocalEnv(s LocalState, out LocalOutputs) error {
	allowed := out.DemoIdentities["allowed"]
	lines := []string{
		"# Written by `go tool mage deploy`: the local vend stack. Source it in a shell:",
		"#   . " + LocalEnvFile,
		"# It holds a demo caller's secret key for the local AWS only. Remove the stack with `go tool mage destroy`.",
		"export VEND_REMOTE_SERVER=" + shellQuote(s.Front.URL),
		"export AWS_ENDPOINT_URL=" + shellQuote(s.Moto.URL),
		"export AWS_REGION=" + shellQuote(out.Region),
		"export AWS_DEFAULT_REGION=" + shellQuote(out.Region),
		"export AWS_ACCESS_KEY_ID=" + shellQuote(allowed.AccessKeyID),
		"export AWS_SECRET_ACCESS_KEY=" + shellQuote(allowed.SecretAccessKey),
		"export VEND_DEMO_ALLOWED_PROFILE=" + shellQuote(out.AllowedProfile),
		"export VEND_DEMO_DENIED_PROFILE=" + shellQuote(out.DeniedProfile),
		"",
	}
	return writePrivate(r.path(LocalEnvFile), []byte(strings.Join(lines, "\n")))
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// SmokeTest proves vending works using only an env file and the built vend: the allowed
// profile gives the AWS CLI the role's session, the denied one is refused with a rule.
func (r *Runner) SmokeTest(ctx context.Context, envFile, allowedRoleARN string) error {
	env, err := ReadEnvFile(envFile)
	if err != nil {
		return err
	}
	get := func(k string) string {
		for _, kv := range env {
			if strings.HasPrefix(kv, k+"=") {
				return strings.TrimPrefix(kv, k+"=")
			}
		}
		return ""
	}
	allowed, denied := get("VEND_DEMO_ALLOWED_PROFILE"), get("VEND_DEMO_DENIED_PROFILE")
	base := append(cleanEnv(), env...)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, r.CLIPath(), "exec", allowed, "--", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	cmd.Env = base
	var stderr strings.Builder
	cmd.Stderr = &stderr
	arnOut, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("vend exec %s -- aws sts get-caller-identity failed: %v\n%s", allowed, err, stderr.String())
	}
	arn := strings.TrimSpace(string(arnOut))
	if want := assumedRolePrefix(allowedRoleARN); allowedRoleARN != "" && !strings.HasPrefix(arn, want) {
		return fmt.Errorf("the AWS CLI saw %q, want a session of %s (%s...)", arn, allowedRoleARN, want)
	}
	if !strings.Contains(arn, ":assumed-role/") {
		return fmt.Errorf("the AWS CLI saw %q, not an assumed-role session", arn)
	}
	fmt.Fprintf(r.Stdout, "    allowed: vend exec %s -- aws sts get-caller-identity → %s\n", allowed, arn)

	cmd = exec.CommandContext(ctx, r.CLIPath(), "exec", denied, "--", "aws", "sts", "get-caller-identity")
	cmd.Env = base
	stderr.Reset()
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		return fmt.Errorf("vend exec %s should be denied with exit code 3, got %v\n%s", denied, err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "rule") {
		return fmt.Errorf("the denial does not name the deciding rule:\n%s", stderr.String())
	}
	fmt.Fprintf(r.Stdout, "    denied:  vend exec %s → %s", denied, stderr.String())
	return nil
}

// assumedRolePrefix turns arn:aws:iam::A:role/path/NAME into arn:aws:sts::A:assumed-role/NAME/.
func assumedRolePrefix(roleARN string) string {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "role/") {
		return roleARN
	}
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	return fmt.Sprintf("%s:%s:sts::%s:assumed-role/%s/", parts[0], parts[1], parts[4], name)
}

// cleanEnv is the environment without AWS and vend settings, so the smoke test sees
// only what the env file says.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "VEND_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// ReadEnvFile reads the `export KEY='value'` lines that writeLocalEnv writes.
func ReadEnvFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w (run `go tool mage deploy` first)", path, err)
	}
	var env []string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want export KEY=VALUE", path, i+1)
		}
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
		}
		env = append(env, k+"="+v)
	}
	return env, nil
}

func (r *Runner) printLocalHowTo(s LocalState, out LocalOutputs) {
	fmt.Fprintf(r.Stdout, `
vend is running on the local AWS.
  TVM (Function URL front): %s
  local AWS (moto_server):  %s
  logs:                     %s/logs/

Try it:
  . %s
  %s exec "$VEND_DEMO_ALLOWED_PROFILE" -- aws sts get-caller-identity
  %s exec "$VEND_DEMO_DENIED_PROFILE" -- aws sts get-caller-identity   # denied, with the rule and reason
  %s profiles
  %s whoami

Stop and remove it: go tool mage destroy
`, s.Front.URL, s.Moto.URL, StateDir, LocalEnvFile, rel(r.CLIPath(), r.Root), rel(r.CLIPath(), r.Root), rel(r.CLIPath(), r.Root), rel(r.CLIPath(), r.Root))
}

func rel(path, root string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}

// DestroyLocal destroys the local example's resources and stops every process deploy
// started. It works after a failed or partial deploy too.
func (r *Runner) DestroyLocal(ctx context.Context) error {
	state, err := r.loadState()
	if errors.Is(err, errNoState) {
		fmt.Fprintln(r.Stdout, "no local stack state: nothing to destroy")
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	if _, statErr := os.Stat(r.localTFState()); statErr == nil && state.Moto != nil && state.Moto.Alive() {
		errs = append(errs, r.Step("terraform destroy "+localExample, func() error {
			env, err := r.terraformEnv()
			if err != nil {
				return err
			}
			env = append(env, "AWS_ENDPOINT_URL="+state.Moto.URL)
			chdir := "-chdir=" + localExample
			if err := r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "init", "-input=false", "-no-color"}}); err != nil {
				return err
			}
			return r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "destroy", "-input=false", "-auto-approve", "-no-color",
				"-state=" + r.localTFState(), "-var", "endpoint=" + state.Moto.URL, "-var", "lambda_zip=" + r.LambdaZipPath(runtime.GOARCH),
				"-var", "architecture=" + lambdaArch(runtime.GOARCH)}})
		}))
	}
	for _, p := range []*Proc{state.Front, state.RIE, state.Moto} {
		if p == nil {
			continue
		}
		errs = append(errs, r.Step("stop "+p.Name, func() error { return p.Stop(10 * time.Second) }))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, f := range []string{stateFile, LocalEnvFile, ".vend/identities.json", ".vend/front.url", ".vend/terraform/terraform.tfstate", ".vend/terraform/terraform.tfstate.backup"} {
		_ = os.Remove(r.path(f))
	}
	fmt.Fprintln(r.Stdout, "local stack destroyed")
	return nil
}

// ProviderMirror is the Terraform provider mirror to install from: VEND_TF_PROVIDER_MIRROR
// when set (empty means "download as usual"), else the machine image's mirror if present.
func ProviderMirror() string {
	if dir, ok := os.LookupEnv("VEND_TF_PROVIDER_MIRROR"); ok {
		return dir
	}
	const imageMirror = "/opt/tf-plugins"
	if st, err := os.Stat(filepath.Join(imageMirror, "registry.terraform.io", "hashicorp", "aws")); err == nil && st.IsDir() {
		return imageMirror
	}
	return ""
}

// MirrorCLIConfig is a Terraform CLI configuration that installs HashiCorp providers
// from mirror and any other provider directly.
func MirrorCLIConfig(mirror string) string {
	return fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
`, mirror)
}

const completeExample = "terraform/examples/complete"

// awsSettings are what a deploy to real AWS needs from the user's environment.
type awsSettings struct {
	TFVars       string // VEND_TFVARS: a tfvars file for examples/complete
	SmokeProfile string // VEND_SMOKE_PROFILE: a profile the deploying identity may get
	State        string // where the Terraform state lives
}

func (r *Runner) awsSettings() (awsSettings, error) {
	s := awsSettings{TFVars: os.Getenv("VEND_TFVARS"), SmokeProfile: os.Getenv("VEND_SMOKE_PROFILE"),
		State: r.path(filepath.Join(StateDir, "aws", "terraform.tfstate"))}
	var problems []string
	if s.TFVars == "" {
		problems = append(problems, "set VEND_TFVARS to a tfvars file for terraform/examples/complete (region, principal_org_id or allowed_account_ids, ...)")
	} else if _, err := os.Stat(s.TFVars); err != nil {
		problems = append(problems, fmt.Sprintf("VEND_TFVARS=%s: %v", s.TFVars, err))
	}
	if len(problems) > 0 {
		return s, errors.New("VEND_TARGET=aws deploys to a real AWS account:\n  - " + strings.Join(problems, "\n  - "))
	}
	return s, nil
}

// DeployAWS applies examples/complete to the AWS account of the caller's credentials,
// then smoke-tests the real Function URL through vend exec when VEND_SMOKE_PROFILE is set.
func (r *Runner) DeployAWS(ctx context.Context) error {
	s, err := r.awsSettings()
	if err != nil {
		return err
	}
	if missing := r.MissingTools(ctx, []Tool{DeployTools[0], DeployTools[2]}); len(missing) > 0 {
		return errors.New("deploy needs:\n" + DescribeMissing(missing))
	}
	if err := r.Step("check AWS credentials", func() error {
		return r.Run(ctx, Cmd{Args: []string{"aws", "sts", "get-caller-identity", "--output", "text"}})
	}); err != nil {
		return fmt.Errorf("%w\nset AWS credentials for the account to deploy to (AWS_PROFILE, SSO or keys)", err)
	}
	if err := r.BuildAll(ctx); err != nil {
		return err
	}
	env := []string{"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0", "TF_DATA_DIR=" + r.path(filepath.Join(StateDir, "aws", "data"))}
	chdir := "-chdir=" + completeExample
	if err := r.Step("terraform apply "+completeExample, func() error {
		if err := os.MkdirAll(filepath.Dir(s.State), 0o700); err != nil {
			return err
		}
		if err := r.Run(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "init", "-input=false"}}); err != nil {
			return err
		}
		// Real resources in a real account: Terraform shows the plan and asks, unless the
		// user says VEND_AUTO_APPROVE=true (for pipelines that reviewed the plan).
		args := []string{"terraform", chdir, "apply", "-state=" + s.State,
			"-var-file=" + s.TFVars, "-var", "lambda_zip=" + r.LambdaZipPath("arm64"), "-var", "architecture=arm64"}
		if os.Getenv("VEND_AUTO_APPROVE") == "true" {
			args = append(args, "-auto-approve", "-input=false")
		}
		return r.Run(ctx, Cmd{Env: awsApplyEnv(env), Args: args, Interactive: true})
	}); err != nil {
		return err
	}
	url, err := r.Output(ctx, Cmd{Env: env, Args: []string{"terraform", chdir, "output", "-raw", "-state=" + s.State, "url"}})
	if err != nil {
		return err
	}
	if s.SmokeProfile == "" {
		fmt.Fprintf(r.Stdout, "\nvend is deployed: %s\nset VEND_SMOKE_PROFILE to a profile you may get to smoke-test it, or run:\n  %s exec --remote-server %s PROFILE -- aws sts get-caller-identity\n", url, rel(r.CLIPath(), r.Root), url)
		return nil
	}
	return r.Step("smoke test through the Function URL", func() error {
		out, err := r.Output(ctx, Cmd{Args: []string{r.CLIPath(), "exec", "--remote-server", url, s.SmokeProfile, "--", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"}})
		if err != nil {
			return err
		}
		if !strings.Contains(out, ":assumed-role/") {
			return fmt.Errorf("the AWS CLI saw %q, not an assumed-role session", out)
		}
		fmt.Fprintf(r.Stdout, "    %s → %s\nvend is deployed: %s\n", s.SmokeProfile, out, url)
		return nil
	})
}

// DestroyAWS destroys what DeployAWS applied.
func (r *Runner) DestroyAWS(ctx context.Context) error {
	s, err := r.awsSettings()
	if err != nil {
		return err
	}
	env := []string{"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0", "TF_DATA_DIR=" + r.path(filepath.Join(StateDir, "aws", "data"))}
	return r.Step("terraform destroy "+completeExample, func() error {
		args := []string{"terraform", "-chdir=" + completeExample, "destroy", "-state=" + s.State,
			"-var-file=" + s.TFVars, "-var", "lambda_zip=" + r.LambdaZipPath("arm64"), "-var", "architecture=arm64"}
		if os.Getenv("VEND_AUTO_APPROVE") == "true" {
			args = append(args, "-auto-approve", "-input=false")
		}
		return r.Run(ctx, Cmd{Env: awsApplyEnv(env), Args: args, Interactive: true})
	})
}

// awsApplyEnv drops TF_INPUT=0 so that Terraform can ask for approval.
func awsApplyEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if kv != "TF_INPUT=0" {
			out = append(out, kv)
		}
	}
	return out
}
