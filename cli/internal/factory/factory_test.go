package factory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/tvmclient"
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
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
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
