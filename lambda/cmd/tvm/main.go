// Command tvm is the vend token vending machine's Lambda entry point. It only reads the
// configuration from the environment, builds the AWS clients once per container, wires
// the packages together and starts the Lambda runtime loop; all logic lives in the
// packages it wires.
//
// Build (provided.al2023, arm64):
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath \
//	  -ldflags "-s -w -X main.version=1.0.0" -o bootstrap ./cmd/tvm
//
// Environment:
//
//	VEND_POLICY_FILE             policy file path (default: policy.yaml next to the binary, when present)
//	VEND_POLICY_PARAMETER        SSM parameter name holding the policy (exactly one of the two)
//	VEND_POLICY_TTL              how long an SSM policy is cached, a Go duration (default 60s)
//	VEND_POLICY_MAX_STALENESS    how long the last valid SSM policy is served while SSM throttles,
//	                             fails or cannot be reached, counted from the last successful read:
//	                             a Go duration from VEND_POLICY_TTL to 24h (default 15m, or the TTL
//	                             when that is longer); it cannot be turned off. A deleted or
//	                             unreadable parameter refuses at the next refresh whatever it says
//	VEND_SOURCE_IDENTITY_PREFIX  prefix of SourceIdentity and RoleSessionName (default vend-)
//	VEND_SESSION_TAGS            true/false: set the vend-* session tags (default true)
//	VEND_RATE_LIMIT              requests per second per caller and container, 0 = off (default 10)
//	VEND_LOG_LEVEL               debug, info, warn or error for operational lines (default info);
//	                             decision lines are always written
//	VEND_STATE_TABLE             DynamoDB table of access requests and grants; without it a rule
//	                             that needs approval vends nothing (503 state_unavailable). With
//	                             it, the rate limit is kept there too, across all containers, and
//	                             revocation is on: the TVM writes the revocation policies of
//	                             protected roles (iam:CreatePolicyVersion under /vend-revocation/)
//	VEND_REVOCATION_WRITER_PATH  IAM path of the vend-revocation-writer role the TVM assumes to write
//	                             the revocation policy of a protected role in another account
//	                             (default /vend/); roles in the TVM's own account are written with
//	                             its own credentials
//	VEND_RATE_LIMIT_WHEN_STATE_DOWN  refuse (default: 503 state_unavailable) or local (each
//	                             container's own limit) while the state table cannot be reached
//	VEND_EVENTS_TOPIC_ARN        SNS topic for access-workflow events (break-glass alerts); without
//	                             it a break-glass rule vends nothing (503 events_unavailable)
//
// An invalid configuration does not crash the function: it logs config_invalid at cold
// start and answers every request 500 internal_error, each with its decision line.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // policy time windows name IANA zones; provided.al2023 has no zoneinfo

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vend-tvm/vend/internal/arn"
	"github.com/vend-tvm/vend/lambda/assume"
	"github.com/vend-tvm/vend/lambda/awsenv"
	"github.com/vend-tvm/vend/lambda/events"
	"github.com/vend-tvm/vend/lambda/handler"
	"github.com/vend-tvm/vend/lambda/iampolicy"
	"github.com/vend-tvm/vend/lambda/identity"
	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/store"
	"github.com/vend-tvm/vend/lambda/tvm"
)

// Set with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

// Defaults for the environment variables.
const (
	defaultPolicyFileName = "policy.yaml"
	defaultRateLimit      = 10
	// maxPolicyMaxStaleness caps VEND_POLICY_MAX_STALENESS: a bound of years is no bound.
	maxPolicyMaxStaleness = 24 * time.Hour
	// defaultWriterPath is the revocation-writer module's default path.
	defaultWriterPath = "/vend/"
)

type settings struct {
	policyFile      string
	policyParameter string
	policyTTL       time.Duration
	policyMaxStale  time.Duration
	prefix          string
	sessionTags     bool
	rateLimit       float64
	logLevel        slog.Level
	eventsTopic     arn.ARN // zero when unset
	stateTable      string
	localWhenDown   bool
	writerPath      string
}

// loadSettings reads and validates the configuration. exeDir is the binary's folder,
// where a policy.yaml is picked up when no source is configured.
func loadSettings(getenv func(string) string, exeDir string) (settings, error) {
	s := settings{
		policyFile:      strings.TrimSpace(getenv("VEND_POLICY_FILE")),
		policyParameter: strings.TrimSpace(getenv("VEND_POLICY_PARAMETER")),
		policyTTL:       policystore.DefaultTTL,
		prefix:          identity.DefaultPrefix,
		sessionTags:     true,
		rateLimit:       defaultRateLimit,
		logLevel:        slog.LevelInfo,
		writerPath:      defaultWriterPath,
	}
	var errs []error
	switch {
	case s.policyFile != "" && s.policyParameter != "":
		errs = append(errs, errors.New("set only one of VEND_POLICY_FILE and VEND_POLICY_PARAMETER"))
	case s.policyFile == "" && s.policyParameter == "":
		p := filepath.Join(exeDir, defaultPolicyFileName)
		if _, err := os.Stat(p); err != nil {
			errs = append(errs, fmt.Errorf("no policy source: set VEND_POLICY_FILE or VEND_POLICY_PARAMETER (no %s next to the binary)", defaultPolicyFileName))
		} else {
			s.policyFile = p
		}
	}
	if v := getenv("VEND_POLICY_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			errs = append(errs, fmt.Errorf("VEND_POLICY_TTL=%q: want a Go duration of at least 1s, such as 60s", v))
		} else {
			s.policyTTL = d
		}
	}
	s.policyMaxStale = max(policystore.DefaultMaxStaleness, s.policyTTL)
	if v := getenv("VEND_POLICY_MAX_STALENESS"); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil || d <= 0:
			errs = append(errs, fmt.Errorf("VEND_POLICY_MAX_STALENESS=%q: want a Go duration such as 15m: how long the last valid policy may be served while SSM cannot be read (it cannot be turned off)", v))
		case d < s.policyTTL || d > maxPolicyMaxStaleness:
			errs = append(errs, fmt.Errorf("VEND_POLICY_MAX_STALENESS=%q: want from VEND_POLICY_TTL (%s) to %s", v, s.policyTTL, maxPolicyMaxStaleness))
		default:
			s.policyMaxStale = d
		}
	}
	if v, ok := lookup(getenv, "VEND_SOURCE_IDENTITY_PREFIX"); ok {
		if err := identity.ValidatePrefix(v); err != nil {
			errs = append(errs, fmt.Errorf("VEND_SOURCE_IDENTITY_PREFIX=%q: %w", v, err))
		} else {
			s.prefix = v
		}
	}
	if v := getenv("VEND_SESSION_TAGS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("VEND_SESSION_TAGS=%q: want true or false", v))
		} else {
			s.sessionTags = b
		}
	}
	if v := getenv("VEND_RATE_LIMIT"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1e6 || r != r {
			errs = append(errs, fmt.Errorf("VEND_RATE_LIMIT=%q: want requests per second, 0 to turn it off", v))
		} else {
			s.rateLimit = r
		}
	}
	if v := strings.TrimSpace(getenv("VEND_STATE_TABLE")); v != "" {
		if !validTableName(v) {
			errs = append(errs, fmt.Errorf("VEND_STATE_TABLE=%q: want a DynamoDB table name (3-255 letters, digits, '_', '-', '.')", v))
		} else {
			s.stateTable = v
		}
	}
	if v := strings.TrimSpace(getenv("VEND_REVOCATION_WRITER_PATH")); v != "" {
		if !validRolePath(v) {
			errs = append(errs, fmt.Errorf("VEND_REVOCATION_WRITER_PATH=%q: want an IAM path such as /vend/ (starts and ends with /, at most 512 characters)", v))
		} else {
			s.writerPath = v
		}
	}
	switch v := strings.TrimSpace(getenv("VEND_RATE_LIMIT_WHEN_STATE_DOWN")); v {
	case "", "refuse":
	case "local":
		s.localWhenDown = true
	default:
		errs = append(errs, fmt.Errorf("VEND_RATE_LIMIT_WHEN_STATE_DOWN=%q: want refuse (the default) or local", v))
	}
	if v := strings.TrimSpace(getenv("VEND_EVENTS_TOPIC_ARN")); v != "" {
		a, err := arn.Parse(v)
		if err != nil || a.Service != "sns" || a.Region == "" || !arn.ValidAccountID(a.AccountID) || a.Resource == "" || strings.Contains(a.Resource, ":") {
			errs = append(errs, fmt.Errorf("VEND_EVENTS_TOPIC_ARN=%q: want an SNS topic ARN, arn:aws:sns:REGION:ACCOUNT:NAME", v))
		} else {
			s.eventsTopic = a
		}
	}
	if v := getenv("VEND_LOG_LEVEL"); v != "" {
		if err := s.logLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("VEND_LOG_LEVEL=%q: want debug, info, warn or error", v))
		}
	}
	return s, errors.Join(errs...)
}

// validRolePath is IAM's rule for paths: / or /segments/ of printable ASCII.
func validRolePath(s string) bool {
	if len(s) > 512 || !strings.HasPrefix(s, "/") || !strings.HasSuffix(s, "/") {
		return false
	}
	for _, r := range s {
		if r < '!' || r > '~' {
			return false
		}
	}
	return true
}

// validTableName is DynamoDB's rule for table names.
func validTableName(s string) bool {
	if len(s) < 3 || len(s) > 255 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// topicARN is the events topic's ARN, or "" when none is configured.
func (s settings) topicARN() string {
	if s.eventsTopic.Resource == "" {
		return ""
	}
	return s.eventsTopic.String()
}

// lookup treats an empty value as unset, as the other variables do.
func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

// build wires the handler. It never fails: a configuration error becomes a handler that
// refuses every request and says why in the logs.
func build(ctx context.Context, getenv func(string) string, s settings, cfgErr error, logger, decisions *slog.Logger) *handler.Handler {
	hopts := []handler.Option{handler.WithLogger(logger), handler.WithDecisionLogger(decisions), handler.WithVersion(version), handler.WithBuild(commit, date)}
	fail := func(err error) *handler.Handler {
		logger.Error("config_invalid", slog.String("error", err.Error()), slog.String("tvm_version", version))
		return handler.New(nil, append(hopts, handler.WithStartupError(err))...)
	}
	if cfgErr != nil {
		return fail(cfgErr)
	}
	awsCfg, err := awsenv.Config(getenv)
	if err != nil {
		return fail(fmt.Errorf("aws configuration: %w", err))
	}
	var src tvm.PolicySource
	source := ""
	if s.policyFile != "" {
		fs := policystore.File(s.policyFile)
		if err := fs.Err(); err != nil {
			// Fail closed, but keep answering: every request gets 403 policy_invalid.
			logger.Error("policy_invalid", slog.String("policy_file", s.policyFile), slog.String("error", err.Error()))
		}
		src, source = fs, "file:"+s.policyFile
	} else {
		src = policystore.SSM(ssm.NewFromConfig(awsenv.ForService(awsCfg, getenv, "SSM")), s.policyParameter, s.policyTTL,
			policystore.WithMaxStaleness(s.policyMaxStale), policystore.WithLogger(logger))
		source = "ssm:" + s.policyParameter
	}
	topts := []tvm.Option{
		tvm.WithSourceIdentityPrefix(s.prefix),
		tvm.WithSessionTags(s.sessionTags),
		tvm.WithRateLimit(s.rateLimit, int(2*s.rateLimit)),
		tvm.WithVersion(version),
	}
	if topic := s.topicARN(); topic != "" {
		snsCfg := awsenv.ForService(awsCfg, getenv, "SNS")
		snsCfg.Region = s.eventsTopic.Region // the topic's region, wherever the TVM runs
		topts = append(topts, tvm.WithEvents(events.NewSNS(sns.NewFromConfig(snsCfg), topic)))
	}
	if s.stateTable != "" {
		st := store.New(dynamodb.NewFromConfig(awsenv.ForService(awsCfg, getenv, "DynamoDB")), s.stateTable)
		writer, err := revocationWriter(awsCfg, getenv, s.writerPath)
		if err != nil {
			return fail(err)
		}
		topts = append(topts, tvm.WithState(st), tvm.WithSharedRateLimit(st, s.localWhenDown), tvm.WithRevocation(st, writer))
	}
	topts = append(topts, tvm.WithEventErrors(func(typ, id string, err error) {
		logger.Error("event_unpublished", slog.String("event_type", typ), slog.String("access_request_id", id), slog.String("error", err.Error()))
	}))
	svc, err := tvm.New(assume.New(assume.NewClient(awsenv.ForService(awsCfg, getenv, "STS"))), src, topts...)
	if err != nil {
		return fail(err)
	}
	logger.Info("tvm_started",
		slog.String("tvm_version", version), slog.String("commit", commit), slog.String("date", date),
		slog.String("policy_source", source), slog.String("policy_ttl", s.policyTTL.String()),
		slog.String("policy_max_staleness", s.policyMaxStale.String()), slog.Bool("session_tags", s.sessionTags),
		slog.Float64("rate_limit", s.rateLimit), slog.String("source_identity_prefix", s.prefix),
		slog.String("events_topic", s.topicARN()), slog.String("state_table", s.stateTable),
		slog.String("revocation_writer_path", s.writerPath))
	return handler.New(svc, hopts...)
}

// revocationWriter publishes revocation policies through the IAM of each policy's
// account: the TVM's own credentials there, the writer role elsewhere, each through an
// IAM client whose credentials STS refreshes before they expire.
func revocationWriter(awsCfg aws.Config, getenv func(string) string, writerPath string) (*iampolicy.Accounts, error) {
	iamCfg := awsenv.ForService(awsCfg, getenv, "IAM")
	stsClient := sts.NewFromConfig(awsenv.ForService(awsCfg, getenv, "STS"))
	return iampolicy.NewAccounts(iampolicy.CallerAccount(stsClient), iam.NewFromConfig(iamCfg), writerPath, iampolicy.ThroughRole(iamCfg, stsClient))
}

func main() {
	exeDir := "."
	if exe, err := os.Executable(); err == nil {
		exeDir = filepath.Dir(exe)
	}
	s, cfgErr := loadSettings(os.Getenv, exeDir)
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: s.logLevel}))
	// Decision lines are the audit trail: always at info, whatever VEND_LOG_LEVEL says.
	decisions := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	lambda.Start(build(context.Background(), os.Getenv, s, cfgErr, logger, decisions))
}
