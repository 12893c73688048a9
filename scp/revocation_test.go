package scp

import (
	"testing"
	"time"

	"github.com/vend-tvm/vend/internal/revocation"
)

// allowAll is what a protected role with AdministratorAccess has.
const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// revocationCase is one call of a protected role's session against the role's policies.
type revocationCase struct {
	name           string
	sourceIdentity string // "" for a session without one (break-glass)
	issued         time.Time
	want           Decision
}

// TestRevocationDocumentDenies proves, with this package's evaluator, what the
// revocation document internal/revocation renders denies: the revoked caller's sessions
// issued before the cutoff, and nothing else.
func TestRevocationDocumentDenies(t *testing.T) {
	cutoff := time.Date(2026, 12, 5, 1, 0, 6, 0, time.UTC)
	const alice, bob = "vend-alice-7be34cc8be63501e", "vend-bob-0123456789abcdef"
	doc, err := revocation.Document(4, []revocation.Entry{{SourceIdentity: alice, Before: cutoff}, {SourceIdentity: bob, Before: cutoff.Add(-30 * time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := revocation.Document(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		doc   []byte
		cases []revocationCase
	}{
		{doc, []revocationCase{
			{"revoked caller, issued before", alice, cutoff.Add(-10 * time.Minute), Deny},
			{"revoked caller, issued a second before", alice, cutoff.Add(-time.Second), Deny},
			{"revoked caller, issued at the cutoff", alice, cutoff, Allow},
			{"revoked caller, issued after (a new approval)", alice, cutoff.Add(time.Minute), Allow},
			{"another revoked caller, before its own cutoff", bob, cutoff.Add(-31 * time.Minute), Deny},
			{"another revoked caller, after its own cutoff", bob, cutoff.Add(-29 * time.Minute), Allow},
			{"a caller never revoked", "vend-carol-fedcba9876543210", cutoff.Add(-10 * time.Minute), Allow},
			{"a session without a source identity", "", cutoff.Add(-10 * time.Minute), Allow},
		}},
		{empty, []revocationCase{
			{"the marker alone denies nothing", alice, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), Allow},
		}},
	} {
		docs := revocationPolicies(t, tc.doc)
		for _, c := range tc.cases {
			t.Run(c.name, func(t *testing.T) {
				for _, action := range []string{"s3:GetObject", "iam:CreateUser", "sts:GetCallerIdentity"} {
					res := EvaluateIdentity(sessionCall(action, c), docs)
					if res.Err != nil || res.Decision != c.want {
						t.Errorf("%s: %s (%s, %v); want %s", action, res.Decision, res.Reason, res.Err, c.want)
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

func sessionCall(action string, c revocationCase) Request {
	ctx := map[string][]string{"aws:TokenIssueTime": {c.issued.UTC().Format(time.RFC3339)}}
	if c.sourceIdentity != "" {
		ctx["aws:SourceIdentity"] = []string{c.sourceIdentity}
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
