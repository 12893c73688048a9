package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// EnvEndpoint overrides the federation endpoint (tests, a proxy in front of AWS).
const EnvEndpoint = "VEND_FEDERATION_ENDPOINT"

// Issuer is the Issuer of the login URL: where the console sends the user when the
// session ends.
const Issuer = "https://github.com/vend-tvm/vend"

// partitions are the federation endpoint and console of each partition vend knows.
var partitions = map[string]struct{ federation, console string }{
	"aws":        {"https://signin.aws.amazon.com/federation", "https://console.aws.amazon.com"},
	"aws-us-gov": {"https://signin.amazonaws-us-gov.com/federation", "https://console.amazonaws-us-gov.com"},
	"aws-cn":     {"https://signin.amazonaws.cn/federation", "https://console.amazonaws.cn"},
}

// PartitionOfRegion is the partition a region belongs to, as the SDKs' partition data
// says for these prefixes: cn-* is aws-cn, us-gov-* is aws-us-gov, anything else aws.
func PartitionOfRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// Endpoint is the federation endpoint of partition, or an error for a partition that
// has no console vend knows of (the ISO partitions).
func Endpoint(partition string) (string, error) {
	p, ok := partitions[partition]
	if !ok {
		return "", fmt.Errorf("no console sign-in endpoint is known for partition %s: set %s", partition, EnvEndpoint)
	}
	return p.federation, nil
}

// Destination is the console home page of partition, in region when it is set.
func Destination(partition, region string) string {
	console := partitions["aws"].console
	if p, ok := partitions[partition]; ok {
		console = p.console
	}
	if region == "" {
		return console + "/console/home"
	}
	return console + "/console/home?region=" + url.QueryEscape(region)
}

// maxBody bounds the federation endpoint's answer (a token is about 1 KB).
const maxBody = 64 << 10

// SigninToken exchanges creds for a sign-in token at endpoint. The request is a POST,
// so the session's secret never appears in a URL a proxy could log. Errors never quote
// the request or the token.
func SigninToken(ctx context.Context, client *http.Client, endpoint string, creds aws.Credentials) (string, error) {
	if creds.SessionToken == "" {
		return "", errors.New("console sign-in needs temporary credentials with a session token")
	}
	session, err := json.Marshal(struct {
		ID    string `json:"sessionId"`
		Key   string `json:"sessionKey"`
		Token string `json:"sessionToken"`
	}{creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken})
	if err != nil {
		return "", err
	}
	form := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("console sign-in endpoint %s: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("ask %s for a sign-in token: %w", endpoint, redact(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", fmt.Errorf("read the sign-in token from %s: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s refused the sign-in token request with HTTP %d", endpoint, resp.StatusCode)
	}
	var out struct{ SigninToken string }
	if err := json.Unmarshal(body, &out); err != nil || out.SigninToken == "" {
		return "", fmt.Errorf("%s answered without a sign-in token", endpoint)
	}
	return out.SigninToken, nil
}

// LoginURL is the URL that signs the browser in with token and opens destination. It is
// a secret for as long as the token is valid (15 minutes).
func LoginURL(endpoint, destination, token string) string {
	q := url.Values{"Action": {"login"}, "Issuer": {Issuer}, "Destination": {destination}, "SigninToken": {token}}
	return endpoint + "?" + q.Encode()
}

// redact drops the URL from a transport error: it is the endpoint, but the error text
// of some transports repeats the request.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
