package dist

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const keepAChangelog = `# Changelog

All notable changes are recorded here.

## [Unreleased]

### Added
- cli: install channels.

## [1.1.0] - 2026-03-01

### Fixed
- lambda: a fix.

## [v1.0.0] - 2026-01-02

### Added
- lambda: the TVM.

[Unreleased]: https://github.com/vend-tvm/vend/compare/v1.1.0...HEAD
[1.1.0]: https://github.com/vend-tvm/vend/compare/v1.0.0...v1.1.0
`

func TestReleaseNotes(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		version string
		want    string
		wantErr error
	}{
		{"unreleased", keepAChangelog, "Unreleased", "### Added\n- cli: install channels.\n", nil},
		{"unreleased in any case", keepAChangelog, "unreleased", "### Added\n- cli: install channels.\n", nil},
		{"middle section", keepAChangelog, "1.1.0", "### Fixed\n- lambda: a fix.\n", nil},
		{"tag with v", keepAChangelog, "v1.1.0", "### Fixed\n- lambda: a fix.\n", nil},
		{"heading with v, last section, link references dropped", keepAChangelog, "1.0.0", "### Added\n- lambda: the TVM.\n", nil},
		{"CRLF line ends", strings.ReplaceAll(keepAChangelog, "\n", "\r\n"), "1.1.0", "### Fixed\n- lambda: a fix.\n", nil},
		{"no brackets", "## 2.0.0\n- x\n", "2.0.0", "- x\n", nil},
		{"indented heading ends the section", "## [1.0.0]\n- a\n   ## [0.9.0]\n- b\n", "1.0.0", "- a\n", nil},
		{"code block keeps its indentation", "## [1.0.0]\n\n    ## not a heading\n", "1.0.0", "    ## not a heading\n", nil},
		{"empty version matches nothing", "## \n- a\n", " ", "", ErrNoNotes},
		{"missing version", keepAChangelog, "9.9.9", "", ErrNoNotes},
		{"prefix is not a match", keepAChangelog, "1.1", "", ErrNoNotes},
		{"empty section", "## [Unreleased]\n\n## [1.0.0]\n- x\n", "Unreleased", "", ErrNoNotes},
		{"empty file", "", "1.0.0", "", ErrNoNotes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReleaseNotes([]byte(tt.doc), tt.version)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("notes = %q, want %q", got, tt.want)
			}
		})
	}
}

// The repository's own changelog must always give notes for a snapshot.
func TestReleaseNotesOfRepositoryChangelog(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", Changelog))
	if err != nil {
		t.Fatal(err)
	}
	notes, err := ReleaseNotes(data, "Unreleased")
	if err != nil && !errors.Is(err, ErrNoNotes) {
		t.Fatal(err)
	}
	if strings.Contains(notes, "\n## ") {
		t.Errorf("notes run into the next section:\n%s", notes)
	}
}

func FuzzReleaseNotes(f *testing.F) {
	f.Add([]byte(keepAChangelog), "1.1.0")
	f.Add([]byte("## [Unreleased]\n- a\n[x]: y\n"), "Unreleased")
	f.Add([]byte("##\n## [\n"), "v")
	f.Fuzz(func(t *testing.T, doc []byte, version string) {
		notes, err := ReleaseNotes(doc, version)
		if err != nil {
			if notes != "" || !errors.Is(err, ErrNoNotes) {
				t.Fatalf("error %v with notes %q", err, notes)
			}
			return
		}
		if strings.TrimSpace(notes) == "" || !strings.HasSuffix(notes, "\n") {
			t.Fatalf("notes %q: want non-empty text ending in a newline", notes)
		}
		for _, line := range strings.Split(notes, "\n") {
			if _, heading := sectionVersion(line); heading {
				t.Fatalf("notes %q hold the section heading %q", notes, line)
			}
		}
	})
}
