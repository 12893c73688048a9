package federation

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

var testCreds = aws.Credentials{AccessKeyID: "ASIAFEDTEST000000001", SecretAccessKey: "fed-secret-never-printed", SessionToken: "fed-session-token-never-printed"}

// standIn checks the request exactly as the sign-in endpoint expects it.
func standIn(t *testing.T, status int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.RawQuery != "" {
			t.Errorf("%s %s: want a POST with the form in the body", r.Method, r.URL)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("content type %q", ct)
		}
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		if r.PostForm.Get("Action") != "getSigninToken" {
			t.Errorf("Action = %q", r.PostForm.Get("Action"))
		}
		if _, ok := r.PostForm["SessionDuration"]; ok {
			t.Error("SessionDuration sent: AWS refuses it for chained role credentials")
		}
		var s map[string]string
		if err := json.Unmarshal([]byte(r.PostForm.Get("Session")), &s); err != nil {
			t.Errorf("Session is not JSON: %v", err)
		}
		if len(s) != 3 || s["sessionId"] != testCreds.AccessKeyID || s["sessionKey"] != testCreds.SecretAccessKey || s["sessionToken"] != testCreds.SessionToken {
			t.Errorf("Session = %v", s)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"SigninToken":"TOKEN-123"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSigninToken(t *testing.T) {
	srv := standIn(t, http.StatusOK)
	tok, err := SigninToken(context.Background(), srv.Client(), srv.URL, testCreds)
	if err != nil || tok != "TOKEN-123" {
		t.Fatalf("got %q, %v", tok, err)
	}
}

func TestSigninTokenErrorsQuoteNoSecret(t *testing.T) {
	srv := standIn(t, http.StatusBadRequest)
	_, err := SigninToken(context.Background(), srv.Client(), srv.URL, testCreds)
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("got %v", err)
	}
	for _, s := range []string{testCreds.SecretAccessKey, testCreds.SessionToken} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error quotes a secret: %v", err)
		}
	}
	if _, err := SigninToken(context.Background(), srv.Client(), srv.URL, aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "x"}); err == nil {
		t.Error("long-term keys accepted")
	}
}

func TestLoginURL(t *testing.T) {
	u, err := url.Parse(LoginURL("https://signin.aws.amazon.com/federation", Destination("aws", "eu-west-1"), "TOK"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "signin.aws.amazon.com" || q.Get("Action") != "login" || q.Get("SigninToken") != "TOK" || q.Get("Issuer") != Issuer ||
		q.Get("Destination") != "https://console.aws.amazon.com/console/home?region=eu-west-1" {
		t.Errorf("login URL %s", u)
	}
}

func TestPartitions(t *testing.T) {
	tests := []struct{ region, partition, endpoint, console string }{
		{"eu-west-1", "aws", "https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com/console/home?region=eu-west-1"},
		{"us-gov-west-1", "aws-us-gov", "https://signin.amazonaws-us-gov.com/federation", "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1"},
		{"cn-north-1", "aws-cn", "https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn/console/home?region=cn-north-1"},
	}
	for _, tt := range tests {
		p := PartitionOfRegion(tt.region)
		e, err := Endpoint(p)
		if p != tt.partition || err != nil || e != tt.endpoint || Destination(p, tt.region) != tt.console {
			t.Errorf("%s: %s %s %v %s", tt.region, p, e, err, Destination(p, tt.region))
		}
	}
	if _, err := Endpoint("aws-iso"); err == nil || !strings.Contains(err.Error(), EnvEndpoint) {
		t.Errorf("aws-iso: %v", err)
	}
}
