package build

import (
	"runtime"
	"testing"
)

func TestGetUsesStampedValues(t *testing.T) {
	old := [3]string{Version, Commit, Date}
	t.Cleanup(func() { Version, Commit, Date = old[0], old[1], old[2] })
	Version, Commit, Date = "v1.2.3", "abc123", "2025-01-02T03:04:05Z"
	got := Get()
	want := Info{Version: "v1.2.3", Commit: "abc123", Date: "2025-01-02T03:04:05Z", GoVersion: runtime.Version()}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
