package localfront

import (
	"encoding/base64"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The event types mirror the payload AWS sends for a Function URL with AuthType
// AWS_IAM, key for key. aws-lambda-go's events.LambdaFunctionURLRequest reads a
// subset of it (it has no principalOrgId, routeKey or stage), so the front keeps its
// own types rather than dropping what AWS sends.
type event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        requestContext    `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type requestContext struct {
	AccountID      string      `json:"accountId"`
	APIID          string      `json:"apiId"`
	Authentication *struct{}   `json:"authentication"` // Function URLs always send null
	Authorizer     authorizer  `json:"authorizer"`
	DomainName     string      `json:"domainName"`
	DomainPrefix   string      `json:"domainPrefix"`
	HTTP           httpContext `json:"http"`
	RequestID      string      `json:"requestId"`
	RouteKey       string      `json:"routeKey"`
	Stage          string      `json:"stage"`
	Time           string      `json:"time"`
	TimeEpoch      int64       `json:"timeEpoch"`
}

type authorizer struct {
	IAM iamAuthorizer `json:"iam"`
}

type iamAuthorizer struct {
	AccessKey       string    `json:"accessKey"`
	AccountID       string    `json:"accountId"`
	CallerID        string    `json:"callerId"`
	CognitoIdentity *struct{} `json:"cognitoIdentity"` // Function URLs always send null
	PrincipalOrgID  *string   `json:"principalOrgId"`  // null outside an organization
	UserARN         string    `json:"userArn"`
	UserID          string    `json:"userId"`
}

type httpContext struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// eventTimeFormat is the CLF-style time AWS puts in requestContext.time.
const eventTimeFormat = "02/Jan/2006:15:04:05 -0700"

// buildEvent maps a verified request to the Function URL event.
func (f *Front) buildEvent(r *http.Request, body []byte, id Identity, requestID string, at time.Time) event {
	at = at.UTC()
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}

	// Payload 2.0 joins repeated headers with commas and moves cookies out of the
	// headers into their own list.
	headers := make(map[string]string, len(r.Header)+5)
	var cookies []string
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if lower == "cookie" {
			for _, v := range values {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lower] = strings.Join(values, ",")
	}
	// Go's server moves Host out of the header map; AWS keeps it.
	headers["host"] = r.Host
	// What the Function URL front end adds before the function sees the request.
	if xff, ok := headers["x-forwarded-for"]; ok {
		headers["x-forwarded-for"] = xff + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	headers["x-forwarded-proto"] = "http"
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(la.String()); err == nil {
			headers["x-forwarded-port"] = port
		}
	}
	if _, ok := headers["x-amzn-trace-id"]; !ok {
		headers["x-amzn-trace-id"] = traceID(requestID, at)
	}

	// The query is read as the signature check read it, so the function sees every
	// pair that was signed (a ';' included) and nothing else; verify has refused a
	// query that does not parse. Repeated names are joined with commas in the order
	// sent.
	var query map[string]string
	if pairs, err := parseQuery(r.URL.RawQuery); err == nil && len(pairs) > 0 {
		query = make(map[string]string, len(pairs))
		for _, p := range pairs {
			if prev, ok := query[p.Name]; ok {
				query[p.Name] = prev + "," + p.Value
			} else {
				query[p.Name] = p.Value
			}
		}
	}

	var orgID *string
	if id.PrincipalOrgID != "" {
		orgID = &id.PrincipalOrgID
	}

	ev := event{
		Version:               "2.0",
		RouteKey:              "$default",
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		RequestContext: requestContext{
			AccountID: f.accountID,
			APIID:     f.urlID,
			Authorizer: authorizer{IAM: iamAuthorizer{
				AccessKey:      id.AccessKeyID,
				AccountID:      id.AccountID,
				CallerID:       id.UserID,
				PrincipalOrgID: orgID,
				UserARN:        id.ARN,
				UserID:         id.UserID,
			}},
			DomainName:   f.domainName,
			DomainPrefix: f.urlID,
			HTTP: httpContext{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
			RequestID: requestID,
			RouteKey:  "$default",
			Stage:     "$default",
			Time:      at.Format(eventTimeFormat),
			TimeEpoch: at.UnixMilli(),
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// traceID makes an X-Ray style trace header from the request ID, so that it is
// unique per request and reproducible in golden tests.
func traceID(requestID string, at time.Time) string {
	hexID := strings.ReplaceAll(requestID, "-", "")
	if len(hexID) > 24 {
		hexID = hexID[:24]
	}
	return "Root=1-" + strconv.FormatInt(at.Unix(), 16) + "-" + hexID
}
