package localfront

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/vend-tvm/vend/internal/arn"
)

// Identity is a local principal the front accepts signatures from, with what AWS
// would report about it in requestContext.authorizer.iam.
type Identity struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	// SessionToken is set for temporary credentials; requests must then carry it
	// in X-Amz-Security-Token.
	SessionToken string `json:"sessionToken,omitempty"`

	ARN            string `json:"arn"`                      // userArn
	AccountID      string `json:"accountId,omitempty"`      // accountId; taken from ARN when empty
	UserID         string `json:"userId,omitempty"`         // userId and callerId
	PrincipalOrgID string `json:"principalOrgId,omitempty"` // principalOrgId; null in the event when empty
}

// String keeps the secret key and the session token out of anything that formats
// the value.
func (id Identity) String() string {
	return fmt.Sprintf("Identity{AccessKeyId: %s, ARN: %s}", id.AccessKeyID, id.ARN)
}

// GoString is String, so that %#v redacts too.
func (id Identity) GoString() string { return id.String() }

// LogValue keeps the secret key and the session token out of structured logs.
func (id Identity) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key_id", id.AccessKeyID),
		slog.String("arn", id.ARN),
	)
}

// Errors returned for identities that cannot be used.
var (
	ErrInvalidIdentity   = errors.New("invalid identity")
	ErrDuplicateIdentity = errors.New("duplicate access key id")
)

// normalize checks id and fills AccountID from the ARN. Errors name the access key
// ID or the ARN, never the secret.
func (id Identity) normalize() (Identity, error) {
	if id.AccessKeyID == "" {
		return id, fmt.Errorf("%w: access key id is empty (arn %q)", ErrInvalidIdentity, id.ARN)
	}
	// A slash or whitespace would make the Credential field of the Authorization
	// header ambiguous, so no client could ever sign with such a key.
	if strings.ContainsAny(id.AccessKeyID, "/, \t\r\n=") {
		return id, fmt.Errorf("%w: access key id %q has a character that cannot appear in a credential scope", ErrInvalidIdentity, id.AccessKeyID)
	}
	if id.SecretAccessKey == "" {
		return id, fmt.Errorf("%w: %s: secret access key is empty", ErrInvalidIdentity, id.AccessKeyID)
	}
	a, err := arn.Parse(id.ARN)
	if err != nil {
		return id, fmt.Errorf("%w: %s: arn %q: %w", ErrInvalidIdentity, id.AccessKeyID, id.ARN, err)
	}
	if id.AccountID == "" {
		id.AccountID = a.AccountID
	}
	if id.AccountID == "" {
		return id, fmt.Errorf("%w: %s: no account id and none in arn %q", ErrInvalidIdentity, id.AccessKeyID, id.ARN)
	}
	return id, nil
}

// LoadIdentities reads a JSON array of identities, for a standalone front fed by a
// file. Field names are those of Identity's JSON tags (accessKeyId, secretAccessKey,
// sessionToken, arn, accountId, userId, principalOrgId); unknown fields are refused
// so that a misspelt field cannot silently drop a session token.
func LoadIdentities(r io.Reader) ([]Identity, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var ids []Identity
	if err := dec.Decode(&ids); err != nil {
		// The decoder's message quotes at most a field name or a type, never a
		// value, so it cannot leak a secret.
		return nil, fmt.Errorf("decode identities: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode identities: trailing data after the array")
	}
	seen := make(map[string]bool, len(ids))
	for i := range ids {
		id, err := ids[i].normalize()
		if err != nil {
			return nil, fmt.Errorf("identity %d: %w", i, err)
		}
		if seen[id.AccessKeyID] {
			return nil, fmt.Errorf("identity %d: %w: %s", i, ErrDuplicateIdentity, id.AccessKeyID)
		}
		seen[id.AccessKeyID] = true
		ids[i] = id
	}
	return ids, nil
}
