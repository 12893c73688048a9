package build

import (
	"runtime"
	"runtime/debug"
)

// Set by -ldflags -X at release time. They are variables, not constants, because the
// linker can only overwrite variables.
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// Info is the version information of the running binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"go_version"`
}

// Get returns the stamped values, falling back to what the Go toolchain recorded in
// the binary, so that `go install` builds still say which commit they came from.
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	if info.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if info.Commit == "" {
				info.Commit = s.Value
			}
		case "vcs.time":
			if info.Date == "" {
				info.Date = s.Value
			}
		}
	}
	return info
}
