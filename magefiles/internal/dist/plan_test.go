package dist

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	noToken := func(string) string { return "" }
	token := func(k string) string {
		if k == TokenEnv {
			return "x"
		}
		return ""
	}
	tests := []struct {
		name   string
		tags   []string
		getenv func(string) string
		want   Plan
	}{
		{"no tags", nil, token, Plan{}},
		{"module and non-semver tags only", []string{"lambda/v1.0.0", "latest", "1.2.3", "v1.2"}, token, Plan{}},
		{"release without token", []string{"v1.2.3"}, noToken, Plan{Tag: "v1.2.3"}},
		{"release with token", []string{"v1.2.3"}, token, Plan{Tag: "v1.2.3", Publish: true}},
		{"highest of several", []string{"v1.10.0", "v1.9.0", "v1.10.0-rc.1"}, noToken, Plan{Tag: "v1.10.0"}},
		{"prerelease", []string{"v2.0.0-rc.1"}, noToken, Plan{Tag: "v2.0.0-rc.1"}},
		{"build metadata is not a release tag", []string{"v1.0.0+local"}, token, Plan{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.tags, tt.getenv); got != tt.want {
				t.Fatalf("Decide(%v) = %+v, want %+v", tt.tags, got, tt.want)
			}
		})
	}
}

func TestPlanArgs(t *testing.T) {
	tests := []struct {
		name     string
		plan     Plan
		want     []string
		wantEnv  []string
		wantKind string
		notes    string
	}{
		{
			name:     "snapshot works offline",
			plan:     Plan{},
			want:     []string{"release", "--clean", "--release-notes", "n.md", "--snapshot", "--skip=publish,announce,sign"},
			wantKind: "snapshot",
			notes:    "Unreleased",
		},
		{
			name:     "release without token skips publishing",
			plan:     Plan{Tag: "v1.2.3"},
			want:     []string{"release", "--clean", "--release-notes", "n.md", "--skip=publish,announce,sign"},
			wantEnv:  []string{"GORELEASER_CURRENT_TAG=v1.2.3"},
			wantKind: "unpublished release",
			notes:    "1.2.3",
		},
		{
			name:     "release with token publishes",
			plan:     Plan{Tag: "v1.2.3", Publish: true},
			want:     []string{"release", "--clean", "--release-notes", "n.md"},
			wantEnv:  []string{"GORELEASER_CURRENT_TAG=v1.2.3"},
			wantKind: "release",
			notes:    "1.2.3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.plan.Args("n.md"); !slices.Equal(got, tt.want) {
				t.Errorf("Args = %q, want %q", got, tt.want)
			}
			if got := tt.plan.Env(); !slices.Equal(got, tt.wantEnv) {
				t.Errorf("Env = %q, want %q", got, tt.wantEnv)
			}
			if got := tt.plan.Kind(); got != tt.wantKind {
				t.Errorf("Kind = %q, want %q", got, tt.wantKind)
			}
			if got := tt.plan.NotesVersion(); got != tt.notes {
				t.Errorf("NotesVersion = %q, want %q", got, tt.notes)
			}
			if s := tt.plan.String(); s == "" || (tt.plan.Tag != "" && !strings.Contains(s, tt.plan.Tag)) {
				t.Errorf("String = %q", s)
			}
		})
	}
}

func TestWriteNotes(t *testing.T) {
	const changelog = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-02\n\n### Added\n- cli: vend.\n"
	tests := []struct {
		name    string
		plan    Plan
		want    string
		wantErr error
	}{
		{"release takes its section", Plan{Tag: "v1.0.0"}, "### Added\n- cli: vend.\n", nil},
		{"snapshot with an empty Unreleased section says so", Plan{}, "Snapshot build: CHANGELOG.md has no [Unreleased] entries.\n", nil},
		{"release without a section fails", Plan{Tag: "v1.1.0"}, "", ErrNoNotes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, Changelog), []byte(changelog), 0o644); err != nil {
				t.Fatal(err)
			}
			err := writeNotes(root, tt.plan)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("writeNotes = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(root, NotesFile))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("notes = %q, want %q", got, tt.want)
			}
		})
	}
}
