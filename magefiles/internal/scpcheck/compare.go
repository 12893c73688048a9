package scpcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Outcome is what the node script reports for one job.
type Outcome struct {
	ID                 int             `json:"id"`
	ResultType         string          `json:"result_type"`    // single, wildcard or error
	OverallResult      string          `json:"overall_result"` // Allowed, ExplicitlyDenied, ImplicitlyDenied
	Errors             json.RawMessage `json:"errors,omitempty"`
	IgnoredContextKeys []string        `json:"ignored_context_keys"`
	BlockedBy          []string        `json:"blocked_by"`
}

// Output is the node script's whole answer.
type Output struct {
	Simulator string    `json:"simulator"`
	Outcomes  []Outcome `json:"outcomes"`
}

// Decision maps iam-simulate's result onto vend's ALLOW/DENY; an error is its own
// value so that it never passes for agreement.
func (o Outcome) Decision() string {
	switch {
	case o.ResultType == "error":
		return "ERROR"
	case o.OverallResult == "Allowed":
		return "ALLOW"
	case o.OverallResult == "ExplicitlyDenied", o.OverallResult == "ImplicitlyDenied":
		return "DENY"
	}
	return "UNKNOWN"
}

// Status of one row of the comparison.
type Status string

// The statuses. Only StatusDiffer fails the cross-check.
const (
	StatusAgree  Status = "agree"
	StatusKnown  Status = "known"  // differs, allow-listed
	StatusDiffer Status = "DIFFER" // differs, not allow-listed
)

// Row compares one case.
type Row struct {
	Mode, Case   string
	Ours, Theirs string
	// BlockedBy names the policy types the simulator says refused the call (scp, rcp).
	BlockedBy []string
	Status    Status
	Note      string
}

// Report is the whole comparison.
type Report struct {
	Simulator string
	Rows      []Row
	// Stale lists allow-list entries that name no case or a case both now agree on:
	// the list must shrink when a difference goes away.
	Stale []Known
}

// Count returns how many rows have status s.
func (r Report) Count(s Status) int {
	n := 0
	for _, row := range r.Rows {
		if row.Status == s {
			n++
		}
	}
	return n
}

// Err is non-nil when a row differs outside the allow-list or the allow-list is stale.
func (r Report) Err() error {
	var errs []error
	if n := r.Count(StatusDiffer); n > 0 {
		errs = append(errs, fmt.Errorf("%d case(s) decided differently by vend and %s and not in the allow-list", n, r.Simulator))
	}
	for _, k := range r.Stale {
		errs = append(errs, fmt.Errorf("allow-list line %d (%s | %s) is stale: remove it", k.Line, k.Mode, k.Case))
	}
	return errors.Join(errs...)
}

// Compare matches outcomes to cases by ID and classifies each case. A case the
// simulator did not answer counts as a disagreement.
func Compare(cases []Case, out Output, known AllowList) Report {
	rep := Report{Simulator: out.Simulator}
	byID := map[int]Outcome{}
	for _, o := range out.Outcomes {
		byID[o.ID] = o
	}
	used := map[string]bool{}
	for i, c := range cases {
		row := Row{Mode: c.Mode, Case: c.Name, Ours: c.Got, Theirs: "MISSING"}
		var notes []string
		if o, ok := byID[i]; ok {
			row.Theirs = o.Decision()
			row.BlockedBy = o.BlockedBy
			if len(o.Errors) > 0 {
				notes = append(notes, "simulator error: "+compactJSON(o.Errors))
			}
			if len(o.IgnoredContextKeys) > 0 {
				// A key the simulator drops as invalid for the action makes its answer
				// about a different request; say so next to the decision.
				notes = append(notes, "ignored keys: "+strings.Join(o.IgnoredContextKeys, ","))
			}
		}
		if c.Got != c.Want {
			notes = append(notes, "vend's matrix expected "+c.Want)
		}
		k, listed := known.Lookup(c.Mode, c.Name)
		switch {
		case row.Ours == row.Theirs:
			row.Status = StatusAgree
			if listed {
				rep.Stale = append(rep.Stale, k)
				used[key(k.Mode, k.Case)] = true
			}
		case listed:
			row.Status = StatusKnown
			notes = append(notes, "known: "+k.Reason)
			used[key(k.Mode, k.Case)] = true
		default:
			row.Status = StatusDiffer
		}
		row.Note = strings.Join(notes, "; ")
		rep.Rows = append(rep.Rows, row)
	}
	for kk, k := range known {
		if !used[kk] {
			rep.Stale = append(rep.Stale, k)
		}
	}
	slices.SortFunc(rep.Stale, func(a, b Known) int { return a.Line - b.Line })
	return rep
}

func compactJSON(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// WriteTable prints one line per case and a summary.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tMODE\tVEND\tSIMULATOR\tBLOCKED BY\tCASE\tNOTE")
	for _, row := range r.Rows {
		blocked := strings.Join(row.BlockedBy, ",")
		if blocked == "" {
			blocked = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Status, row.Mode, row.Ours, row.Theirs, blocked, row.Case, row.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d cases: %d agree, %d known differences, %d unexplained differences (vend vs %s)\n",
		len(r.Rows), r.Count(StatusAgree), r.Count(StatusKnown), r.Count(StatusDiffer), r.Simulator)
	return err
}
