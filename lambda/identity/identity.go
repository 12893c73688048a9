package identity

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vend-tvm/vend/internal/arn"
	"github.com/vend-tvm/vend/lambda/wire"
)

// ErrUnauthenticated is returned when the request carries no usable verified IAM caller.
var ErrUnauthenticated = errors.New("no verified iam caller")

// PrincipalType classifies the verified caller.
type PrincipalType string

// Principal types, as they appear in wire.Caller.PrincipalType.
const (
	TypeUser           PrincipalType = "user"
	TypeAssumedRole    PrincipalType = "assumed-role"
	TypeIdentityCenter PrincipalType = "identity-center"
	TypeRoot           PrincipalType = "root"
	TypeFederatedUser  PrincipalType = "federated-user"
	TypeUnknown        PrincipalType = "unknown"
)

// identityCenterRolePrefix is the name prefix IAM Identity Center gives the roles it
// provisions for permission sets (their path, /aws-reserved/sso.amazonaws.com/, is not
// visible in an assumed-role ARN). Their names are AWSReservedSSO_<permission set>_<16
// hex characters>; only names of exactly that shape are classified as Identity Center.
const identityCenterRolePrefix = "AWSReservedSSO_"

// identityCenterRole reports whether role has the exact shape of a role that Identity
// Center provisions for a permission set.
func identityCenterRole(role string) bool {
	rest, ok := strings.CutPrefix(role, identityCenterRolePrefix)
	if !ok {
		return false
	}
	i := strings.LastIndexByte(rest, '_')
	if i < 1 || len(rest)-i-1 != 16 {
		return false
	}
	for _, c := range rest[i+1:] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// maxARNLength bounds what is accepted from the event; IAM ARNs are at most 2048.
const maxARNLength = 2048

// Authorizer is requestContext.authorizer.iam as Lambda Function URLs and API Gateway
// HTTP APIs send it. The JSON tags match the event so the handler can decode into it.
type Authorizer struct {
	AccessKey      string `json:"accessKey"`
	AccountID      string `json:"accountId"`
	CallerID       string `json:"callerId"`
	PrincipalOrgID string `json:"principalOrgId"`
	UserARN        string `json:"userArn"`
	UserID         string `json:"userId"`
}

// Caller is a verified IAM caller.
type Caller struct {
	// ARN is the full verified ARN (for a role session, the assumed-role ARN).
	ARN       string
	AccountID string
	OrgID     string
	UserID    string
	CallerID  string
	// AccessKeyID is the key the caller signed with; an identifier, not a secret.
	AccessKeyID string
	Type        PrincipalType

	// Partition is the ARN partition (aws, aws-cn, aws-us-gov, ...).
	Partition string
	// RoleName and SessionName are set for assumed-role and identity-center callers.
	RoleName    string
	SessionName string
	// Name is human-readable and for display only: the user name for IAM users,
	// "role/session" for role sessions, and for Identity Center "person (Identity
	// Center, account ACCOUNT)": the person's name is the session name, which whoever can
	// create a role of that name in an account could choose too, so it never appears
	// without the account AWS verified.
	Name string
}

// FromAuthorizer builds a Caller from the authorizer block. It fails with an error
// wrapping ErrUnauthenticated when the block, its userArn or its accountId is missing or
// malformed, or when the ARN's account differs from accountId.
func FromAuthorizer(a *Authorizer) (Caller, error) {
	if a == nil {
		return Caller{}, fmt.Errorf("%w: missing iam authorizer", ErrUnauthenticated)
	}
	if a.UserARN == "" {
		return Caller{}, fmt.Errorf("%w: missing userArn", ErrUnauthenticated)
	}
	if !arn.ValidAccountID(a.AccountID) {
		return Caller{}, fmt.Errorf("%w: missing or malformed accountId", ErrUnauthenticated)
	}
	c, err := ParseARN(a.UserARN)
	if err != nil {
		return Caller{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	if c.AccountID != a.AccountID {
		return Caller{}, fmt.Errorf("%w: userArn account differs from accountId", ErrUnauthenticated)
	}
	c.OrgID = a.PrincipalOrgID
	c.UserID = a.UserID
	c.CallerID = a.CallerID
	c.AccessKeyID = a.AccessKey
	return c, nil
}

// ParseARN classifies a principal ARN. Only ARN, AccountID, Partition, Type and the name
// fields are set. The ARN text itself is not echoed in errors: it comes from the event.
func ParseARN(s string) (Caller, error) {
	if len(s) > maxARNLength {
		return Caller{}, errors.New("principal arn too long")
	}
	// IAM names are ASCII today; other printable text is tolerated (AWS verified the
	// ARN) and sanitised where it is used, but control characters and invalid UTF-8 are not.
	if !utf8.ValidString(s) {
		return Caller{}, errors.New("principal arn is not valid utf-8")
	}
	for _, r := range s {
		if r <= 0x20 || r == 0x7f || unicode.IsControl(r) {
			return Caller{}, errors.New("principal arn has control or space characters")
		}
	}
	a, err := arn.Parse(s)
	switch {
	case errors.Is(err, arn.ErrPartition):
		return Caller{}, errors.New("principal arn has an invalid partition")
	case errors.Is(err, arn.ErrAccountID):
		return Caller{}, errors.New("principal arn has an invalid account")
	case errors.Is(err, arn.ErrEmptyResource):
		return Caller{}, errors.New("principal arn has no resource")
	case err != nil:
		return Caller{}, errors.New("principal arn is not an arn")
	case a.Region != "":
		return Caller{}, errors.New("principal arn has a region")
	case a.AccountID == "":
		return Caller{}, errors.New("principal arn has an invalid account")
	}
	service, account, resource := a.Service, a.AccountID, a.Resource
	c := Caller{ARN: s, AccountID: account, Partition: a.Partition, Type: TypeUnknown}
	switch service {
	case "iam":
		switch {
		case resource == "root":
			c.Type, c.Name = TypeRoot, "root"
		case strings.HasPrefix(resource, "user/"):
			// user/PATH/NAME: the name is the last segment.
			name := resource[strings.LastIndexByte(resource, '/')+1:]
			if name == "" {
				return Caller{}, errors.New("principal arn has an empty user name")
			}
			c.Type, c.Name = TypeUser, name
		default:
			c.Name = resource[strings.LastIndexByte(resource, '/')+1:]
		}
	case "sts":
		switch {
		case strings.HasPrefix(resource, "assumed-role/"):
			rest := strings.TrimPrefix(resource, "assumed-role/")
			role, session, ok := strings.Cut(rest, "/")
			if !ok || role == "" || session == "" || strings.Contains(session, "/") {
				return Caller{}, errors.New("principal arn is a malformed assumed-role arn")
			}
			c.RoleName, c.SessionName = role, session
			if identityCenterRole(role) {
				c.Type, c.Name = TypeIdentityCenter, session+" (Identity Center, account "+account+")"
			} else {
				c.Type, c.Name = TypeAssumedRole, role+"/"+session
			}
		case strings.HasPrefix(resource, "federated-user/"):
			name := strings.TrimPrefix(resource, "federated-user/")
			if name == "" || strings.Contains(name, "/") {
				return Caller{}, errors.New("principal arn is a malformed federated-user arn")
			}
			c.Type, c.Name = TypeFederatedUser, name
		default:
			c.Name = resource[strings.LastIndexByte(resource, '/')+1:]
		}
	default:
		return Caller{}, errors.New("principal arn is not an iam or sts arn")
	}
	return c, nil
}

// Wire is the caller as the wire contract shows it.
func (c Caller) Wire() wire.Caller {
	return wire.Caller{
		ARN:           c.ARN,
		AccountID:     c.AccountID,
		OrgID:         c.OrgID,
		UserID:        c.UserID,
		PrincipalType: string(c.Type),
		Name:          c.Name,
	}
}
