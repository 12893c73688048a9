package exec

import (
	"runtime"
	"strings"

	"github.com/vend-tvm/vend/cli/internal/factory"
)

// Environment variables of the child process.
const (
	EnvFullURI   = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	EnvToken     = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
	EnvTokenFile = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
	EnvProfile   = factory.EnvExecProfile
)

// Scrubbed lists the variables removed from the child's environment: each one makes an
// SDK use other credentials before (or instead of) the container endpoint. Region,
// endpoint and CA bundle variables stay. The AWS files' variables are replaced, not
// removed, when exec gives the child private copies (see FilesIsolation).
var Scrubbed = []string{
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", // older botocore, boto
	"AWS_CREDENTIAL_EXPIRATION",
	// Other names for the same keys: the SDK for Java 1.x, the SDK for Ruby and the
	// SDK for JavaScript v2 read these when the AWS_ names are unset.
	"AWS_ACCESS_KEY",
	"AWS_SECRET_KEY",
	"AMAZON_ACCESS_KEY_ID",
	"AMAZON_SECRET_ACCESS_KEY",
	"AMAZON_SESSION_TOKEN",
	// Files named by variables: the EC2 tools' key file (botocore's
	// "ec2-credentials-file" provider, before the container endpoint) and the SDK for
	// Java 1.x's credentials file.
	"AWS_CREDENTIAL_FILE",
	"AWS_CREDENTIAL_PROFILES_FILE",
	"AWS_PROFILE",
	"AWS_DEFAULT_PROFILE",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	EnvFullURI,
	EnvToken,
	EnvTokenFile,
	"AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_ROLE_ARN",
	"AWS_ROLE_SESSION_NAME",
	EnvProfile,
}

// ChildEnv returns parent without the scrubbed variables, plus set (sorted by the order
// of the slice). Windows compares names without case, as the OS does.
func ChildEnv(parent []string, set [][2]string) []string {
	drop := func(name string) bool {
		for _, s := range Scrubbed {
			if sameName(name, s) {
				return true
			}
		}
		for _, kv := range set {
			if sameName(name, kv[0]) {
				return true
			}
		}
		return false
	}
	out := make([]string, 0, len(parent)+len(set))
	for _, kv := range parent {
		name, _, _ := strings.Cut(kv, "=")
		if name != "" && drop(name) {
			continue
		}
		out = append(out, kv)
	}
	for _, kv := range set {
		out = append(out, kv[0]+"="+kv[1])
	}
	return out
}

func sameName(a, b string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// lookup returns the value of name in env.
func lookup(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		k, v, _ := strings.Cut(env[i], "=")
		if sameName(k, name) {
			return v
		}
	}
	return ""
}
