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
