package revocation

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vend-tvm/vend/internal/arn"
)

// Path is the IAM path of every revocation policy. A role's policy is named after the
// role (IAM names are unique in an account whatever the path), so the TVM finds it from
// the role's ARN alone, and the guardrails and the TVM's permissions name the path.
const Path = "/vend-revocation/"

// WriterRoleName is the role (the revocation-writer Terraform module's, under the
// protected roles' path) through which a TVM in another account versions an account's
// revocation policies: IAM has no resource policies, so only a principal of the
// policy's own account can.
const WriterRoleName = "vend-revocation-writer"

// MaxSession is the longest a session the TVM vends can live: STS caps role chaining at
// one hour, and the protected-role module sets the role's maximum to match.
const MaxSession = time.Hour

// Skew is added to a revocation's cutoff, and to its lifetime before pruning, for the
// clocks of the TVM and of STS, which are close but not one.
const Skew = 5 * time.Second

// MaxDocumentBytes is IAM's limit on a managed policy document, whitespace excluded.
const MaxDocumentBytes = 6144

// markerSid starts the Sid of the first statement, which carries the state's version
// and denies nothing (no session was issued before markerTime).
const (
	markerSid  = "VendRevocationsV"
	markerTime = "2000-01-01T00:00:00Z"
)

// Entry is one revocation: sessions with SourceIdentity issued before Before are denied.
type Entry struct {
	SourceIdentity string    `json:"source_identity"`
	Before         time.Time `json:"before"`
}

// Cutoff is the Before of a revocation made at now: the next whole second after now
// plus Skew, so that a session STS issues while the revocation is being written is
// covered too.
func Cutoff(now time.Time) time.Time {
	return now.Add(Skew).Truncate(time.Second).Add(time.Second).UTC()
}

// PolicyARN is the revocation policy of the role roleARN (arn:PARTITION:iam::ACCOUNT:
// role/PATH/NAME): arn:PARTITION:iam::ACCOUNT:policy/vend-revocation/NAME.
func PolicyARN(roleARN string) (string, error) {
	a, err := arn.Parse(roleARN)
	if err != nil {
		return "", fmt.Errorf("role ARN: %w", err)
	}
	rest, ok := strings.CutPrefix(a.Resource, "role/")
	if a.Service != "iam" || !ok || a.AccountID == "" {
		return "", errors.New("not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
	}
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	if name == "" || strings.ContainsAny(name, "*?") {
		return "", errors.New("the role ARN has no role name")
	}
	return "arn:" + a.Partition + ":iam::" + a.AccountID + ":policy" + Path + name, nil
}

// Add returns entries with e in it: an identity revoked again keeps its later cutoff.
// The result is sorted by identity, so that a document renders the same every time.
func Add(entries []Entry, e Entry) []Entry {
	out := slices.Clone(entries)
	i := slices.IndexFunc(out, func(x Entry) bool { return x.SourceIdentity == e.SourceIdentity })
	switch {
	case i < 0:
		out = append(out, e)
	case e.Before.After(out[i].Before):
		out[i].Before = e.Before
	}
	sortEntries(out)
	return out
}

func sortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.SourceIdentity, b.SourceIdentity) })
}

// Prune drops the entries no live session can match at now: every session issued before
// an entry's cutoff has ended MaxSession (and Skew) after it.
func Prune(entries []Entry, now time.Time) []Entry {
	return slices.DeleteFunc(slices.Clone(entries), func(e Entry) bool {
		return !now.Before(e.Before.Add(MaxSession + Skew))
	})
}

// Live reports whether an entry may still match a session at now.
func Live(e Entry, now time.Time) bool { return now.Before(e.Before.Add(MaxSession + Skew)) }

// statement is one statement of the document, in IAM's grammar.
type statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition"`
}

type document struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

// ErrTooLarge: the entries do not fit in one managed policy.
var ErrTooLarge = errors.New("revocations do not fit in the role's revocation policy")

// Document renders the policy for the state at version: a marker statement that names
// the version and denies nothing, then one Deny of every action for each entry. The JSON
// has no whitespace; more than MaxDocumentBytes is ErrTooLarge.
func Document(version int, entries []Entry) ([]byte, error) {
	if version < 0 {
		return nil, errors.New("negative state version")
	}
	d := document{Version: "2012-10-17", Statement: []statement{{
		Sid: markerSid + strconv.Itoa(version), Effect: "Deny", Action: "*", Resource: "*",
		Condition: map[string]map[string]string{"DateLessThan": {"aws:TokenIssueTime": markerTime}},
	}}}
	es := slices.Clone(entries)
	sortEntries(es)
	for _, e := range es {
		if e.SourceIdentity == "" || e.Before.IsZero() {
			return nil, errors.New("an entry lacks its source identity or cutoff")
		}
		d.Statement = append(d.Statement, statement{
			Effect: "Deny", Action: "*", Resource: "*",
			Condition: map[string]map[string]string{
				"StringEquals": {"aws:SourceIdentity": e.SourceIdentity},
				"DateLessThan": {"aws:TokenIssueTime": e.Before.UTC().Format(time.RFC3339)},
			},
		})
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: %d revocations take %d bytes, IAM allows %d", ErrTooLarge, len(es), len(b), MaxDocumentBytes)
	}
	return b, nil
}

// Parse reads a document Document rendered back into its version and entries. Anything
// else (a hand-edited policy, another shape) is an error: the TVM then writes the
// document from its state again rather than trusting what it found.
func Parse(doc []byte) (int, []Entry, error) {
	var d document
	if err := json.Unmarshal(doc, &d); err != nil {
		return 0, nil, fmt.Errorf("revocation policy is not JSON: %w", err)
	}
	if len(d.Statement) == 0 {
		return 0, nil, errors.New("revocation policy has no statement")
	}
	v, err := strconv.Atoi(strings.TrimPrefix(d.Statement[0].Sid, markerSid))
	if !strings.HasPrefix(d.Statement[0].Sid, markerSid) || err != nil || v < 0 {
		return 0, nil, errors.New("revocation policy does not start with vend's marker statement")
	}
	var out []Entry
	for _, st := range d.Statement[1:] {
		si := st.Condition["StringEquals"]["aws:SourceIdentity"]
		t, err := time.Parse(time.RFC3339, st.Condition["DateLessThan"]["aws:TokenIssueTime"])
		if st.Effect != "Deny" || st.Action != "*" || st.Resource != "*" || si == "" || err != nil || len(st.Condition) != 2 {
			return 0, nil, errors.New("revocation policy holds a statement vend did not write")
		}
		out = append(out, Entry{SourceIdentity: si, Before: t.UTC()})
	}
	return v, out, nil
}
