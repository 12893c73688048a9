package tvmclient

import (
	"net"
	"regexp"
	"strings"
)

// Signing services.
const (
	ServiceLambda     = "lambda"
	ServiceExecuteAPI = "execute-api"
)

var (
	lambdaURLHost  = regexp.MustCompile(`^[a-z0-9-]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$`)
	executeAPIHost = regexp.MustCompile(`^[a-z0-9-]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)
)

// SigningFor derives the SigV4 service and region from the TVM's host name. Custom
// domains and the loopback front say nothing about either, so they get service lambda
// and an empty region, which the caller fills from configuration.
func SigningFor(host string) (service, region string) {
	h := strings.ToLower(hostOnly(host))
	if m := lambdaURLHost.FindStringSubmatch(h); m != nil {
		return ServiceLambda, m[1]
	}
	if m := executeAPIHost.FindStringSubmatch(h); m != nil {
		return ServiceExecuteAPI, m[1]
	}
	return ServiceLambda, ""
}

// IsLoopback reports whether host (with or without port) names this machine, the only
// place plain http is acceptable: SigV4 signs but does not encrypt, and the response
// carries credentials.
func IsLoopback(host string) bool {
	h := strings.ToLower(hostOnly(host))
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}
