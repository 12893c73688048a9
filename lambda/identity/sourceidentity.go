package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// DefaultPrefix starts every SourceIdentity and RoleSessionName the TVM sets, so that
// sessions it vended stand out in CloudTrail and in aws:SourceIdentity conditions.
const DefaultPrefix = "vend-"

// Limits from STS for SourceIdentity and RoleSessionName.
const (
	minNameLength  = 2
	maxNameLength  = 64
	maxPrefixLen   = 16
	hashHexLength  = 16 // 64 bits of SHA-256 of the full ARN
	hashSeparator  = '-'
	fallbackMarker = "x"
)

// ValidatePrefix reports whether prefix may start a SourceIdentity: 1–16 characters of
// [A-Za-z0-9_+=,.@-], not starting with "aws" in any case (STS reserves "aws:", and
// refusing the whole word keeps prefixes from looking like AWS's own).
func ValidatePrefix(prefix string) error {
	if len(prefix) < 1 || len(prefix) > maxPrefixLen {
		return errors.New("source identity prefix must be 1 to 16 characters")
	}
	for i := 0; i < len(prefix); i++ {
		if !validNameByte(prefix[i]) {
			return errors.New("source identity prefix may contain only A-Z a-z 0-9 _ + = , . @ -")
		}
	}
	if strings.HasPrefix(strings.ToLower(prefix), "aws") {
		return errors.New(`source identity prefix must not start with "aws"`)
	}
	return nil
}

// SourceIdentity is the value the TVM passes as sts:SourceIdentity for caller c. It is
// always valid for STS (2–64 characters of [A-Za-z0-9_+=,.@-], never starting with
// "aws:"): prefix, a sanitised and truncated human-readable part, "-", and 16 hex
// characters of SHA-256 over the full verified ARN. The hash makes the value injective:
// two callers whose readable parts sanitise or truncate to the same text still differ.
// An invalid prefix is replaced by DefaultPrefix, so that a misconfiguration can never
// produce a value STS rejects; configuration is validated with ValidatePrefix upstream.
func SourceIdentity(c Caller, prefix string) string {
	if ValidatePrefix(prefix) != nil {
		prefix = DefaultPrefix
	}
	sum := sha256.Sum256([]byte(c.ARN))
	hash := hex.EncodeToString(sum[:])[:hashHexLength]

	budget := maxNameLength - len(prefix) - 1 - hashHexLength
	readable := readablePart(c, budget)

	var b strings.Builder
	b.Grow(len(prefix) + len(readable) + 1 + hashHexLength)
	b.WriteString(prefix)
	if readable != "" {
		b.WriteString(readable)
		b.WriteByte(hashSeparator)
	}
	b.WriteString(hash)
	return b.String()
}

// RoleSessionName is the RoleSessionName for caller c. It is the same value as
// SourceIdentity on purpose: the vended session's ARN
// (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) then names the caller exactly as
// CloudTrail's sourceIdentity does, and both constraints (2–64 characters of the same
// set) are met by one construction.
func RoleSessionName(c Caller, prefix string) string {
	return SourceIdentity(c, prefix)
}

// readablePart picks the human-readable part: the user name for IAM users, role and
// session for other role sessions (the session name alone proves nothing there, so the
// role comes first), and for Identity Center the person followed by the account
// ("alice@example.com.111111111111"): the person's name is a session name, so it is
// shown only beside the account AWS verified, which no caller chooses.
func readablePart(c Caller, budget int) string {
	switch c.Type {
	case TypeIdentityCenter:
		if c.AccountID == "" {
			return sanitize(c.SessionName, budget)
		}
		suffix := "." + c.AccountID
		return sanitize(c.SessionName, budget-len(suffix)) + suffix
	case TypeAssumedRole:
		return sanitize(c.RoleName+"."+c.SessionName, budget)
	case TypeUser, TypeFederatedUser, TypeRoot:
		return sanitize(c.Name, budget)
	default:
		if c.Name != "" {
			return sanitize(c.Name, budget)
		}
		return sanitize(fallbackMarker, budget)
	}
}

// sanitize maps every byte outside the STS charset to '_' (one '_' per rune, so
// multi-byte characters do not inflate) and truncates to max bytes.
func sanitize(s string, max int) string {
	if max <= 0 {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			break
		}
		if r < 0x80 && validNameByte(byte(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func validNameByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '_', '+', '=', ',', '.', '@', '-':
		return true
	}
	return false
}

// ValidName reports whether s is a valid SourceIdentity or RoleSessionName for STS.
func ValidName(s string) bool {
	if len(s) < minNameLength || len(s) > maxNameLength || strings.HasPrefix(s, "aws:") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !validNameByte(s[i]) {
			return false
		}
	}
	return true
}
