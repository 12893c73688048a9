package dist

import (
	"slices"
	"strings"

	"golang.org/x/mod/semver"
)

// Where dist reads and writes, relative to the repository root.
const (
	ConfigFile = ".goreleaser.yaml"
	Dir        = "dist"             // goreleaser's output; .gitignore lists it
	ScratchDir = "bin/dist-scratch" // completions and man pages the before hooks generate
	NotesFile  = "bin/release-notes.md"
	Changelog  = "CHANGELOG.md"
	TokenEnv   = "GITHUB_TOKEN"
	unreleased = "Unreleased"
	// What a run that must not touch the network skips.
	skipOffline = "publish,announce,sign"
)

// Plan is what one dist run does.
type Plan struct {
	// Tag is the release tag at HEAD (vX.Y.Z), or empty for a snapshot.
	Tag string
	// Publish uploads the release to GitHub (and the cask to the tap); it needs a token.
	Publish bool
}

// Snapshot reports whether the plan builds a snapshot rather than a release.
func (p Plan) Snapshot() bool { return p.Tag == "" }

// NotesVersion is the CHANGELOG.md section the release notes come from.
func (p Plan) NotesVersion() string {
	if p.Snapshot() {
		return unreleased
	}
	return strings.TrimPrefix(p.Tag, "v")
}

// Args are goreleaser's arguments for the plan. A snapshot, and a release without a
// token, skip everything that needs the network, so both work offline.
func (p Plan) Args(notesFile string) []string {
	args := []string{"release", "--clean", "--release-notes", notesFile}
	switch {
	case p.Snapshot():
		args = append(args, "--snapshot", "--skip="+skipOffline)
	case !p.Publish:
		args = append(args, "--skip="+skipOffline)
	}
	return args
}

// Env is the environment goreleaser runs with: the tag is named explicitly, so that
// goreleaser releases the tag dist chose even when HEAD carries several.
func (p Plan) Env() []string {
	if p.Snapshot() {
		return nil
	}
	return []string{"GORELEASER_CURRENT_TAG=" + p.Tag}
}

// Decide picks the plan from the tags that point at HEAD and the environment: the
// highest semantic-version tag makes a release, published only when a GitHub token is
// set; no such tag makes a snapshot. Other tags (such as lambda/v1.0.0 for a module)
// are ignored.
func Decide(headTags []string, getenv func(string) string) Plan {
	var release []string
	for _, t := range headTags {
		t = strings.TrimSpace(t)
		if semver.IsValid(t) && semver.Canonical(t) == t { // vX.Y.Z[-pre] exactly
			release = append(release, t)
		}
	}
	if len(release) == 0 {
		return Plan{}
	}
	slices.SortFunc(release, semver.Compare)
	return Plan{Tag: release[len(release)-1], Publish: getenv(TokenEnv) != ""}
}
