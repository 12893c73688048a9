package policy

import (
	"cmp"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

func (l *loader) warnf(path string, n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	l.warns = append(l.warns, &fieldError{path: path, line: line, msg: fmt.Sprintf(format, args...)})
}

// warnings orders the warnings by line and drops repeats, as invalid does for errors.
func (l *loader) warnings() []Warning {
	seen := make(map[fieldError]bool, len(l.warns))
	var out []Warning
	for _, w := range l.warns {
		if !seen[*w] {
			seen[*w] = true
			out = append(out, Warning{Path: w.path, Line: w.line, Message: w.msg})
		}
	}
	slices.SortStableFunc(out, func(a, b Warning) int { return cmp.Compare(a.Line, b.Line) })
	return out
}

// warnRule reports what a valid rule allows that its author probably did not mean.
// principalNodes holds one node per r.Principals entry.
func (l *loader) warnRule(path string, r *Rule, principalNodes []*yaml.Node) {
	// A deny that matches more than meant refuses more, which is safe; only allows are
	// checked. The accounts condition pins the account as well as the pattern can.
	if r.Effect != Allow || len(r.Accounts) > 0 {
		return
	}
	for i, pat := range r.Principals {
		if identityCenterAnyAccount(pat) {
			l.warnf(fmt.Sprintf("%s.principals[%d]", path, i), principalNodes[i],
				"principal pattern %q matches IAM Identity Center (AWSReservedSSO_*) sessions in any account; "+
					"anyone who can create a role with that name in any AWS account can choose its session name, "+
					"such as alice@example.com: pin the account in the pattern, or list accounts in the rule", pat)
		}
	}
}
