package revocation

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 5, 1, 2, 3, 400_000_000, time.UTC)

func TestCutoffCoversTheSecondsBeingWritten(t *testing.T) {
	c := Cutoff(t0)
	if want := time.Date(2026, 12, 5, 1, 2, 9, 0, time.UTC); !c.Equal(want) {
		t.Fatalf("Cutoff = %v, want %v", c, want)
	}
	if !c.After(t0.Add(Skew)) {
		t.Fatal("the cutoff must lie after now + Skew")
	}
}

func TestPolicyARN(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:iam::111111111111:role/vend/admin":              "arn:aws:iam::111111111111:policy/vend-revocation/admin",
		"arn:aws:iam::111111111111:role/admin":                   "arn:aws:iam::111111111111:policy/vend-revocation/admin",
		"arn:aws-us-gov:iam::222222222222:role/vend/team/deploy": "arn:aws-us-gov:iam::222222222222:policy/vend-revocation/deploy",
	} {
		got, err := PolicyARN(in)
		if err != nil || got != want {
			t.Errorf("PolicyARN(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "arn:aws:iam::111111111111:user/alice", "arn:aws:sts::111111111111:assumed-role/admin/s",
		"arn:aws:iam::111111111111:role/", "arn:aws:iam::111111111111:role/vend/", "arn:aws:iam:::role/admin",
		"arn:aws:iam::*:role/admin", "arn:aws:iam::111111111111:role/adm*",
	} {
		if got, err := PolicyARN(in); err == nil {
			t.Errorf("PolicyARN(%q) = %q, want an error", in, got)
		}
	}
}

func TestAddKeepsTheLaterCutoffAndSorts(t *testing.T) {
	es := Add(nil, Entry{"vend-b", t0})
	es = Add(es, Entry{"vend-a", t0})
	es = Add(es, Entry{"vend-b", t0.Add(time.Minute)})
	es = Add(es, Entry{"vend-b", t0.Add(-time.Minute)}) // an older revocation changes nothing
	if len(es) != 2 || es[0].SourceIdentity != "vend-a" || es[1].SourceIdentity != "vend-b" || !es[1].Before.Equal(t0.Add(time.Minute)) {
		t.Fatalf("entries = %+v", es)
	}
}

func TestPruneKeepsWhatALiveSessionCouldMatch(t *testing.T) {
	es := []Entry{{"vend-old", t0.Add(-MaxSession - Skew)}, {"vend-edge", t0.Add(-MaxSession)}, {"vend-new", t0}}
	got := Prune(es, t0)
	if len(got) != 2 || got[0].SourceIdentity != "vend-edge" || got[1].SourceIdentity != "vend-new" {
		t.Fatalf("Prune = %+v", got)
	}
	if len(es) != 3 {
		t.Fatal("Prune changed its input")
	}
}

func TestDocumentRoundTrips(t *testing.T) {
	es := []Entry{{"vend-b-0123456789abcdef", t0.Truncate(time.Second)}, {"vend-a-0123456789abcdef", t0.Add(time.Hour).Truncate(time.Second)}}
	doc, err := Document(7, es)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(doc, " \n\t") {
		t.Fatalf("document has whitespace: %s", doc)
	}
	v, got, err := Parse(doc)
	if err != nil || v != 7 || len(got) != 2 || got[0] != es[1] || got[1] != es[0] {
		t.Fatalf("Parse = %d, %+v, %v", v, got, err)
	}
	for _, want := range []string{`"Sid":"VendRevocationsV7"`, `"aws:SourceIdentity":"vend-a-0123456789abcdef"`, `"aws:TokenIssueTime":"2026-12-05T01:02:03Z"`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("document lacks %s: %s", want, doc)
		}
	}
	empty, err := Document(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, got, err := Parse(empty); err != nil || v != 0 || len(got) != 0 {
		t.Fatalf("Parse(empty) = %d, %+v, %v", v, got, err)
	}
}

// TestDocumentSizeLimit pins how many revocations of full-length identities one role
// takes within an hour (26); beyond that Document refuses rather than truncating.
func TestDocumentSizeLimit(t *testing.T) {
	var es []Entry
	for i := 0; ; i++ {
		next := Add(es, Entry{fmt.Sprintf("vend-%s-%016x", strings.Repeat("x", 42), i), t0})
		if _, err := Document(1, next); err != nil {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatal(err)
			}
			break
		}
		es = next
	}
	if len(es) < 25 {
		t.Fatalf("only %d revocations fit; want at least 25", len(es))
	}
	t.Logf("%d revocations of 64-character identities fit", len(es))
}

func TestParseRefusesWhatVendDidNotWrite(t *testing.T) {
	for _, doc := range []string{
		`not json`,
		`{"Version":"2012-10-17","Statement":[]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"VendRevocationsVx","Effect":"Deny","Action":"*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"VendRevocationsV1","Effect":"Deny","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceIdentity":"a"},"DateLessThan":{"aws:TokenIssueTime":"2026-12-05T01:02:03Z"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"VendRevocationsV1","Effect":"Deny","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceIdentity":"a"}}}]}`,
	} {
		if _, _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("Parse(%s) succeeded", doc)
		}
	}
}

func TestDocumentRefusesIncompleteEntries(t *testing.T) {
	for _, e := range []Entry{{"", t0}, {"vend-a", time.Time{}}} {
		if _, err := Document(1, []Entry{e}); err == nil {
			t.Errorf("Document(%+v) succeeded", e)
		}
	}
}
