package identity

import (
	"errors"
	"strings"
	"testing"

	arnpkg "github.com/vend-tvm/vend/internal/arn"
)

func TestFromAuthorizer(t *testing.T) {
	tests := []struct {
		name     string
		in       *Authorizer
		wantErr  bool
		wantType PrincipalType
		wantName string
	}{
		{name: "nil block", in: nil, wantErr: true},
		{name: "missing arn", in: &Authorizer{AccountID: "111122223333"}, wantErr: true},
		{name: "missing account", in: &Authorizer{UserARN: "arn:aws:iam::111122223333:user/alice"}, wantErr: true},
		{name: "short account", in: &Authorizer{AccountID: "1234567890", UserARN: "arn:aws:iam::1234567890:user/Admin"}, wantErr: true},
		{name: "account mismatch", in: &Authorizer{AccountID: "444455556666", UserARN: "arn:aws:iam::111122223333:user/alice"}, wantErr: true},
		{name: "not an arn", in: &Authorizer{AccountID: "111122223333", UserARN: "alice"}, wantErr: true},
		{name: "region in arn", in: &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:iam:us-east-1:111122223333:user/alice"}, wantErr: true},
		{name: "s3 arn", in: &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:s3::111122223333:bucket"}, wantErr: true},
		{name: "bad partition", in: &Authorizer{AccountID: "111122223333", UserARN: "arn:gcp:iam::111122223333:user/alice"}, wantErr: true},
		{name: "control char", in: &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:iam::111122223333:user/al\nice"}, wantErr: true},
		{name: "assumed-role without session", in: &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:sts::111122223333:assumed-role/ci"}, wantErr: true},
		{name: "too long", in: &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:iam::111122223333:user/" + strings.Repeat("a", 2100)}, wantErr: true},
		{
			name:     "iam user with path",
			in:       &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:iam::111122223333:user/division/alice", PrincipalOrgID: "o-abc"},
			wantType: TypeUser, wantName: "alice",
		},
		{
			name:     "assumed role",
			in:       &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:sts::111122223333:assumed-role/ci-deploy/build-42"},
			wantType: TypeAssumedRole, wantName: "ci-deploy/build-42",
		},
		{
			name:     "identity center",
			in:       &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane.doe@example.com"},
			wantType: TypeIdentityCenter, wantName: "jane.doe@example.com (Identity Center, account 111122223333)",
		},
		{
			name:     "root",
			in:       &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:iam::111122223333:root"},
			wantType: TypeRoot, wantName: "root",
		},
		{
			name:     "federated user",
			in:       &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:sts::111122223333:federated-user/bob"},
			wantType: TypeFederatedUser, wantName: "bob",
		},
		{
			name:     "gov cloud",
			in:       &Authorizer{AccountID: "111122223333", UserARN: "arn:aws-us-gov:iam::111122223333:user/alice"},
			wantType: TypeUser, wantName: "alice",
		},
		{
			name:     "iam role arn is unknown type",
			in:       &Authorizer{AccountID: "111122223333", UserARN: "arn:aws:iam::111122223333:role/x"},
			wantType: TypeUnknown, wantName: "x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromAuthorizer(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrUnauthenticated) {
					t.Fatalf("err = %v, want ErrUnauthenticated", err)
				}
				if tt.in != nil && tt.in.UserARN != "" && strings.Contains(err.Error(), tt.in.UserARN) {
					t.Errorf("error echoes the ARN: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.ARN != tt.in.UserARN {
				t.Errorf("ARN = %q, want the full verified ARN %q", c.ARN, tt.in.UserARN)
			}
			if c.Type != tt.wantType || c.Name != tt.wantName {
				t.Errorf("type, name = %q, %q; want %q, %q", c.Type, c.Name, tt.wantType, tt.wantName)
			}
			if c.OrgID != tt.in.PrincipalOrgID {
				t.Errorf("OrgID = %q", c.OrgID)
			}
			w := c.Wire()
			if w.ARN != c.ARN || w.PrincipalType != string(c.Type) || w.AccountID != c.AccountID {
				t.Errorf("Wire() = %+v", w)
			}
		})
	}
}

func TestSourceIdentity(t *testing.T) {
	mustParse := func(t *testing.T, arn string) Caller {
		t.Helper()
		c, err := ParseARN(arn)
		if err != nil {
			t.Fatalf("ParseARN(%q): %v", arn, err)
		}
		return c
	}
	tests := []struct {
		name, arn, prefix, wantReadable string
	}{
		{name: "identity center person with the account", arn: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane.doe@example.com", prefix: "vend-", wantReadable: "vend-jane.doe@example.com.111122223333-"},
		{name: "identity center long name keeps the account", arn: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/" + strings.Repeat("j", 40) + "@example.com", prefix: "vend-", wantReadable: "vend-" + strings.Repeat("j", 64-5-1-16-13) + ".111122223333-"},
		{name: "lookalike role is a role session", arn: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/jane.doe@example.com", prefix: "vend-", wantReadable: "vend-AWSReservedSSO_Admin_0123.jane.doe@example-"},
		{name: "iam user", arn: "arn:aws:iam::111122223333:user/ops/alice", prefix: "vend-", wantReadable: "vend-alice-"},
		{name: "role session keeps role", arn: "arn:aws:sts::111122223333:assumed-role/ci/jane.doe@example.com", prefix: "vend-", wantReadable: "vend-ci.jane.doe@example.com-"},
		{name: "custom prefix", arn: "arn:aws:iam::111122223333:user/alice", prefix: "tvm.", wantReadable: "tvm.alice-"},
		{name: "invalid prefix falls back", arn: "arn:aws:iam::111122223333:user/alice", prefix: "aws:", wantReadable: "vend-alice-"},
		{name: "AWS prefix any case falls back", arn: "arn:aws:iam::111122223333:user/alice", prefix: "AwS-", wantReadable: "vend-alice-"},
		{name: "long prefix falls back", arn: "arn:aws:iam::111122223333:user/alice", prefix: strings.Repeat("p", 17), wantReadable: "vend-alice-"},
		{name: "unicode sanitised", arn: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_A_0123456789abcdef/josé", prefix: "vend-", wantReadable: "vend-jos_.111122223333-"},
		{name: "long name truncated", arn: "arn:aws:iam::111122223333:user/" + strings.Repeat("n", 64), prefix: "vend-", wantReadable: "vend-" + strings.Repeat("n", 64-5-1-16) + "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.arn)
			got := SourceIdentity(c, tt.prefix)
			if !ValidName(got) {
				t.Fatalf("SourceIdentity = %q is not valid for STS", got)
			}
			if !strings.HasPrefix(got, tt.wantReadable) || len(got) != len(tt.wantReadable)+16 {
				t.Errorf("SourceIdentity = %q, want %q + 16 hex", got, tt.wantReadable)
			}
			if rsn := RoleSessionName(c, tt.prefix); rsn != got {
				t.Errorf("RoleSessionName = %q, want %q", rsn, got)
			}
		})
	}
	t.Run("same readable part, different callers", func(t *testing.T) {
		// Truncation and sanitising collapse these readable parts; the hash keeps them apart.
		a := mustParse(t, "arn:aws:iam::111122223333:user/"+strings.Repeat("n", 64)+"a")
		b := mustParse(t, "arn:aws:iam::111122223333:user/"+strings.Repeat("n", 64)+"b")
		c := mustParse(t, "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_A_1/jos\u00e9")
		d := mustParse(t, "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_A_1/jos\u00e8")
		if SourceIdentity(a, DefaultPrefix) == SourceIdentity(b, DefaultPrefix) {
			t.Error("truncated names collide")
		}
		if SourceIdentity(c, DefaultPrefix) == SourceIdentity(d, DefaultPrefix) {
			t.Error("sanitised names collide")
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		c := mustParse(t, "arn:aws:iam::111122223333:user/alice")
		if first, second := SourceIdentity(c, "vend-"), SourceIdentity(c, "vend-"); first != second {
			t.Error("not deterministic")
		}
	})
}

func TestValidatePrefix(t *testing.T) {
	tests := []struct {
		prefix string
		ok     bool
	}{
		{"vend-", true}, {"x", true}, {"tvm.prod@", true}, {strings.Repeat("a", 16), true},
		{"", false}, {strings.Repeat("a", 17), false}, {"aws", false}, {"AWSx", false},
		{"vend:", false}, {"vend/", false}, {"vend ", false}, {"vénd", false},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			if err := ValidatePrefix(tt.prefix); (err == nil) != tt.ok {
				t.Errorf("ValidatePrefix(%q) = %v, want ok=%v", tt.prefix, err, tt.ok)
			}
		})
	}
}

// FuzzSourceIdentity checks that every caller maps to a valid value and that two
// different ARNs never map to the same value, whatever the prefix.
func FuzzSourceIdentity(f *testing.F) {
	f.Add("arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bob", "vend-", "jane", "jane")
	f.Add("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_X/a", "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_X/b", "aws:", "é", "è")
	f.Add("", "x", "", "", "")
	f.Add("arn:aws:sts::111122223333:assumed-role/r/s", "arn:aws:sts::111122223333:assumed-role/r/s ", strings.Repeat("z", 40), "r.s", "r.s")
	f.Fuzz(func(t *testing.T, arnA, arnB, prefix, nameA, nameB string) {
		// Build callers directly as well, so that odd names reach the sanitiser even
		// when the ARN would not parse.
		callers := []Caller{
			{ARN: arnA, Type: TypeIdentityCenter, SessionName: nameA},
			{ARN: arnB, Type: TypeIdentityCenter, SessionName: nameB},
		}
		if c, err := ParseARN(arnA); err == nil {
			callers = append(callers, c)
		}
		for _, typ := range []PrincipalType{TypeUser, TypeAssumedRole, TypeRoot, TypeFederatedUser, TypeUnknown, ""} {
			callers = append(callers, Caller{ARN: arnA, Type: typ, Name: nameA, RoleName: nameB, SessionName: nameA})
		}
		for _, c := range callers {
			if v := SourceIdentity(c, prefix); !ValidName(v) {
				t.Fatalf("SourceIdentity(%+v, %q) = %q is invalid", c, prefix, v)
			}
		}
		if arnA != arnB {
			a := SourceIdentity(Caller{ARN: arnA, Type: TypeIdentityCenter, SessionName: nameA}, prefix)
			b := SourceIdentity(Caller{ARN: arnB, Type: TypeIdentityCenter, SessionName: nameB}, prefix)
			if a == b {
				t.Fatalf("different ARNs %q and %q map to the same value %q", arnA, arnB, a)
			}
		}
	})
}

// FuzzParseARN checks that ParseARN never panics and that what it accepts is consistent.
func FuzzParseARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::111122223333:user/alice", "arn:aws:sts::111122223333:assumed-role/r/s",
		"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_A/p", "arn:aws:iam::111122223333:root",
		"arn:aws:sts::111122223333:federated-user/f", "arn:aws-cn:iam::111122223333:user/", "arn::::", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		c, err := ParseARN(arn)
		if err != nil {
			return
		}
		if c.ARN != arn || !arnpkg.ValidAccountID(c.AccountID) || !arnpkg.ValidPartition(c.Partition) {
			t.Fatalf("accepted %q as %+v", arn, c)
		}
		if (c.Type == TypeAssumedRole || c.Type == TypeIdentityCenter) && (c.RoleName == "" || c.SessionName == "") {
			t.Fatalf("role session without role or session: %+v", c)
		}
		if !ValidName(SourceIdentity(c, DefaultPrefix)) {
			t.Fatalf("invalid source identity for %q", arn)
		}
	})
}

// Regression: any role whose name started with AWSReservedSSO_ was shown, and named in
// its SourceIdentity, as the person its session name claimed. Whoever can create such a
// role in some account chooses that session name; only the account is AWS's word.
func TestIdentityCenterPersonNeverWithoutAccount(t *testing.T) {
	real, err := ParseARN("arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	forged, err := ParseARN("arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if real.Name == forged.Name || !strings.Contains(forged.Name, "222222222222") {
		t.Errorf("names %q and %q do not tell the accounts apart", real.Name, forged.Name)
	}
	if s := SourceIdentity(forged, DefaultPrefix); !strings.HasPrefix(s, "vend-alice@example.com.222222222222-") {
		t.Errorf("SourceIdentity %q does not name the verified account", s)
	}
	for _, role := range []string{"AWSReservedSSO_Admin", "AWSReservedSSO_Admin_0123", "AWSReservedSSO_Admin_0123456789ABCDEF", "AWSReservedSSO__0123456789abcdef", "xAWSReservedSSO_Admin_0123456789abcdef"} {
		c, err := ParseARN("arn:aws:sts::111111111111:assumed-role/" + role + "/alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if c.Type != TypeAssumedRole || c.Name != role+"/alice@example.com" {
			t.Errorf("%s: type %s, name %q; want a plain role session", role, c.Type, c.Name)
		}
	}
}
