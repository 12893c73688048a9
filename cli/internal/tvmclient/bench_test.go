package tvmclient

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

// BenchmarkCredentials measures one signed credentials round trip to a loopback fake,
// whose signature check is included: the client's overhead is signing plus decoding.
func BenchmarkCredentials(b *testing.B) {
	srv := tvmtest.New(b, "lambda", "eu-west-1")
	srv.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	c, err := New(srv.URL, tvmtest.BaseProvider(), WithDefaultRegion("eu-west-1"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Credentials(ctx, Request{Profile: "dev", Duration: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign measures signing alone.
func BenchmarkSign(b *testing.B) {
	creds, _ := tvmtest.BaseProvider().Retrieve(context.Background())
	c, err := New("https://abc.lambda-url.eu-west-1.on.aws", tvmtest.BaseProvider())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	ctx := context.Background()
	endpoint := c.endpoint(wire.PathCredentials, nil)
	for b.Loop() {
		if _, err := c.newRequest(ctx, http.MethodGet, endpoint, creds); err != nil {
			b.Fatal(err)
		}
	}
}
