package factory_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/tvmclient"
	"github.com/vend-tvm/vend/internal/testkit"
)

func TestConnect(t *testing.T) {
	tests := []struct {
		name       string
		server     string
		baseRegion string
		flags      func(e *cmdtest.Env)
		wantSvc    string
		wantRegion string
		wantErr    string
	}{
		{name: "function URL", server: "https://abc.lambda-url.ap-south-1.on.aws", baseRegion: "eu-west-1", wantSvc: "lambda", wantRegion: "ap-south-1"},
		{name: "API Gateway", server: "https://abc.execute-api.us-east-2.amazonaws.com/prod", wantSvc: "execute-api", wantRegion: "us-east-2"},
		{name: "custom domain takes the base region", server: "https://vend.example.com", baseRegion: "eu-north-1", wantSvc: "lambda", wantRegion: "eu-north-1"},
		{name: "custom domain without a region", server: "https://vend.example.com", wantErr: "--signing-region"},
		{
			name: "flags override", server: "https://vend.example.com",
			flags:   func(e *cmdtest.Env) { e.F.Flags.SigningService, e.F.Flags.SigningRegion = "execute-api", "sa-east-1" },
			wantSvc: "execute-api", wantRegion: "sa-east-1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			e.SetVar(config.EnvRemoteServer, tt.server)
			region := tt.baseRegion
			e.F.LoadAWSConfig = func(context.Context, string) (aws.Config, error) {
				return aws.Config{Region: region, Credentials: failing{}}, nil
			}
			if tt.flags != nil {
				tt.flags(e)
			}
			r, err := e.F.Connect(context.Background(), "dev", 0)
			if testkit.ErrCase(t, err, tt.wantErr) {
				return
			}
			if r.Client.SigningService() != tt.wantSvc || r.Client.SigningRegion() != tt.wantRegion {
				t.Errorf("got %s/%s", r.Client.SigningService(), r.Client.SigningRegion())
			}
		})
	}
}

type failing struct{}

func (failing) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, errors.New("no")
}

func TestConnectBaseConfigErrors(t *testing.T) {
	e := cmdtest.New(t)
	e.F.LoadAWSConfig = func(context.Context, string) (aws.Config, error) { return aws.Config{Region: "x"}, nil }
	_, err := e.F.Connect(context.Background(), "dev", 0)
	var be *tvmclient.BaseCredentialsError
	if !errors.As(err, &be) {
		t.Fatalf("got %v", err)
	}
}

func TestLoggerQuietWithoutDebug(t *testing.T) {
	e := cmdtest.New(t)
	e.F.Logger().Debug("hidden")
	e.F.Logger().Error("hidden too")
	if e.ErrOut.String() != "" {
		t.Errorf("logged without --debug: %s", e.ErrOut)
	}
	e.F.Flags.Debug = true
	e.F.Logger().Debug("shown", "k", "v")
	if !strings.Contains(e.ErrOut.String(), `"msg":"shown"`) {
		t.Errorf("got %s", e.ErrOut)
	}
}

// A TVM behind a TLS-inspecting proxy presents a certificate from the CA bundle the base
// AWS configuration names (AWS_CA_BUNDLE, ca_bundle): the TVM client trusts that bundle
// as the SDKs do, and nothing else.
func TestConnectTrustsTheBaseCABundle(t *testing.T) {
	tvm := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"caller":{"arn":"arn:aws:iam::111122223333:user/alice"},"policy_hash":"sha256:x"}`))
	}))
	defer tvm.Close()
	pool := x509.NewCertPool()
	pool.AddCert(tvm.Certificate())

	for _, tt := range []struct {
		name  string
		pool  *x509.CertPool
		reach bool
	}{{"with the bundle", pool, true}, {"without it", nil, false}} {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			e.SetVar(config.EnvRemoteServer, tvm.URL)
			e.F.LoadAWSConfig = func(context.Context, string) (aws.Config, error) {
				hc := awshttp.NewBuildableClient()
				if tt.pool != nil {
					hc = hc.WithTransportOptions(func(tr *http.Transport) { tr.TLSClientConfig = &tls.Config{RootCAs: tt.pool} })
				}
				return aws.Config{Region: "eu-west-1", HTTPClient: hc,
					Credentials: credentials.NewStaticCredentialsProvider("AKIDBASE", "base-secret", "")}, nil
			}
			r, err := e.F.Connect(context.Background(), "", 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Client.Whoami(context.Background())
			if (err == nil) != tt.reach {
				t.Errorf("whoami: %v, want reachable %v", err, tt.reach)
			}
		})
	}
}
