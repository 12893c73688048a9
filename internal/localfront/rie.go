package localfront

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// RIEPath is where the Lambda Runtime Interface Emulator accepts invocations.
const RIEPath = "/2015-03-31/functions/function/invocations"

// maxRIEResponse is Lambda's limit on a synchronous response payload.
const maxRIEResponse = 6 << 20

// rieTimeout bounds an invocation when no client is given; it covers a cold start.
const rieTimeout = 60 * time.Second

// ErrFunction reports that the function raised an error: the RIE answered with
// X-Amz-Function-Error. The function's error payload is not in the error, because
// it may hold anything the function had in hand.
var ErrFunction = errors.New("function error")

// RIEInvoker invokes a function running under the Lambda Runtime Interface Emulator.
type RIEInvoker struct {
	URL    string       // base URL of the emulator, e.g. http://127.0.0.1:9001
	Client *http.Client // nil means a client with a 60 s timeout
}

// Invoke POSTs payload to the emulator and returns the function's output.
func (ri RIEInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	client := ri.Client
	if client == nil {
		client = &http.Client{Timeout: rieTimeout}
	}
	endpoint := strings.TrimSuffix(ri.URL, "/") + RIEPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("rie invoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rie invoke: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxRIEResponse+1))
	if err != nil {
		return nil, fmt.Errorf("rie invoke: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("rie invoke: emulator answered %s", resp.Status)
	}
	if fe := resp.Header.Get("X-Amz-Function-Error"); fe != "" {
		return nil, fmt.Errorf("rie invoke: %w (%s)", ErrFunction, fe)
	}
	if len(out) > maxRIEResponse {
		return nil, fmt.Errorf("rie invoke: response larger than %d bytes", maxRIEResponse)
	}
	return out, nil
}
