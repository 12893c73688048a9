package tvmtest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vend-tvm/vend/lambda/wire"
)

const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestVerify(t *testing.T) {
	good, _ := BaseProvider().Retrieve(context.Background())
	wrongSecret := good
	wrongSecret.SecretAccessKey = "nope"
	tests := []struct {
		name            string
		creds           aws.Credentials
		service, region string
		tamper          func(*http.Request)
		wantErr         string
	}{
		{"valid", good, "lambda", "eu-west-1", nil, ""},
		{"wrong service", good, "execute-api", "eu-west-1", nil, "signed for execute-api/eu-west-1"},
		{"wrong region", good, "lambda", "us-east-1", nil, "signed for lambda/us-east-1"},
		{"wrong secret", wrongSecret, "lambda", "eu-west-1", nil, "signature does not match"},
		{"tampered query", good, "lambda", "eu-west-1", func(r *http.Request) { r.URL.RawQuery = "profile=admin" }, "signature does not match"},
		{"unsigned", good, "lambda", "eu-west-1", func(r *http.Request) { r.Header.Del("Authorization") }, "no SigV4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := New(t, "lambda", "eu-west-1")
			srv.ExpectBadSignatures()
			srv.Handle(wire.PathCredentials, Allow(time.Hour))
			req, _ := http.NewRequest(http.MethodGet, srv.URL+wire.PathCredentials+"?profile=dev", nil)
			req.Header.Set("X-Amz-Content-Sha256", emptyHash)
			if err := v4.NewSigner().SignHTTP(context.Background(), tt.creds, req, emptyHash, tt.service, tt.region, time.Now()); err != nil {
				t.Fatal(err)
			}
			if tt.tamper != nil {
				tt.tamper(req)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			bad := srv.BadSignatures()
			if tt.wantErr == "" {
				if resp.StatusCode != 200 || len(bad) != 0 {
					t.Fatalf("status %d, bad signatures %v", resp.StatusCode, bad)
				}
				return
			}
			if resp.StatusCode != 403 || len(bad) != 1 || !strings.Contains(bad[0], tt.wantErr) {
				t.Fatalf("status %d, bad signatures %v, want %q", resp.StatusCode, bad, tt.wantErr)
			}
		})
	}
}
