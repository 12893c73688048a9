package sessionpolicy

import (
	"errors"
	"strings"
	"testing"
)

const readPrefix = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "ReadReports",
    "Effect": "Allow",
    "Action": ["s3:GetObject", "s3:ListBucket"],
    "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/2026/*"],
    "Condition": {"Bool": {"aws:SecureTransport": true}, "StringLike": {"s3:prefix": ["2026/*"]}}
  }]
}`

func TestParseDocumentCompacts(t *testing.T) {
	got, err := ParseDocument([]byte(readPrefix))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadReports","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::reports","arn:aws:s3:::reports/2026/*"],"Condition":{"Bool":{"aws:SecureTransport":true},"StringLike":{"s3:prefix":["2026/*"]}}}]}`
	if string(got) != want {
		t.Fatalf("compact form:\n got %s\nwant %s", got, want)
	}
	again, err := ParseDocument(got)
	if err != nil || string(again) != want {
		t.Fatalf("compacting twice changed it: %s, %v", again, err)
	}
	s := Scope{Policy: got}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if h := s.SHA256(); len(h) != 64 || h != (Scope{Policy: again}).SHA256() {
		t.Fatalf("hash %q is not a stable hex SHA-256", h)
	}
}

func TestParseDocumentRefuses(t *testing.T) {
	stmt := func(body string) string {
		return `{"Version":"2012-10-17","Statement":[` + body + `]}`
	}
	long := stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/` + strings.Repeat("k", MaxChars) + `"]}`)
	for _, tc := range []struct{ name, doc, want string }{
		{"not JSON", `{"Version":`, "not JSON"},
		{"trailing data", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} {}`, "trailing data"},
		{"a list", `[]`, "JSON object"},
		{"no version", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Version must be"},
		{"old version string", `{"Version":"2013-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Version must be"},
		{"unknown top element", `{"Version":"2012-10-17","Statment":[]}`, `unknown element "Statment"`},
		{"no statement", `{"Version":"2012-10-17","Statement":[]}`, "non-empty list of statements"},
		{"duplicate key", `{"Version":"2012-10-17","Version":"2012-10-17","Statement":{}}`, `duplicate key "Version"`},
		{"principal", stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), "names no principal"},
		{"not principal", stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":"x"},"Action":"*","Resource":"*"}`), "names no principal"},
		{"effect", stmt(`{"Effect":"allow","Action":"*","Resource":"*"}`), "Effect must be Allow or Deny"},
		{"both actions", stmt(`{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}`), "exactly one of Action and NotAction"},
		{"no resource", stmt(`{"Effect":"Allow","Action":"*"}`), "exactly one of Resource and NotResource"},
		{"empty action list", stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "non-empty list"},
		{"bad action", stmt(`{"Effect":"Allow","Action":"s3 GetObject","Resource":"*"}`), "Action entries must each be"},
		{"bad resource", stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"reports"}`), "Resource entries must each be"},
		{"condition not an object", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}`), "Condition must be an object"},
		{"condition value", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":{}}}}`), "must be a value or a list"},
		{"unknown statement element", stmt(`{"Sid":"S1","Effect":"Allow","Action":"*","Resource":"*","Resources":"*"}`), `statement 0 (S1) has an unknown element "Resources"`},
		{"too long", long, "characters without whitespace; AWS takes at most 2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDocument([]byte(tc.doc))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseDocument = %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
}

func TestScopeValidate(t *testing.T) {
	denyOnly, err := ParseDocument([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}}`))
	if err != nil {
		t.Fatal(err)
	}
	many := make([]string, MaxARNs+1)
	for i := range many {
		many[i] = "arn:aws:iam::aws:policy/P" + strings.Repeat("x", i)
	}
	long := "arn:aws:iam::111111111111:policy/" + strings.Repeat("p/", 1100) + "Name"
	for _, tc := range []struct {
		name  string
		scope Scope
		want  string
	}{
		{"deny only", Scope{Policy: denyOnly}, "no Allow statement"},
		{"too many ARNs", Scope{ARNs: many}, "at most 10"},
		{"repeated ARN", Scope{ARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"}}, "given twice"},
		{"role, not policy", Scope{ARNs: []string{"arn:aws:iam::111111111111:role/admin"}}, "not a managed policy ARN"},
		{"region", Scope{ARNs: []string{"arn:aws:iam:us-east-1:111111111111:policy/p"}}, "not a managed policy ARN"},
		{"account", Scope{ARNs: []string{"arn:aws:iam::1111:policy/p"}}, "not a managed policy ARN"},
		{"combined size", Scope{ARNs: []string{long}}, "the ARNs together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.scope.Validate()
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
	ok := Scope{Policy: denyOnly, ARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws-us-gov:iam::111111111111:policy/team/reports-read"}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a Deny document beside managed policies: %v", err)
	}
	if ok.Key() == (Scope{Policy: denyOnly}).Key() || (Scope{}).Key() != "" || !(Scope{}).Empty() {
		t.Fatal("Key does not tell scopes apart, or the empty scope has a key")
	}
	if AccountOf(ok.ARNs[0]) != "aws" || AccountOf(ok.ARNs[1]) != "111111111111" {
		t.Fatal("AccountOf")
	}
}

func TestProofDocumentsAreValid(t *testing.T) {
	p := Proof()
	scope, err := ParseDocument(p.Scope)
	if err != nil || string(scope) != string(p.Scope) {
		t.Fatalf("the proof's scope is not a compact valid session policy: %v", err)
	}
	if _, err := ParseDocument(p.Role); err != nil {
		t.Fatalf("the proof's role policy: %v", err)
	}
	allowed := 0
	for _, c := range p.Cases {
		if c.Allowed {
			allowed++
		}
	}
	if allowed == 0 || allowed == len(p.Cases) {
		t.Fatal("the proof needs calls both allowed and denied")
	}
}
