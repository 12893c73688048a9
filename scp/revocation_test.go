package scp

import (
	"testing"
	"time"

	"github.com/vend-tvm/vend/internal/revocation"
)

// allowAll is what a protected role with AdministratorAccess has.
const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// TestRevocationDocumentDenies proves, with this package's evaluator, what the
// revocation documents internal/revocation renders deny (revocation.Proof: the same
// cases the cross-check puts to an independent evaluator), for several actions.
func TestRevocationDocumentDenies(t *testing.T) {
	for _, set := range revocation.Proof() {
		docs := revocationPolicies(t, set.Document)
		for _, c := range set.Cases {
			want := Allow
			if c.Denied {
				want = Deny
			}
			t.Run(c.Name, func(t *testing.T) {
				for _, action := range []string{"s3:GetObject", "iam:CreateUser", "sts:GetCallerIdentity"} {
					res := EvaluateIdentity(sessionCall(action, c), docs)
					if res.Err != nil || res.Decision != want {
						t.Errorf("%s: %s (%s, %v); want %s", action, res.Decision, res.Reason, res.Err, want)
					}
				}
			})
		}
	}
}

func revocationPolicies(t *testing.T, doc []byte) []Document {
	t.Helper()
	admin, err := ParseDocument("AdministratorAccess", KindIdentity, []byte(allowAll))
	if err != nil {
		t.Fatal(err)
	}
	rev, err := ParseDocument("vend-revocation/prod-admin", KindIdentity, doc)
	if err != nil {
		t.Fatal(err)
	}
	return []Document{admin, rev}
}

func sessionCall(action string, c revocation.ProofCase) Request {
	ctx := map[string][]string{"aws:TokenIssueTime": {c.Issued.UTC().Format(time.RFC3339)}}
	if c.SourceIdentity != "" {
		ctx["aws:SourceIdentity"] = []string{c.SourceIdentity}
	}
	return Request{Principal: "arn:aws:iam::111111111111:role/vend/prod-admin", Action: action, Resource: "*", Context: ctx}
}

func TestEvaluateIdentity(t *testing.T) {
	pol := func(s string) []Document {
		d, err := ParseDocument("p", KindIdentity, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return []Document{d}
	}
	req := Request{Principal: "arn:aws:iam::111111111111:role/r", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	if res := EvaluateIdentity(req, nil); res.Decision != Deny || res.Reason != "no identity policy allows s3:GetObject" {
		t.Errorf("no policy: %+v", res)
	}
	if res := EvaluateIdentity(req, pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`)); res.Decision != Allow {
		t.Errorf("allowed: %+v", res)
	}
	if res := EvaluateIdentity(req, pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"No","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)); res.Decision != Deny || res.DecidedBy.Sid != "No" {
		t.Errorf("explicit deny: %+v", res)
	}
	if res := EvaluateIdentity(req, pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)); res.Decision != Deny || res.Err == nil {
		t.Errorf("a principal in an identity policy must fail closed: %+v", res)
	}
	if res := EvaluateIdentity(req, pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateWhenever":{"aws:CurrentTime":"x"}}}]}`)); res.Decision != Deny || res.Err == nil {
		t.Errorf("an unknown operator must fail closed: %+v", res)
	}
}

func TestDateOperators(t *testing.T) {
	keys := map[string][]string{"aws:tokenissuetime": {"2026-12-05T01:00:00Z"}}
	for _, tc := range []struct {
		op, value string
		want      bool
	}{
		{"DateLessThan", "2026-12-05T01:00:01Z", true},
		{"DateLessThan", "2026-12-05T01:00:00Z", false},
		{"DateLessThanEquals", "2026-12-05T01:00:00Z", true},
		{"DateGreaterThan", "2026-12-05T00:59:59Z", true},
		{"DateGreaterThanEquals", "2026-12-05T01:00:00Z", true},
		{"DateEquals", "2026-12-05T02:00:00+01:00", true},
		{"DateNotEquals", "2026-12-05T01:00:00Z", false},
		{"DateLessThan", "2026-12-06", true},
		{"DateLessThan", "1796000000", false}, // epoch seconds: 2026-11-29, before the key
		{"DateGreaterThan", "1796000000", true},
		{"DateLessThan", "not a date", false},
		{"DateNotEquals", "not a date", true},
	} {
		got, err := evalClause(Clause{Operator: tc.op, Key: "aws:TokenIssueTime", Values: []string{tc.value}}, keys)
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %v, %v; want %v", tc.op, tc.value, got, err, tc.want)
		}
	}
	if got, _ := evalClause(Clause{Operator: "DateLessThan", Key: "aws:TokenIssueTime", Values: []string{"2030-01-01T00:00:00Z"}}, map[string][]string{}); got {
		t.Error("DateLessThan on an absent key must not match")
	}
	if got, _ := evalClause(Clause{Operator: "DateLessThanIfExists", Key: "aws:TokenIssueTime", Values: []string{"2000-01-01T00:00:00Z"}}, map[string][]string{}); !got {
		t.Error("DateLessThanIfExists on an absent key must match")
	}
}
