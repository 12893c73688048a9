package awsenv

import (
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config returns the configuration for the function's AWS clients, or an error naming
// every variable that is missing.
func Config(getenv func(string) string) (aws.Config, error) {
	var missing []string
	need := func(k string) string {
		v := strings.TrimSpace(getenv(k))
		if v == "" {
			missing = append(missing, k)
		}
		return v
	}
	region := need("AWS_REGION")
	key := need("AWS_ACCESS_KEY_ID")
	secret := need("AWS_SECRET_ACCESS_KEY")
	if len(missing) > 0 {
		return aws.Config{}, errors.New("the Lambda runtime variables " + strings.Join(missing, ", ") + " are not set")
	}
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, strings.TrimSpace(getenv("AWS_SESSION_TOKEN"))),
	}, nil
}

// Endpoint returns the endpoint override for a service, as the SDKs read it:
// AWS_ENDPOINT_URL_<SERVICE> (service ID upper-cased, spaces as underscores), else
// AWS_ENDPOINT_URL, else nil for the service's regional endpoint.
func Endpoint(getenv func(string) string, serviceID string) *string {
	key := "AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(serviceID, " ", "_"))
	for _, k := range []string{key, "AWS_ENDPOINT_URL"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return aws.String(v)
		}
	}
	return nil
}

// ForService returns cfg with the service's endpoint override applied.
func ForService(cfg aws.Config, getenv func(string) string, serviceID string) aws.Config {
	cfg.BaseEndpoint = Endpoint(getenv, serviceID)
	return cfg
}
