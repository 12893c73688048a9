package site

import (
	"errors"
	"strings"
)

// ChangelogPage turns the root CHANGELOG.md into the site's changelog page: the title
// moves into the front matter and the rest (Keep a Changelog sections) stays as written.
func ChangelogPage(md []byte) ([]byte, error) {
	s := strings.ReplaceAll(string(md), "\r\n", "\n")
	lines := strings.Split(s, "\n")
	title := "Changelog"
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if h, ok := strings.CutPrefix(line, "# "); ok {
			title = strings.TrimSpace(h)
			lines = lines[i+1:]
		}
		break
	}
	body := strings.TrimSpace(strings.Join(lines, "\n"))
	if body == "" {
		return nil, errors.New(ChangelogFile + " has no entries")
	}
	return Page{
		Title:       title,
		Description: "What changed in each vend release, generated from CHANGELOG.md.",
		Weight:      90,
		Source:      ChangelogFile,
	}.render(body), nil
}
