package scpcheck

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Known is one allow-listed disagreement: a case of one mode and why the two
// evaluators may decide it differently.
type Known struct {
	Mode, Case, Reason string
	Line               int
}

// AllowList holds the known modelling differences, keyed by mode and case name.
type AllowList map[string]Known

func key(mode, name string) string { return mode + "\x00" + name }

// Lookup returns the entry for a case, if any.
func (a AllowList) Lookup(mode, name string) (Known, bool) {
	k, ok := a[key(mode, name)]
	return k, ok
}

// ParseAllowList reads the allow-list format: one entry per line,
//
//	MODE | CASE NAME | REASON
//
// with blank lines and lines starting with # ignored. The reason is mandatory: an
// entry nobody can explain is a bug being hidden.
func ParseAllowList(r io.Reader) (AllowList, error) {
	out := AllowList{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("line %d: want MODE | CASE | REASON", n)
		}
		k := Known{Mode: strings.TrimSpace(parts[0]), Case: strings.TrimSpace(parts[1]), Reason: strings.TrimSpace(parts[2]), Line: n}
		switch {
		case k.Mode != "enforce" && k.Mode != "tag-gated":
			return nil, fmt.Errorf("line %d: mode %q: want enforce or tag-gated", n, k.Mode)
		case k.Case == "":
			return nil, fmt.Errorf("line %d: empty case name", n)
		case k.Reason == "":
			return nil, fmt.Errorf("line %d: case %q: the reason is mandatory", n, k.Case)
		}
		if prev, dup := out[key(k.Mode, k.Case)]; dup {
			return nil, fmt.Errorf("line %d: case %q already listed on line %d", n, k.Case, prev.Line)
		}
		out[key(k.Mode, k.Case)] = k
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read allow-list: %w", err)
	}
	return out, nil
}
