package dist

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrNoNotes means CHANGELOG.md has no entries for the version being released.
var ErrNoNotes = errors.New("no changelog entries")

// sectionVersion returns the version a Keep a Changelog heading names ("## [1.2.0] -
// 2026-01-31", "## [Unreleased]"; the brackets are optional, as people forget them), and
// whether line is such a second-level heading at all.
func sectionVersion(line string) (string, bool) {
	// CommonMark allows up to three spaces before a heading; four make a code block.
	if trimmed := strings.TrimLeft(line, " "); len(line)-len(trimmed) <= 3 {
		line = trimmed
	}
	rest, ok := strings.CutPrefix(line, "##")
	if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return "", false
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", true
	}
	v := strings.TrimSuffix(strings.TrimPrefix(fields[0], "["), "]")
	return strings.TrimPrefix(v, "v"), true
}

// linkRefRE matches the link reference definitions Keep a Changelog puts at the end of
// the file ("[1.2.0]: https://..."): they belong to no section.
var linkRefRE = regexp.MustCompile(`^\[[^\]]+\]:\s`)

// ReleaseNotes returns the body of version's section of a Keep a Changelog file: the
// text between its "## [version]" heading and the next "## " heading. version may carry
// a leading v; "Unreleased" matches in any case. An absent or empty section is
// ErrNoNotes: a release without its changelog entry is a mistake to stop, not to ship.
func ReleaseNotes(changelog []byte, version string) (string, error) {
	want := strings.TrimPrefix(strings.TrimSpace(version), "v")
	if want == "" {
		return "", fmt.Errorf("%s: no version given: %w", Changelog, ErrNoNotes)
	}
	lines := strings.Split(strings.ReplaceAll(string(changelog), "\r\n", "\n"), "\n")
	start, end := -1, len(lines)
	for i, line := range lines {
		got, ok := sectionVersion(line)
		if !ok {
			continue
		}
		if start >= 0 {
			end = i
			break
		}
		if got == want || (strings.EqualFold(got, unreleased) && strings.EqualFold(want, unreleased)) {
			start = i + 1
		}
	}
	if start < 0 {
		return "", fmt.Errorf("%s: no section for %s: %w", Changelog, version, ErrNoNotes)
	}
	body := lines[start:end]
	for len(body) > 0 && strings.TrimSpace(body[0]) == "" {
		body = body[1:]
	}
	for len(body) > 0 {
		last := strings.TrimSpace(body[len(body)-1])
		if last != "" && !linkRefRE.MatchString(last) {
			break
		}
		body = body[:len(body)-1]
	}
	if len(body) == 0 {
		return "", fmt.Errorf("%s: the section for %s is empty: %w", Changelog, version, ErrNoNotes)
	}
	// Only whole blank lines go: the first line's indentation may be what makes it text.
	notes := strings.TrimRight(strings.Join(body, "\n"), " \t\n")
	return notes + "\n", nil
}
