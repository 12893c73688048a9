package revocation

import "time"

// ProofCase is one call a protected role's session makes, and whether the role's
// revocation document must deny it.
type ProofCase struct {
	Name           string
	SourceIdentity string // "" for a session without one (break-glass)
	Issued         time.Time
	Denied         bool
}

// ProofSet is a revocation document and the calls it must decide.
type ProofSet struct {
	Document []byte
	Cases    []ProofCase
}

// Proof is what vend proves about the documents Document renders, with its own IAM
// evaluator (package scp's tests) and with an independent one (`go tool mage
// scp:crosscheck`): the revoked callers' sessions issued before their cutoffs are
// denied; their later sessions, other callers' sessions and sessions without a
// SourceIdentity are not; the empty document denies nothing.
func Proof() []ProofSet {
	cutoff := time.Date(2026, 12, 5, 1, 0, 6, 0, time.UTC)
	const alice, bob = "vend-alice-7be34cc8be63501e", "vend-bob-0123456789abcdef"
	doc, err := Document(4, []Entry{{SourceIdentity: alice, Before: cutoff}, {SourceIdentity: bob, Before: cutoff.Add(-30 * time.Minute)}})
	if err != nil {
		panic(err) // fixed entries: a failure here is a bug in Document
	}
	empty, err := Document(0, nil)
	if err != nil {
		panic(err)
	}
	return []ProofSet{
		{doc, []ProofCase{
			{"revoked caller, issued before the cutoff", alice, cutoff.Add(-10 * time.Minute), true},
			{"revoked caller, issued a second before the cutoff", alice, cutoff.Add(-time.Second), true},
			{"revoked caller, issued at the cutoff", alice, cutoff, false},
			{"revoked caller, issued after the cutoff (a new approval)", alice, cutoff.Add(time.Minute), false},
			{"another revoked caller, before its own cutoff", bob, cutoff.Add(-31 * time.Minute), true},
			{"another revoked caller, after its own cutoff", bob, cutoff.Add(-29 * time.Minute), false},
			{"a caller never revoked", "vend-carol-fedcba9876543210", cutoff.Add(-10 * time.Minute), false},
			{"a session without a source identity", "", cutoff.Add(-10 * time.Minute), false},
		}},
		{empty, []ProofCase{
			{"the empty document denies nothing", alice, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), false},
		}},
	}
}
