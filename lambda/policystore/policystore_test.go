package policystore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/vend-tvm/vend/lambda/internal/motoserver"
	"github.com/vend-tvm/vend/lambda/policy"
)

const policyA = `version: 1
profiles:
  readonly:
    role_arn: arn:aws:iam::111111111111:role/vend/readonly
rules:
  - name: everyone-readonly
    effect: allow
    principals: ["*"]
    profiles: [readonly]
`

// policyB differs from policyA, so its hash differs.
var policyB = strings.Replace(policyA, "everyone-readonly", "all-readonly", 1)

const policyBroken = "version: 1\nprofiles: {x: {role_arn: nope}}\nrules: []\n"

func TestFile(t *testing.T) {
	dir := t.TempDir()
	write := func(t *testing.T, name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name        string
		path        string
		wantInvalid bool
	}{
		{name: "valid", path: write(t, "good.yaml", policyA)},
		{name: "invalid", path: write(t, "bad.yaml", policyBroken), wantInvalid: true},
		{name: "empty", path: write(t, "empty.yaml", ""), wantInvalid: true},
		{name: "missing", path: filepath.Join(dir, "missing.yaml"), wantInvalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := File(tt.path)
			// Every call answers the same: loaded once, fail closed forever.
			for range 2 {
				p, err := src.Policy(context.Background())
				if tt.wantInvalid {
					if p != nil || !errors.Is(err, policy.ErrInvalid) {
						t.Fatalf("Policy() = %v, %v; want nil, ErrInvalid", p, err)
					}
					continue
				}
				if err != nil || p == nil {
					t.Fatalf("Policy() = %v, %v", p, err)
				}
			}
		})
	}
	t.Run("not re-read", func(t *testing.T) {
		path := write(t, "reread.yaml", policyA)
		src := File(path)
		write(t, "reread.yaml", policyBroken)
		if _, err := src.Policy(context.Background()); err != nil {
			t.Fatalf("the file was re-read: %v", err)
		}
	})
}

// fakeSSM serves a value that tests change, or an error.
type fakeSSM struct {
	mu    sync.Mutex
	value string
	err   error
	calls atomic.Int32
	block chan struct{} // when set, GetParameter waits on it
}

func (f *fakeSSM) set(value string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.value, f.err = value, err
}

func (f *fakeSSM) GetParameter(ctx context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.calls.Add(1)
	if f.block != nil {
		<-f.block
	}
	if !aws.ToBool(in.WithDecryption) {
		return nil, errors.New("test: decryption not requested")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(f.value), Version: 1}}, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func hashOf(t *testing.T, src string) string {
	t.Helper()
	p, err := policy.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p.Hash()
}

func TestSSM(t *testing.T) {
	ctx := context.Background()
	outage := errors.New("ssm: connection refused")

	// Each step changes SSM (or not), moves the clock, and checks the answer.
	type step struct {
		value     string
		err       error
		advance   time.Duration
		wantHash  string // "" means an error is expected
		wantErr   error
		wantCalls int32
		wantLog   string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "cached within ttl, refetched after",
			steps: []step{
				{value: policyA, wantHash: hashOf(t, policyA), wantCalls: 1, wantLog: "policy_loaded"},
				{value: policyB, advance: 30 * time.Second, wantHash: hashOf(t, policyA), wantCalls: 1},
				{value: policyB, advance: 31 * time.Second, wantHash: hashOf(t, policyB), wantCalls: 2},
			},
		},
		{
			name: "outage keeps serving the cached policy with a warning",
			steps: []step{
				{value: policyA, wantHash: hashOf(t, policyA), wantCalls: 1},
				{err: outage, advance: time.Minute, wantHash: hashOf(t, policyA), wantCalls: 2, wantLog: "policy_stale"},
				// Not asked again on every request during the outage.
				{err: outage, advance: time.Second, wantHash: hashOf(t, policyA), wantCalls: 2},
				{value: policyB, advance: 5 * time.Second, wantHash: hashOf(t, policyB), wantCalls: 3},
			},
		},
		{
			name: "nothing cached is unavailable",
			steps: []step{
				{err: outage, wantErr: ErrUnavailable, wantCalls: 1, wantLog: "policy_unavailable"},
				{value: policyA, wantHash: hashOf(t, policyA), wantCalls: 2},
			},
		},
		{
			name: "invalid new value fails closed and never falls back",
			steps: []step{
				{value: policyA, wantHash: hashOf(t, policyA), wantCalls: 1},
				{value: policyBroken, advance: time.Minute, wantErr: policy.ErrInvalid, wantCalls: 2, wantLog: "policy_invalid"},
				// SSM then fails: the broken value is still the newest known, stay closed.
				{err: outage, advance: time.Minute, wantErr: policy.ErrInvalid, wantCalls: 3},
				{value: policyA, advance: time.Minute, wantHash: hashOf(t, policyA), wantCalls: 4},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSSM{}
			clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			var logs bytes.Buffer
			src := SSM(api, "/vend/policy", time.Minute, WithClock(clk.now), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			for i, s := range tt.steps {
				api.set(s.value, s.err)
				clk.advance(s.advance)
				logs.Reset()
				p, err := src.Policy(ctx)
				if s.wantHash != "" {
					if err != nil || p == nil || p.Hash() != s.wantHash {
						t.Fatalf("step %d: Policy() = %v, %v; want hash %s", i, p, err, s.wantHash)
					}
				} else if p != nil || !errors.Is(err, s.wantErr) {
					t.Fatalf("step %d: Policy() = %v, %v; want %v", i, p, err, s.wantErr)
				}
				if got := api.calls.Load(); got != s.wantCalls {
					t.Errorf("step %d: GetParameter calls = %d, want %d", i, got, s.wantCalls)
				}
				if s.wantLog != "" && !strings.Contains(logs.String(), `"msg":"`+s.wantLog+`"`) {
					t.Errorf("step %d: log %q missing in %s", i, s.wantLog, logs.String())
				}
			}
		})
	}
}

func TestSSMSingleflight(t *testing.T) {
	api := &fakeSSM{value: policyA, block: make(chan struct{})}
	src := SSM(api, "/vend/policy", 0)
	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			if _, err := src.Policy(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	// Let every caller reach the in-flight fetch before SSM answers.
	deadline := time.Now().Add(5 * time.Second)
	for api.calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(api.block)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := api.calls.Load(); got != 1 {
		t.Errorf("GetParameter calls = %d, want 1", got)
	}
}

func TestSSMCallerCancelled(t *testing.T) {
	api := &fakeSSM{value: policyA, block: make(chan struct{})}
	src := SSM(api, "/vend/policy", 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Policy(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
	// The fetch goes on without the impatient caller and fills the cache.
	close(api.block)
	p, err := src.Policy(context.Background())
	if err != nil || p == nil {
		t.Fatalf("Policy() = %v, %v", p, err)
	}
}

// TestSSMMoto reads a SecureString policy from moto_server through the real SDK.
func TestSSMMoto(t *testing.T) {
	base := motoserver.Start(t)
	t.Setenv("AWS_ENDPOINT_URL_SSM", base)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")))
	if err != nil {
		t.Fatal(err)
	}
	client := ssm.NewFromConfig(cfg)
	put := func(t *testing.T, value string) {
		t.Helper()
		_, err := client.PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String("/vend/policy"), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true),
		})
		if err != nil {
			t.Fatalf("PutParameter: %v", err)
		}
	}

	t.Run("missing parameter is unavailable", func(t *testing.T) {
		src := SSM(client, "/vend/policy", time.Minute, WithLogger(slog.New(slog.DiscardHandler)))
		if _, err := src.Policy(context.Background()); !errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v, want ErrUnavailable", err)
		}
	})
	put(t, policyA)
	clk := &clock{t: time.Now()}
	src := SSM(client, "/vend/policy", time.Minute, WithClock(clk.now), WithLogger(slog.New(slog.DiscardHandler)))
	p, err := src.Policy(context.Background())
	if err != nil || p.Hash() != hashOf(t, policyA) {
		t.Fatalf("Policy() = %v, %v", p, err)
	}
	put(t, policyBroken)
	clk.advance(2 * time.Minute)
	if _, err := src.Policy(context.Background()); !errors.Is(err, policy.ErrInvalid) {
		t.Fatalf("after an invalid update: err = %v, want ErrInvalid", err)
	}
	put(t, policyB)
	clk.advance(2 * time.Minute)
	if p, err := src.Policy(context.Background()); err != nil || p.Hash() != hashOf(t, policyB) {
		t.Fatalf("after the fix: %v, %v", p, err)
	}
	t.Run("deleted parameter refuses after the ttl", func(t *testing.T) { testMotoDeleted(t, client) })
}
