package localfront

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// functionResponse is the HTTP answer a function's output maps to.
type functionResponse struct {
	Status  int
	Header  http.Header
	Body    []byte
	Cookies []string
}

// errBadFunctionResponse is wrapped by every mapping error; AWS answers those 502.
var errBadFunctionResponse = errors.New("function response cannot be mapped to HTTP")

// mapResponse interprets a function's output as the Function URL service does: a
// JSON object with statusCode is a response description; any other valid JSON is
// the body of a 200 application/json answer.
func mapResponse(payload []byte) (functionResponse, error) {
	trimmed := bytes.TrimSpace(payload)
	if !json.Valid(trimmed) {
		return functionResponse{}, fmt.Errorf("%w: output is not JSON", errBadFunctionResponse)
	}
	inferred := functionResponse{
		Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   trimmed,
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return inferred, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return functionResponse{}, fmt.Errorf("%w: %w", errBadFunctionResponse, err)
	}
	if _, ok := fields["statusCode"]; !ok {
		return inferred, nil
	}

	var desc struct {
		StatusCode      int               `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Cookies         []string          `json:"cookies"`
		Body            *string           `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(trimmed, &desc); err != nil {
		return functionResponse{}, fmt.Errorf("%w: %w", errBadFunctionResponse, err)
	}
	if desc.StatusCode < 100 || desc.StatusCode > 599 {
		return functionResponse{}, fmt.Errorf("%w: statusCode %d out of range", errBadFunctionResponse, desc.StatusCode)
	}
	out := functionResponse{Status: desc.StatusCode, Header: make(http.Header, len(desc.Headers)), Cookies: desc.Cookies}
	for k, v := range desc.Headers {
		out.Header.Set(k, v)
	}
	if desc.Body != nil {
		if desc.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*desc.Body)
			if err != nil {
				return functionResponse{}, fmt.Errorf("%w: body is not base64: %w", errBadFunctionResponse, err)
			}
			out.Body = b
		} else {
			out.Body = []byte(*desc.Body)
		}
	}
	return out, nil
}

// write sends resp, with requestID in x-amzn-RequestId.
func (resp functionResponse) write(w http.ResponseWriter, requestID string) {
	h := w.Header()
	for k, v := range resp.Header {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Connection":
			// The front frames the body itself; a function's claim could only
			// break the framing.
			continue
		}
		h[k] = v
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if _, ok := h["Content-Type"]; !ok {
		// An explicit nil stops net/http from sniffing a type the function never
		// chose.
		h["Content-Type"] = nil
	}
	h.Set(headerRequestID, requestID)
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}
