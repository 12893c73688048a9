//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vend-tvm/vend/internal/localfront"
	"github.com/vend-tvm/vend/internal/revocation"
	"github.com/vend-tvm/vend/internal/testkit"
	"github.com/vend-tvm/vend/lambda/assume"
	"github.com/vend-tvm/vend/lambda/events"
	"github.com/vend-tvm/vend/lambda/handler"
	"github.com/vend-tvm/vend/lambda/iampolicy"
	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/store"
	"github.com/vend-tvm/vend/lambda/tvm"
)

const (
	region    = "us-east-1"
	accountID = "123456789012" // moto's default account: a workload account, the callers' and the demo roles'
	// securityAccount holds the TVM, as in the founding topology: its role assumes the
	// roles of the workload accounts and writes their revocation policies through each
	// account's revocation writer.
	securityAccount = "111111111111"
	tvmRoleARN      = "arn:aws:iam::" + securityAccount + ":role/vend-tvm/vend-tvm"
	// prodAccount is a second workload account.
	prodAccount = "222222222222"
	orgID       = "o-e2etest0001"

	allowedProfile    = "demo-readonly"
	adminProfile      = "demo-admin"
	breakglassProfile = "demo-breakglass"
	approvalProfile   = "demo-elevated"
)

// e2ePolicy is the policy the TVM under test enforces: alice may get demo-readonly,
// mallory is denied everything by an explicit rule, nobody may get demo-admin, and alice
// may have demo-breakglass (the same role) with a reason, which publishes an event.
const e2ePolicy = `version: 1
profiles:
  demo-readonly:
    role_arn: arn:aws:iam::123456789012:role/vend/demo-readonly
    max_duration: 1h
    description: Read-only access for the end-to-end tests
  demo-prod-readonly:
    role_arn: arn:aws:iam::222222222222:role/vend/demo-readonly
    max_duration: 1h
    description: Read-only access to the second workload account
  demo-admin:
    role_arn: arn:aws:iam::123456789012:role/vend/demo-admin
    max_duration: 30m
  demo-breakglass:
    role_arn: arn:aws:iam::123456789012:role/vend/demo-admin
    max_duration: 15m
  demo-elevated:
    role_arn: arn:aws:iam::123456789012:role/vend/demo-admin
    max_duration: 15m
  demo-scoped:
    role_arn: arn:aws:iam::222222222222:role/vend/demo-readonly
    description: The second workload account's role, for agents only with a scope
rules:
  - name: contractors-denied
    effect: deny
    principals: ["arn:aws:iam::123456789012:user/contractors/*"]
    profiles: ["*"]
    reason: Contractors never get vend credentials
  - name: engineers-readonly
    effect: allow
    principals: ["arn:aws:iam::123456789012:user/engineers/*"]
    accounts: ["123456789012"]
    profiles: ["demo-readonly", "demo-prod-readonly"]
    reason: Engineers may read
  - name: engineers-break-glass
    effect: allow
    principals: ["arn:aws:iam::123456789012:user/engineers/*"]
    profiles: ["demo-breakglass"]
    break_glass: true
  - name: engineers-scoped
    effect: allow
    principals: ["arn:aws:iam::123456789012:user/engineers/*"]
    profiles: ["demo-scoped"]
    require_scope: true
  - name: engineers-elevated-with-approval
    effect: allow
    principals: ["arn:aws:iam::123456789012:user/engineers/*"]
    profiles: ["demo-elevated"]
    approval:
      approvers: ["arn:aws:iam::123456789012:user/leads/*", "arn:aws:iam::123456789012:user/engineers/*"]
      approvals: 1
      grant: 1h
administrators: ["arn:aws:iam::123456789012:user/leads/*"]
`

// user is a demo caller created in moto: its base credentials sign requests to the TVM.
type user struct {
	Name, Path      string
	ARN, UserID     string
	AccessKeyID     string
	SecretAccessKey string
}

// stack is everything the tests talk to, started once by TestMain.
type stack struct {
	dir     string // scratch folder: HOME, configs, built clients, logs
	moto    *testkit.Moto
	tvmCfg  aws.Config // the TVM role's session in the security account
	motoLog string
	tvmURL  string // the loopback Function URL front
	topic   string // the TVM's events topic
	vendBin string
	goBin   string // the Go SDK v2 client
	alice   user   // allowed demo-readonly
	mallory user   // denied by contractors-denied
	bob     user   // a lead: approves demo-elevated requests, administrator

	eventsQueueURL string // SQS queue subscribed, raw, to the TVM's events topic

	decisions *testkit.Buffer // the TVM's decision log
	frontLog  *testkit.Buffer // the front's request log
	stopFront func(context.Context) error

	secretsMu sync.Mutex
	secrets   []string // every secret seen; no log may contain one
}

var (
	env      *stack
	setupErr error
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	env, setupErr = setup(ctx)
	cancel()
	if setupErr != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", setupErr)
	}
	code := m.Run()
	if env != nil {
		if code == 0 {
			if err := env.checkNoSecretsInLogs(); err != nil {
				fmt.Fprintln(os.Stderr, "FAIL: secret in logs:", err)
				code = 1
			}
		}
		env.teardown()
	}
	return code
}

// needStack skips (outside CI) or fails (in CI) a test when the stack could not start.
func needStack(t *testing.T) *stack {
	t.Helper()
	if setupErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("end-to-end stack did not start: %v", setupErr)
		}
		t.Skipf("end-to-end stack did not start (fails under CI=true): %v", setupErr)
	}
	return env
}

// needTool skips (outside CI) or fails (in CI) a test when an external program is missing.
func needTool(t *testing.T, name string, check ...string) {
	t.Helper()
	if len(check) == 0 {
		check = []string{name, "--version"}
	}
	testkit.RequireTool(t, name, check...)
}

func setup(ctx context.Context) (*stack, error) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		return nil, fmt.Errorf("moto_server is not on PATH: install moto[server] 5.2.1")
	}
	dir, err := os.MkdirTemp("", "vend-e2e-")
	if err != nil {
		return nil, err
	}
	s := &stack{dir: dir, decisions: &testkit.Buffer{}, frontLog: &testkit.Buffer{}}
	fail := func(err error) (*stack, error) {
		s.teardown()
		return nil, err
	}
	for _, d := range []string{"home", "home/.aws", "cache", "config"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return fail(err)
		}
	}
	s.motoLog = filepath.Join(dir, "moto.log")
	// Not ctx: moto must outlive setup's deadline; teardown stops it. One request at a
	// time, so that DynamoDB's conditional writes are atomic there as on AWS (see
	// testkit.WithSerialRequests).
	if s.moto, err = testkit.StartMoto(context.Background(), testkit.WithLog(s.motoLog), testkit.WithSerialRequests()); err != nil {
		return fail(err)
	}
	s.tvmCfg = s.accountConfig(tvmRoleARN)
	if err := s.createIdentities(ctx); err != nil {
		return fail(fmt.Errorf("create identities in moto: %w", err))
	}
	if err := s.createStateTable(ctx); err != nil {
		return fail(fmt.Errorf("create the state table in moto: %w", err))
	}
	topic, err := s.createEvents(ctx)
	if err != nil {
		return fail(fmt.Errorf("create the events topic and queue in moto: %w", err))
	}
	if err := s.startTVM(topic); err != nil {
		return fail(fmt.Errorf("start the TVM: %w", err))
	}
	if s.vendBin, err = buildOrFind(ctx, dir); err != nil {
		return fail(err)
	}
	s.goBin = filepath.Join(dir, "goclient")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", s.goBin, "./goclient").CombinedOutput(); err != nil {
		return fail(fmt.Errorf("build the Go SDK client: %v\n%s", err, out))
	}
	return s, nil
}

// buildOrFind uses the vend binary mage built (VEND_BIN) or builds one.
func buildOrFind(ctx context.Context, dir string) (string, error) {
	if bin := os.Getenv("VEND_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("VEND_BIN=%s: %w", bin, err)
		}
		return bin, nil
	}
	bin := filepath.Join(dir, "vend")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/vend").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build vend: %v\n%s", err, out)
	}
	return bin, nil
}

// adminConfig acts in moto's default account with static credentials: the workload
// account's administrator, who makes the demo roles and callers.
func (s *stack) adminConfig() aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAE2EADMIN00000000", "admin-secret-not-used-by-moto", ""),
		BaseEndpoint: aws.String(s.moto.URL()),
	}
}

// accountConfig acts as roleARN, in its account (moto's STS issues a session in the
// account a role ARN names).
func (s *stack) accountConfig(roleARN string) aws.Config {
	cfg := s.adminConfig()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN))
	return cfg
}

// awsConfig is the TVM's: a session of its role in the security account, as Lambda
// gives the function. Its table, topic and queue live there.
func (s *stack) awsConfig() aws.Config { return s.tvmCfg }

func (s *stack) createIdentities(ctx context.Context) error {
	client := iam.NewFromConfig(s.adminConfig())
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + tvmRoleARN + `"},"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"]}]}`
	empty, err := revocation.Document(0, nil)
	if err != nil {
		return err
	}
	prod := iam.NewFromConfig(s.accountConfig("arn:aws:iam::" + prodAccount + ":role/OrganizationAccountAccessRole"))
	for _, r := range []struct {
		client *iam.Client
		name   string
	}{{client, "demo-readonly"}, {client, "demo-admin"}, {prod, "demo-readonly"}} {
		client, name := r.client, r.name
		if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName: aws.String(name), Path: aws.String("/vend/"), AssumeRolePolicyDocument: aws.String(trust),
		}); err != nil {
			return err
		}
		// The revocation policy, as the protected-role module makes it.
		p, err := client.CreatePolicy(ctx, &iam.CreatePolicyInput{
			PolicyName: aws.String(name), Path: aws.String(revocation.Path), PolicyDocument: aws.String(string(empty)),
		})
		if err != nil {
			return err
		}
		if _, err := client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: p.Policy.Arn}); err != nil {
			return err
		}
	}
	mk := func(name, path string) (user, error) {
		out, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String(path)})
		if err != nil {
			return user{}, err
		}
		key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			return user{}, err
		}
		u := user{
			Name: name, Path: path, ARN: *out.User.Arn, UserID: *out.User.UserId,
			AccessKeyID: *key.AccessKey.AccessKeyId, SecretAccessKey: *key.AccessKey.SecretAccessKey,
		}
		s.addSecret(u.SecretAccessKey)
		return u, nil
	}
	if s.alice, err = mk("alice", "/engineers/"); err != nil {
		return err
	}
	if s.mallory, err = mk("mallory", "/contractors/"); err != nil {
		return err
	}
	s.bob, err = mk("bob", "/leads/")
	return err
}

// stateTable is the TVM's DynamoDB table, made as the tvm module makes it.
const stateTable = "vend-e2e-state"

func (s *stack) createStateTable(ctx context.Context) error {
	return store.CreateTable(ctx, dynamodb.NewFromConfig(s.awsConfig()), stateTable)
}

// createEvents makes the TVM's events topic and a queue subscribed to it with raw
// delivery, as the local deploy does, and returns the topic's ARN.
func (s *stack) createEvents(ctx context.Context) (string, error) {
	topic, err := sns.NewFromConfig(s.awsConfig()).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vend-e2e-events")})
	if err != nil {
		return "", err
	}
	q := sqs.NewFromConfig(s.awsConfig())
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("vend-e2e-events")})
	if err != nil {
		return "", err
	}
	s.eventsQueueURL = aws.ToString(queue.QueueUrl)
	_, err = sns.NewFromConfig(s.awsConfig()).Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint:   aws.String("arn:aws:sqs:" + region + ":" + securityAccount + ":vend-e2e-events"),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	})
	return aws.ToString(topic.TopicArn), err
}

// startTVM runs the real handler in this process behind the SigV4-verifying front,
// publishing its events to topic through the real SNS client.
func (s *stack) startTVM(topic string) error {
	path := filepath.Join(s.dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(e2ePolicy), 0o600); err != nil {
		return err
	}
	s.topic = topic
	var err error
	s.tvmURL, s.stopFront, err = s.front(dynamodb.NewFromConfig(s.awsConfig()), s.decisions)
	return err
}

// front starts a TVM with its state in db (and, with it, revocation through moto's IAM)
// behind a front of its own, and returns its URL and how to stop it.
func (s *stack) front(db *dynamodb.Client, decisions io.Writer, opts ...tvm.Option) (string, func(context.Context) error, error) {
	st := store.New(db, stateTable)
	// As lambda/cmd/tvm wires it: the roles are in other accounts than the TVM's, so
	// their revocation policies are written through each account's writer role.
	stsClient := sts.NewFromConfig(s.awsConfig())
	writer, err := iampolicy.NewAccounts(iampolicy.CallerAccount(stsClient), iam.NewFromConfig(s.awsConfig()), "/vend/", iampolicy.ThroughRole(s.awsConfig(), stsClient))
	if err != nil {
		return "", nil, err
	}
	svc, err := tvm.New(assume.New(assume.NewClient(s.awsConfig())), policystore.File(filepath.Join(s.dir, "policy.yaml")),
		append([]tvm.Option{tvm.WithEvents(events.NewSNS(sns.NewFromConfig(s.awsConfig()), s.topic)), tvm.WithVersion("e2e"),
			tvm.WithState(st), tvm.WithSharedRateLimit(st, false), tvm.WithRevocation(st, writer)}, opts...)...)
	if err != nil {
		return "", nil, err
	}
	h := handler.New(svc,
		handler.WithDecisionLogger(slog.New(slog.NewJSONHandler(decisions, nil))),
		handler.WithLogger(slog.New(slog.NewJSONHandler(decisions, nil))),
		handler.WithVersion("e2e"))
	ids := []localfront.Identity{s.alice.identity(), s.mallory.identity(), s.bob.identity()}
	front, err := localfront.New(h, ids, localfront.WithRegion(region), localfront.WithAccountID(securityAccount),
		localfront.WithLogger(slog.New(slog.NewJSONHandler(s.frontLog, nil))))
	if err != nil {
		return "", nil, err
	}
	return front.Start("127.0.0.1:0")
}

func (u user) identity() localfront.Identity {
	return localfront.Identity{
		AccessKeyID: u.AccessKeyID, SecretAccessKey: u.SecretAccessKey,
		ARN: u.ARN, AccountID: accountID, UserID: u.UserID, PrincipalOrgID: orgID,
	}
}

// caller is the identity the TVM derives for u, for exact assertions on session names.
func (u user) caller(t *testing.T) identity.Caller {
	t.Helper()
	c, err := identity.FromAuthorizer(&identity.Authorizer{
		AccessKey: u.AccessKeyID, AccountID: accountID, CallerID: u.UserID,
		PrincipalOrgID: orgID, UserARN: u.ARN, UserID: u.UserID,
	})
	if err != nil {
		t.Fatalf("derive caller for %s: %v", u.ARN, err)
	}
	return c
}

func (s *stack) teardown() {
	if s.stopFront != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.stopFront(ctx)
		cancel()
	}
	if s.moto != nil {
		s.moto.Stop()
	}
	if os.Getenv("VEND_E2E_KEEP") == "" {
		os.RemoveAll(s.dir)
	} else {
		fmt.Fprintln(os.Stderr, "e2e: kept", s.dir)
	}
}

// baseEnv is a clean environment for running vend as u: a private HOME, u's base
// credentials, and the TVM and local AWS endpoints. Nothing from the developer's own
// AWS setup leaks in.
func (s *stack) baseEnv(u user) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "VEND_") || k == "HOME" || strings.HasPrefix(k, "XDG_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+filepath.Join(s.dir, "home"),
		"XDG_CACHE_HOME="+filepath.Join(s.dir, "cache", u.Name),
		"XDG_CONFIG_HOME="+filepath.Join(s.dir, "config"),
		"AWS_CONFIG_FILE="+filepath.Join(s.dir, "home", ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(s.dir, "home", ".aws", "credentials"),
		"AWS_ACCESS_KEY_ID="+u.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+u.SecretAccessKey,
		"AWS_REGION="+region,
		"AWS_DEFAULT_REGION="+region,
		"AWS_ENDPOINT_URL="+s.moto.URL(),
		"AWS_EC2_METADATA_DISABLED=true",
		"VEND_REMOTE_SERVER="+s.tvmURL,
	)
}

// result is what a finished command printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

// vend runs the vend binary as u with args, bounded in time.
func (s *stack) vend(t *testing.T, u user, extraEnv []string, args ...string) result {
	t.Helper()
	return s.run(t, append(s.baseEnv(u), extraEnv...), s.vendBin, args...)
}

func (s *stack) run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = s.dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s %v: %v", name, args, err)
	}
	s.addLog(res.stderr)
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish in time\nstderr: %s", name, args, res.stderr)
	}
	return res
}

func (s *stack) addSecret(v string) {
	if v == "" {
		return
	}
	s.secretsMu.Lock()
	s.secrets = append(s.secrets, v)
	s.secretsMu.Unlock()
}

// cliLogs collects what vend printed on stderr, which must never hold a secret either.
var cliLogs testkit.Buffer

func (s *stack) addLog(text string) { cliLogs.Write([]byte(text)) }

// checkNoSecretsInLogs scans every log the run produced for every secret it saw.
func (s *stack) checkNoSecretsInLogs() error {
	logs := map[string]string{
		"TVM decision log": s.decisions.String(),
		"front log":        s.frontLog.String(),
		"vend stderr":      cliLogs.String(),
	}
	if data, err := os.ReadFile(s.motoLog); err == nil {
		_ = data // moto's own log is not ours: it may echo what it issued.
	}
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	if len(s.secrets) < 3 {
		return fmt.Errorf("only %d secrets were collected: the scan would prove nothing", len(s.secrets))
	}
	for name, text := range logs {
		for _, secret := range s.secrets {
			if strings.Contains(text, secret) {
				return fmt.Errorf("%s contains a secret (%d chars, starting %q)", name, len(secret), secret[:4])
			}
		}
	}
	return nil
}

func newJSONLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
