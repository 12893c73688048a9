package dist

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Platform is one GOOS/GOARCH pair.
type Platform struct{ OS, Arch string }

func (p Platform) String() string { return p.OS + "/" + p.Arch }

// CLIPlatforms are the platforms vend is released for.
var CLIPlatforms = []Platform{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// What goreleaser calls its artifact types in artifacts.json, and the IDs of our builds.
const (
	typeArchive   = "Archive"
	typeBinary    = "Binary"
	typePackage   = "Linux Package"
	typeSBOM      = "SBOM"
	typeCask      = "Homebrew Cask"
	idCLI         = "vend"
	idTVM         = "tvm"
	lambdaNoRPC   = "lambda.norpc"
	sbomSuffix    = ".cdx.json"
	metadataFile  = "metadata.json"
	artifactsFile = "artifacts.json"
)

// Artifact is one entry of goreleaser's artifacts.json.
type Artifact struct {
	Name  string         `json:"name"`
	Path  string         `json:"path"`
	OS    string         `json:"goos"`
	Arch  string         `json:"goarch"`
	Type  string         `json:"type"`
	Extra map[string]any `json:"extra"`
}

// ID is the id of the build, archive or package configuration that made the artifact.
func (a Artifact) ID() string { s, _ := a.Extra["ID"].(string); return s }

// Format is the package format of a Linux package: deb or rpm.
func (a Artifact) Format() string { s, _ := a.Extra["Format"].(string); return s }

// Metadata is goreleaser's metadata.json: what was released.
type Metadata struct {
	Tag     string `json:"tag"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// Release is a goreleaser output folder, read back.
type Release struct {
	Dir       string // the dist folder
	Metadata  Metadata
	Artifacts []Artifact
}

// Load reads the metadata and artifact list goreleaser wrote to dir.
func Load(dir string) (*Release, error) {
	rel := &Release{Dir: dir}
	if err := readJSON(filepath.Join(dir, metadataFile), &rel.Metadata); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(dir, artifactsFile), &rel.Artifacts); err != nil {
		return nil, err
	}
	if rel.Metadata.Version == "" || rel.Metadata.Commit == "" {
		return nil, fmt.Errorf("%s: no version or commit", metadataFile)
	}
	return rel, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read goreleaser output: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// path resolves an artifact's path. goreleaser records paths relative to the folder it
// ran in, which is the dist folder's parent.
func (rel *Release) path(a Artifact) string {
	if filepath.IsAbs(a.Path) {
		return a.Path
	}
	return filepath.Join(filepath.Dir(rel.Dir), a.Path)
}

// find returns the artifacts that match every non-empty field of want (Type, ID via
// Extra, OS, Arch; Format via Extra).
func (rel *Release) find(typ, id, goos, goarch, format string) []Artifact {
	var out []Artifact
	for _, a := range rel.Artifacts {
		if a.Type != typ || (id != "" && a.ID() != id) || (goos != "" && a.OS != goos) ||
			(goarch != "" && a.Arch != goarch) || (format != "" && a.Format() != format) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// one is find for exactly one artifact.
func (rel *Release) one(typ, id, goos, goarch, format string) (Artifact, error) {
	found := rel.find(typ, id, goos, goarch, format)
	what := strings.TrimSpace(strings.Join([]string{typ, id, goos, goarch, format}, " "))
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Artifact{}, fmt.Errorf("no %s artifact", what)
	default:
		return Artifact{}, fmt.Errorf("%d %s artifacts, want one", len(found), what)
	}
}
