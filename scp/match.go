package scp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// glob matches s against an IAM wildcard pattern: * is any run of characters, ? is one
// character. It backtracks only to the last star, so it runs in O(len(p)*len(s)) at worst.
func glob(pattern, s string) bool {
	p, n := []rune(pattern), []rune(s)
	px, nx := 0, 0
	nextPx, nextNx := 0, 0
	for px < len(p) || nx < len(n) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				nextPx, nextNx = px, nx+1
				px++
				continue
			case '?':
				if nx < len(n) {
					px++
					nx++
					continue
				}
			default:
				if nx < len(n) && n[nx] == c {
					px++
					nx++
					continue
				}
			}
		}
		if 0 < nextNx && nextNx <= len(n) {
			px, nx = nextPx, nextNx
			continue
		}
		return false
	}
	return true
}

// arnLike is IAM's ArnLike and ArnEquals (they behave the same): each of the six
// colon-separated components is matched on its own, so a * never spans a colon into the
// next component. The resource component keeps any further colons.
func arnLike(pattern, value string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	vp := strings.SplitN(value, ":", 6)
	if len(pp) != 6 || len(vp) != 6 {
		return false
	}
	for i := range pp {
		if !glob(pp[i], vp[i]) {
			return false
		}
	}
	return true
}

// actionMatches compares actions case-insensitively, as IAM does.
func actionMatches(pattern, action string) bool {
	return glob(strings.ToLower(pattern), strings.ToLower(action))
}

// operator is the comparison behind a condition operator. Negated operators are the
// complement of their positive form, which gives them IAM's semantics for a key that is
// absent: StringNotEquals on a missing key matches.
type operator struct {
	match   func(ctxVal, policyVal string) bool
	negated bool
}

var operators = map[string]operator{
	"StringEquals":              {func(c, p string) bool { return c == p }, false},
	"StringNotEquals":           {func(c, p string) bool { return c == p }, true},
	"StringEqualsIgnoreCase":    {strings.EqualFold, false},
	"StringNotEqualsIgnoreCase": {strings.EqualFold, true},
	"StringLike":                {func(c, p string) bool { return glob(p, c) }, false},
	"StringNotLike":             {func(c, p string) bool { return glob(p, c) }, true},
	"ArnEquals":                 {func(c, p string) bool { return arnLike(p, c) }, false},
	"ArnLike":                   {func(c, p string) bool { return arnLike(p, c) }, false},
	"ArnNotEquals":              {func(c, p string) bool { return arnLike(p, c) }, true},
	"ArnNotLike":                {func(c, p string) bool { return arnLike(p, c) }, true},
	"Bool":                      {boolEquals, false},
	"NumericEquals":             {numeric(func(c, p float64) bool { return c == p }), false},
	"NumericNotEquals":          {numeric(func(c, p float64) bool { return c == p }), true},
	"NumericLessThan":           {numeric(func(c, p float64) bool { return c < p }), false},
	"NumericLessThanEquals":     {numeric(func(c, p float64) bool { return c <= p }), false},
	"NumericGreaterThan":        {numeric(func(c, p float64) bool { return c > p }), false},
	"NumericGreaterThanEquals":  {numeric(func(c, p float64) bool { return c >= p }), false},
	"DateEquals":                {date(func(c, p time.Time) bool { return c.Equal(p) }), false},
	"DateNotEquals":             {date(func(c, p time.Time) bool { return c.Equal(p) }), true},
	"DateLessThan":              {date(func(c, p time.Time) bool { return c.Before(p) }), false},
	"DateLessThanEquals":        {date(func(c, p time.Time) bool { return !c.After(p) }), false},
	"DateGreaterThan":           {date(func(c, p time.Time) bool { return c.After(p) }), false},
	"DateGreaterThanEquals":     {date(func(c, p time.Time) bool { return !c.Before(p) }), false},
}

func boolEquals(c, p string) bool {
	cb, err1 := strconv.ParseBool(strings.ToLower(c))
	pb, err2 := strconv.ParseBool(strings.ToLower(p))
	return err1 == nil && err2 == nil && cb == pb
}

func numeric(cmp func(c, p float64) bool) func(string, string) bool {
	return func(c, p string) bool {
		cf, err1 := strconv.ParseFloat(c, 64)
		pf, err2 := strconv.ParseFloat(p, 64)
		return err1 == nil && err2 == nil && cmp(cf, pf)
	}
}

// date compares dates as IAM's Date operators do; a value that is not a date matches
// nothing (so the negated operator holds, as for the other operators).
func date(cmp func(c, p time.Time) bool) func(string, string) bool {
	return func(c, p string) bool {
		ct, err1 := parseDate(c)
		pt, err2 := parseDate(p)
		return err1 == nil && err2 == nil && cmp(ct, pt)
	}
}

// parseDate reads what IAM's Date operators take: an ISO 8601 date or date and time
// (2026-12-05, 2026-12-05T01:02:03Z, with fractional seconds or an offset), or seconds
// since the epoch.
func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

// ErrUnsupported marks policy language the evaluator does not implement. Evaluate fails
// closed on it.
var ErrUnsupported = errors.New("unsupported by the offline evaluator")

// parsedOperator is a condition operator split into its set qualifier, base operator
// and IfExists suffix.
type parsedOperator struct {
	set      string // "", "ForAnyValue" or "ForAllValues"
	base     string
	ifExists bool
}

func parseOperator(op string) (parsedOperator, error) {
	var po parsedOperator
	if q, rest, ok := strings.Cut(op, ":"); ok {
		if q != "ForAnyValue" && q != "ForAllValues" {
			return po, fmt.Errorf("%w: condition operator %q", ErrUnsupported, op)
		}
		po.set, op = q, rest
	}
	if base, ok := strings.CutSuffix(op, "IfExists"); ok {
		po.ifExists, op = true, base
	}
	po.base = op
	if _, ok := operators[op]; !ok && op != "Null" {
		return po, fmt.Errorf("%w: condition operator %q", ErrUnsupported, po.String())
	}
	if op == "Null" && (po.ifExists || po.set != "") {
		return po, fmt.Errorf("%w: %q: Null takes neither IfExists nor a set qualifier", ErrUnsupported, po.String())
	}
	return po, nil
}

func (po parsedOperator) String() string {
	s := po.base
	if po.ifExists {
		s += "IfExists"
	}
	if po.set != "" {
		s = po.set + ":" + s
	}
	return s
}

// evalClause decides one condition clause against the request context, whose keys are
// lower-cased (condition key names are case-insensitive in IAM).
func evalClause(c Clause, keys map[string][]string) (bool, error) {
	po, err := parseOperator(c.Operator)
	if err != nil {
		return false, err
	}
	vals := keys[strings.ToLower(c.Key)]
	present := len(vals) > 0
	if po.base == "Null" {
		for _, want := range c.Values {
			switch strings.ToLower(want) {
			case "true":
				if !present {
					return true, nil
				}
			case "false":
				if present {
					return true, nil
				}
			}
		}
		return false, nil
	}
	op := operators[po.base]
	// holds says whether one context value satisfies the operator against the policy
	// values: for a positive operator some policy value matches, for a negated one none.
	holds := func(v string) bool {
		for _, pv := range c.Values {
			if op.match(v, pv) {
				return !op.negated
			}
		}
		return op.negated
	}
	switch po.set {
	case "ForAnyValue":
		if !present {
			return po.ifExists, nil
		}
		for _, v := range vals {
			if holds(v) {
				return true, nil
			}
		}
		return false, nil
	case "ForAllValues":
		if !present {
			return true, nil
		}
		for _, v := range vals {
			if !holds(v) {
				return false, nil
			}
		}
		return true, nil
	}
	if !present {
		return po.ifExists || op.negated, nil
	}
	// A single-valued key, or a multivalued one without a qualifier: a positive
	// operator needs one matching value, a negated operator needs none to match.
	matched := false
	for _, v := range vals {
		for _, pv := range c.Values {
			if op.match(v, pv) {
				matched = true
			}
		}
	}
	return matched != op.negated, nil
}
