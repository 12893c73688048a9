package project

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

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
		"export VEND_DEMO_BREAKGLASS_PROFILE=" + shellQuote(out.BreakglassProfile),
		"export VEND_DEMO_EVENTS_QUEUE_URL=" + shellQuote(out.EventsQueueURL),
		"export VEND_DEMO_APPROVAL_PROFILE=" + shellQuote(out.ApprovalProfile),
		"export VEND_DEMO_APPROVER_ACCESS_KEY_ID=" + shellQuote(out.DemoIdentities["approver"].AccessKeyID),
		"export VEND_DEMO_APPROVER_SECRET_ACCESS_KEY=" + shellQuote(out.DemoIdentities["approver"].SecretAccessKey),
		"# The organisation: the TVM in the security account, protected roles in the workload accounts.",
		"export VEND_MANAGEMENT_ACCOUNT_ID=" + shellQuote(out.ManagementAccountID),
		"export VEND_SECURITY_ACCOUNT_ID=" + shellQuote(out.SecurityAccountID),
		"export VEND_WORKLOAD_ACCOUNT_IDS=" + shellQuote(strings.Join(out.WorkloadAccountIDs, ",")),
		"export VEND_DEMO_WORKLOAD_PROFILES=" + shellQuote(strings.Join(workloadProfiles(out), ",")),
		"# A session in the security account, for reading the events queue there.",
		"export VEND_DEMO_SECURITY_ACCESS_KEY_ID=" + shellQuote(envValue(out.SecurityEnv, "AWS_ACCESS_KEY_ID")),
		"export VEND_DEMO_SECURITY_SECRET_ACCESS_KEY=" + shellQuote(envValue(out.SecurityEnv, "AWS_SECRET_ACCESS_KEY")),
		"export VEND_DEMO_SECURITY_SESSION_TOKEN=" + shellQuote(envValue(out.SecurityEnv, "AWS_SESSION_TOKEN")),
		"",
	}
	return writePrivate(r.path(LocalEnvFile), []byte(strings.Join(lines, "\n")))
}

// workloadProfiles lists, for each workload account in order, the profile the allowed
// demo caller gets there.
func workloadProfiles(out LocalOutputs) []string {
	ps := make([]string, 0, len(out.WorkloadAccountIDs))
	for _, a := range out.WorkloadAccountIDs {
		ps = append(ps, out.WorkloadProfiles[a])
	}
	return ps
}

// envValue is the value of key in a KEY=VALUE list, or "".
func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// SmokeTest proves vending works using only an env file and the built vend: the allowed
// profile gives the AWS CLI the role's session, the denied one is refused with a rule,
// and the break-glass one is refused without a reason and vended with one.
func (r *Runner) SmokeTest(ctx context.Context, envFile, allowedRoleARN string) error {
	env, err := ReadEnvFile(envFile)
	if err != nil {
		return err
	}
	get := func(k string) string { return envValue(env, k) }
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

	// One TVM in the security account, a session in each workload account.
	accounts, profiles := strings.Split(get("VEND_WORKLOAD_ACCOUNT_IDS"), ","), strings.Split(get("VEND_DEMO_WORKLOAD_PROFILES"), ",")
	if len(accounts) < 2 || len(accounts) != len(profiles) {
		return fmt.Errorf("%s names workload accounts %q and profiles %q: want two or more, one profile each", envFile, accounts, profiles)
	}
	for i, account := range accounts {
		cmd := exec.CommandContext(ctx, r.CLIPath(), "exec", profiles[i], "--", "aws", "sts", "get-caller-identity", "--query", "Account", "--output", "text")
		cmd.Env = base
		stderr.Reset()
		cmd.Stderr = &stderr
		got, err := cmd.Output()
		if err != nil || strings.TrimSpace(string(got)) != account {
			return fmt.Errorf("vend exec %s -- aws sts get-caller-identity should act in workload account %s, got %q (%v)\n%s", profiles[i], account, got, err, stderr.String())
		}
	}
	fmt.Fprintf(r.Stdout, "    accounts: the TVM in %s vends %s into %s\n", get("VEND_SECURITY_ACCOUNT_ID"), strings.Join(profiles, ", "), strings.Join(accounts, ", "))

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

	breakglass := get("VEND_DEMO_BREAKGLASS_PROFILE")
	cmd = exec.CommandContext(ctx, r.CLIPath(), "exec", breakglass, "--", "true")
	cmd.Env = base
	stderr.Reset()
	cmd.Stderr = &stderr
	if err := cmd.Run(); !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 || !strings.Contains(stderr.String(), "--reason") {
		return fmt.Errorf("vend exec %s without --reason should be refused with exit code 3 and say how, got %v\n%s", breakglass, err, stderr.String())
	}
	cmd = exec.CommandContext(ctx, r.CLIPath(), "exec", "--no-cache", "--reason", "smoke test of the local deploy", breakglass, "--",
		"aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	cmd.Env = base
	stderr.Reset()
	cmd.Stderr = &stderr
	if arnOut, err = cmd.Output(); err != nil || !strings.Contains(string(arnOut), ":assumed-role/") {
		return fmt.Errorf("vend exec --reason ... %s should vend, got %v %q\n%s", breakglass, err, arnOut, stderr.String())
	}
	fmt.Fprintf(r.Stdout, "    break-glass: refused without --reason; with one → %s", arnOut)
	return r.smokeApproval(ctx, base, get)
}

// smokeApproval walks request → approve → exec on the approval profile.
func (r *Runner) smokeApproval(ctx context.Context, base []string, get func(string) string) error {
	profile := get("VEND_DEMO_APPROVAL_PROFILE")
	run := func(env []string, args ...string) (string, string, int) {
		cmd := exec.CommandContext(ctx, r.CLIPath(), args...)
		cmd.Env = env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else if err != nil {
			code = -1
		}
		return stdout.String(), stderr.String(), code
	}
	approver := append(slices.Clone(base), "AWS_ACCESS_KEY_ID="+get("VEND_DEMO_APPROVER_ACCESS_KEY_ID"), "AWS_SECRET_ACCESS_KEY="+get("VEND_DEMO_APPROVER_SECRET_ACCESS_KEY"))
	before := "refused before"
	switch _, stderr, code := run(base, "exec", "--no-cache", profile, "--", "true"); {
	case code == 0:
		// A deploy that reused the local AWS keeps the grant an earlier smoke test got.
		before = "a grant from an earlier deploy still live"
	case code != 3 || !strings.Contains(stderr, "vend request"):
		return fmt.Errorf("vend exec %s before approval should be refused with exit code 3 and say how to ask, got %d\n%s", profile, code, stderr)
	}
	id, stderr, code := run(base, "request", profile, "--reason", "smoke test of the local deploy")
	id = strings.TrimSpace(id)
	if code != 0 || !strings.HasPrefix(id, "req-") {
		return fmt.Errorf("vend request %s: exit %d, printed %q\n%s", profile, code, id, stderr)
	}
	if _, stderr, code := run(base, "approve", id); code != 3 {
		return fmt.Errorf("the requester approving their own request should be refused with exit code 3, got %d\n%s", code, stderr)
	}
	if out, stderr, code := run(approver, "approve", id); code != 0 || !strings.Contains(out, "approved") {
		return fmt.Errorf("vend approve %s as the demo approver: exit %d\n%s%s", id, code, out, stderr)
	}
	out, stderr, code := run(base, "exec", "--no-cache", profile, "--", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if code != 0 || !strings.Contains(out, ":assumed-role/") {
		return fmt.Errorf("vend exec %s after approval: exit %d, %q\n%s", profile, code, out, stderr)
	}
	fmt.Fprintf(r.Stdout, "    approval: %s; request %s approved by the demo approver → %s", before, id, out)
	// Revocation: the grant ends, and the role's revocation policy denies the sessions
	// already issued.
	revoked, stderr, code := run(approver, "revoke", "--request", id, "--comment", "smoke test")
	if code != 0 || !strings.Contains(revoked, "  denied") {
		return fmt.Errorf("vend revoke --request %s as the demo approver: exit %d\n%s%s", id, code, revoked, stderr)
	}
	if _, stderr, code := run(base, "exec", "--no-cache", profile, "--", "true"); code != 3 || !strings.Contains(stderr, "vend request") {
		return fmt.Errorf("vend exec %s after revocation should be refused with exit code 3, got %d\n%s", profile, code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(revoked), "\n")
	fmt.Fprintf(r.Stdout, "    revoke: request %s revoked; its sessions are denied on %s, and vend exec is refused\n", id, strings.Fields(lines[len(lines)-1])[0])
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

// scheduledEvent is what EventBridge sends for the tvm module's sweep schedule.
const scheduledEvent = `{"version":"0","id":"00000000-0000-0000-0000-000000000000","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/vend-tvm-sweep"],"detail":{}}`

// smokeSweep invokes the real bootstrap under the emulator with a scheduled event, as
// the sweep schedule does on AWS (moto's EventBridge fires no schedule): the TVM must
// sweep its state table and say so.
func (r *Runner) smokeSweep(ctx context.Context, rieURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The emulator's invoke path (localfront.RIEPath).
	invokeURL := rieURL + "/2015-03-31/functions/function/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, invokeURL, strings.NewReader(scheduledEvent))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("invoke the TVM with a scheduled event: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var res struct {
		OK      *bool `json:"ok"`
		Expired int   `json:"expired"`
		Pruned  int   `json:"pruned"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &res) != nil || res.OK == nil || !*res.OK {
		return fmt.Errorf("the sweep answered %d %s (see %s/logs/ for the TVM's sweep line)", resp.StatusCode, body, StateDir)
	}
	fmt.Fprintf(r.Stdout, "    sweep: %d expiries published, %d revocation policies pruned\n", res.Expired, res.Pruned)
	return nil
}
