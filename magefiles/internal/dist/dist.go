package dist

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

// goreleaser runs the goreleaser pinned by the magefiles module's tool directive; go.work
// makes it resolvable from the repository root.
var goreleaser = []string{"go", "tool", "goreleaser"}

// Build runs goreleaser as Decide says: a snapshot in dist/ when HEAD has no vX.Y.Z tag,
// otherwise a release of that tag, published only when GITHUB_TOKEN is set. The
// configuration is checked first, and the release notes are the tag's CHANGELOG.md
// section (the [Unreleased] one for a snapshot). It returns the plan it carried out.
func Build(ctx context.Context, r *project.Runner) (Plan, error) {
	tags, err := r.Output(ctx, project.Cmd{Args: []string{"git", "tag", "--points-at", "HEAD"}})
	if err != nil {
		return Plan{}, err
	}
	plan := Decide(strings.Fields(tags), os.Getenv)
	fmt.Fprintf(r.Stdout, "    %s\n", plan)
	if err := r.Step("release notes from "+Changelog, func() error { return writeNotes(r.Root, plan) }); err != nil {
		return plan, err
	}
	if err := r.Step("goreleaser check", func() error {
		return r.Run(ctx, project.Cmd{Args: append(goreleaser, "check", "--config", ConfigFile)})
	}); err != nil {
		return plan, err
	}
	env := plan.Env()
	if remotes, err := r.Output(ctx, project.Cmd{Args: []string{"git", "remote"}}); err == nil && remotes == "" {
		env = append(env, noRemoteEnv...)
	}
	return plan, r.Step("goreleaser "+plan.Kind(), func() error {
		args := append(append(goreleaser, plan.Args(NotesFile)...), "--config", ConfigFile)
		return r.Run(ctx, project.Cmd{Env: env, Args: args})
	})
}

// Test builds the release artifacts as Build does (a snapshot unless HEAD is tagged) and
// verifies them with Verify: the release kind of test that `go tool mage test` runs.
func Test(ctx context.Context, r *project.Runner) error {
	if err := r.Step("release snapshot", func() error { _, err := Build(ctx, r); return err }); err != nil {
		return err
	}
	return r.Step("verify release artifacts", func() error { return Verify(ctx, r, Dir) })
}

// noRemoteEnv gives git an origin URL for goreleaser's commands only. goreleaser asks git
// for the remote URL, and in a clone without one (a fresh `git init`, a CI checkout
// stripped of its remote) it drops all git information from a snapshot: commit "none",
// a zero commit date. Nothing is fetched from the URL.
var noRemoteEnv = []string{
	"GIT_CONFIG_COUNT=1",
	"GIT_CONFIG_KEY_0=remote.origin.url",
	"GIT_CONFIG_VALUE_0=https://github.com/vend-tvm/vend.git",
}

// Kind names the plan in one word.
func (p Plan) Kind() string {
	switch {
	case p.Snapshot():
		return "snapshot"
	case p.Publish:
		return "release"
	default:
		return "unpublished release"
	}
}

func (p Plan) String() string {
	switch {
	case p.Snapshot():
		return "snapshot: HEAD has no vX.Y.Z tag; nothing is published"
	case p.Publish:
		return "release " + p.Tag + ": published to GitHub"
	default:
		return "release " + p.Tag + ": built but not published (" + TokenEnv + " is not set)"
	}
}

// writeNotes writes the plan's release notes to NotesFile. A release without its
// changelog section fails; a snapshot with an empty [Unreleased] section gets a line
// that says so.
func writeNotes(root string, p Plan) error {
	changelog, err := os.ReadFile(filepath.Join(root, Changelog))
	if err != nil && !p.Snapshot() {
		return err
	}
	notes, err := ReleaseNotes(changelog, p.NotesVersion())
	if err != nil {
		if !p.Snapshot() || !errors.Is(err, ErrNoNotes) {
			return fmt.Errorf("release notes for %s: %w", p.Tag, err)
		}
		notes = "Snapshot build: " + Changelog + " has no [Unreleased] entries.\n"
	}
	path := filepath.Join(root, NotesFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(notes), 0o644)
}
