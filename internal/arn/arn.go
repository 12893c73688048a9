package arn

import (
	"errors"
	"strings"
)

// ARN is an Amazon Resource Name: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type ARN struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	Resource  string
}

// Errors of Parse. They never quote the input, which may come from a request.
var (
	ErrNotARN        = errors.New("not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)")
	ErrPartition     = errors.New("invalid partition")
	ErrService       = errors.New("empty service")
	ErrAccountID     = errors.New("account is not a 12-digit AWS account ID")
	ErrEmptyResource = errors.New("empty resource")
)

// Parse splits s into its parts. The partition must be valid (ValidPartition), the
// service and resource not empty, and the account empty or a 12-digit account ID. The
// resource keeps any colons it holds.
func Parse(s string) (ARN, error) {
	a, err := Split(s)
	switch {
	case err != nil:
		return ARN{}, err
	case a.Service == "":
		return ARN{}, ErrService
	case a.AccountID != "" && !ValidAccountID(a.AccountID):
		return ARN{}, ErrAccountID
	}
	return a, nil
}

// Split splits s into its parts, checking only the shape, the partition and that the
// resource is not empty: for ARN patterns (a wildcard account, an empty service), whose
// callers judge the other parts themselves.
func Split(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, ErrNotARN
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}
	switch {
	case !ValidPartition(a.Partition):
		return ARN{}, ErrPartition
	case a.Resource == "":
		return ARN{}, ErrEmptyResource
	}
	return a, nil
}

// String joins the parts again.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// AccountOf returns the account field of s, or "" when s is not an ARN (six
// colon-separated fields starting with "arn"). It checks nothing else: for ARN patterns
// and for callers that only route on the account.
func AccountOf(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// WithAccount returns s with its account field replaced, or ErrNotARN.
func WithAccount(s, account string) (string, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", ErrNotARN
	}
	parts[4] = account
	return strings.Join(parts, ":"), nil
}

// ValidAccountID reports whether s is an AWS account ID: exactly 12 ASCII digits.
func ValidAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidPartition accepts aws and its dash-separated variants (aws-cn, aws-us-gov,
// aws-iso-b, aws-eusc, ...) without a fixed list, so a new partition needs no release.
func ValidPartition(s string) bool {
	if s != "aws" && !strings.HasPrefix(s, "aws-") {
		return false
	}
	if len(s) > 32 || strings.HasSuffix(s, "-") || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 'a' || s[i] > 'z') && s[i] != '-' {
			return false
		}
	}
	return true
}
