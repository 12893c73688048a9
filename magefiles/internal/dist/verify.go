package dist

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/vend-tvm/vend/magefiles/internal/project"
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

// ArchiveFiles are what every vend archive holds besides the binary.
var ArchiveFiles = []string{
	"README.md", "LICENSE",
	"completions/vend.bash", "completions/vend.zsh", "completions/vend.fish",
	"manpages/vend.1.gz",
}

// DebFiles are what the .deb installs besides /usr/bin/vend, relative to /.
var DebFiles = []string{
	"usr/share/bash-completion/completions/vend",
	"usr/share/zsh/vendor-completions/_vend",
	"usr/share/fish/vendor_completions.d/vend.fish",
	"usr/share/man/man1/vend.1.gz",
	"usr/share/doc/vend/copyright",
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

// Verify checks goreleaser's output in distDir (relative to the repository root, or
// absolute) the way users meet it, and reports every failed check together:
//   - checksums.txt verifies, and lists every archive, package and SBOM;
//   - each platform's vend archive holds a static binary for that platform, stamped with
//     the version and commit, and the README, LICENSE, completions and man page;
//   - each Lambda zip holds only bootstrap, executable, built for its architecture with
//     lambda.norpc and stamped;
//   - the .deb and .rpm packages exist for both Linux architectures, the Homebrew cask
//     names the version and the archives' checksums, and every binary has an SBOM;
//   - the .deb for this machine installs with dpkg -i (as root; otherwise it is
//     extracted), and the installed vend prints its version and bash completions.
//
// Run it after `go tool mage dist`.
func Verify(ctx context.Context, r *project.Runner, distDir string) error {
	dir := distDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(r.Root, dir)
	}
	rel, err := Load(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.Stdout, "    verifying vend %s (commit %s) in %s\n", rel.Metadata.Version, rel.Metadata.Commit, distDir)
	checks := []struct {
		name string
		fn   func() error
	}{
		{"checksums verify", rel.CheckChecksums},
		{"vend archives", rel.CheckArchives},
		{"Lambda zips", rel.CheckLambdaZips},
		{"Linux packages", rel.CheckPackages},
		{"Homebrew cask", rel.CheckCask},
		{"SBOMs", rel.CheckSBOMs},
		{".deb installs and runs", func() error { return rel.CheckDeb(ctx, r, true) }},
	}
	var errs []error
	for _, c := range checks {
		errs = append(errs, r.Step("dist: "+c.name, c.fn))
	}
	return errors.Join(errs...)
}

// CheckChecksums verifies checksums.txt and that it covers every file users download.
func (rel *Release) CheckChecksums() error {
	names, err := VerifyChecksums(filepath.Join(rel.Dir, ChecksumsFile))
	if err != nil {
		return err
	}
	var errs []error
	for _, typ := range []string{typeArchive, typePackage, typeSBOM} {
		for _, a := range rel.find(typ, "", "", "", "") {
			if _, ok := slices.BinarySearch(names, a.Name); !ok {
				errs = append(errs, fmt.Errorf("%s is not in %s", a.Name, ChecksumsFile))
			}
		}
	}
	return errors.Join(errs...)
}

// CheckArchives checks the vend archive of every platform.
func (rel *Release) CheckArchives() error {
	var errs []error
	for _, p := range CLIPlatforms {
		a, err := rel.one(typeArchive, idCLI, p.OS, p.Arch, "")
		if err == nil {
			err = rel.checkArchive(rel.path(a), p)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

func (rel *Release) checkArchive(path string, p Platform) error {
	wantExt, bin := ".tar.gz", "vend"
	if p.OS == "windows" {
		wantExt, bin = ".zip", "vend.exe"
	}
	if !strings.HasSuffix(path, wantExt) {
		return fmt.Errorf("%s: want a %s archive", filepath.Base(path), wantExt)
	}
	files, err := readArchive(path)
	if err != nil {
		return err
	}
	var errs []error
	f, ok := files[bin]
	switch {
	case !ok:
		errs = append(errs, fmt.Errorf("%s: no %s", filepath.Base(path), bin))
	case p.OS != "windows" && f.Mode.Perm()&0o111 == 0:
		errs = append(errs, fmt.Errorf("%s: %s is not executable (mode %v)", filepath.Base(path), bin, f.Mode))
	}
	if ok {
		if err := checkExecutable(f.Data, p.OS, p.Arch); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", bin, err))
		}
		if err := checkStamped(f.Data, rel.Metadata.Version, rel.Metadata.Commit); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", bin, err))
		}
	}
	for _, name := range ArchiveFiles {
		f, ok := files[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: no %s", filepath.Base(path), name))
			continue
		}
		err := checkContent(name, f.Data)
		if err == nil && strings.HasSuffix(name, ".1.gz") {
			err = checkManVersion(f.Data, rel.Metadata.Version)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", filepath.Base(path), name, err))
		}
	}
	return errors.Join(errs...)
}

// contentMarks are what the start of each generated file must hold, so that an empty
// or wrong file (a shell error message, say) is caught.
var contentMarks = map[string]string{
	"vend.bash": "# bash completion",
	"vend.zsh":  "#compdef vend",
	"vend.fish": "complete -c vend",
	"vend":      "# bash completion", // the bash completion as the .deb installs it
	"_vend":     "#compdef vend",
	"vend.1.gz": ".TH",
	"LICENSE":   "Apache License",
	"copyright": "Apache License",
	"README.md": "# vend",
}

// checkContent checks a generated or copied file by its base name; a man page is
// decompressed first.
func checkContent(name string, data []byte) error {
	base := filepath.Base(name)
	mark, ok := contentMarks[base]
	if !ok {
		return nil
	}
	if strings.HasSuffix(base, ".gz") {
		var err error
		if data, err = gunzip(data); err != nil {
			return err
		}
	}
	if !bytes.Contains(data, []byte(mark)) {
		return fmt.Errorf("does not contain %q", mark)
	}
	return nil
}

func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not gzip: %w", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("not gzip: %w", err)
	}
	return out, nil
}

// checkManVersion checks that a gzipped man page names the release in its header, as
// `man` shows it in the page's footer.
func checkManVersion(data []byte, version string) error {
	page, err := gunzip(data)
	if err != nil {
		return err
	}
	if !bytes.Contains(page, []byte("vend "+version)) {
		return fmt.Errorf("the man page does not name %q", "vend "+version)
	}
	return nil
}

// CheckLambdaZips checks the TVM zip of every Lambda architecture.
func (rel *Release) CheckLambdaZips() error {
	var errs []error
	for _, arch := range project.LambdaArchs {
		a, err := rel.one(typeArchive, idTVM, "linux", arch, "")
		if err == nil {
			err = checkLambdaZip(rel.path(a), arch, rel.Metadata.Version, rel.Metadata.Commit)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("linux/%s: %w", arch, err))
		}
	}
	return errors.Join(errs...)
}

// checkLambdaZip checks that a Lambda zip holds exactly an executable bootstrap, static,
// for arch, built with lambda.norpc and stamped with stamps.
func checkLambdaZip(path, arch string, stamps ...string) error {
	if !strings.HasSuffix(path, ".zip") {
		return fmt.Errorf("%s: want a .zip", filepath.Base(path))
	}
	files, err := readZip(path)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		slices.Sort(names)
		return fmt.Errorf("%s holds %v, want only bootstrap", filepath.Base(path), names)
	}
	f, ok := files["bootstrap"]
	if !ok {
		return fmt.Errorf("%s has no bootstrap", filepath.Base(path))
	}
	if f.Mode.Perm()&0o111 == 0 {
		return fmt.Errorf("bootstrap is not executable (mode %v): Lambda cannot start it", f.Mode)
	}
	if err := checkExecutable(f.Data, "linux", arch); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	tags, err := buildTags(f.Data)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if !slices.Contains(tags, lambdaNoRPC) {
		return fmt.Errorf("bootstrap built with tags %v, want %s", tags, lambdaNoRPC)
	}
	if err := checkStamped(f.Data, stamps...); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	return nil
}

// Magic numbers at the start of a Debian package (an ar archive) and an RPM (its lead).
var (
	debMagic = []byte("!<arch>\n")
	rpmMagic = []byte{0xed, 0xab, 0xee, 0xdb}
)

// CheckPackages checks that a .deb and an .rpm exist for each Linux architecture and
// are what their names say.
func (rel *Release) CheckPackages() error {
	var errs []error
	for _, arch := range []string{"amd64", "arm64"} {
		for format, magic := range map[string][]byte{"deb": debMagic, "rpm": rpmMagic} {
			a, err := rel.one(typePackage, idCLI, "linux", arch, format)
			if err == nil {
				err = checkMagic(rel.path(a), magic)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("linux/%s %s: %w", arch, format, err))
			}
		}
	}
	return errors.Join(errs...)
}

func checkMagic(path string, magic []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, magic) {
		return fmt.Errorf("%s does not start with %q", filepath.Base(path), magic)
	}
	return nil
}

var (
	caskVersionRE = regexp.MustCompile(`(?m)^\s*version\s+"([^"]+)"`)
	caskSHARE     = regexp.MustCompile(`(?m)^\s*sha256\s+"([0-9a-f]{64})"`)
)

// CheckCask checks the Homebrew cask: it names the version, and its checksums are
// exactly those of the macOS and Linux archives it installs.
func (rel *Release) CheckCask() error {
	a, err := rel.one(typeCask, "", "", "", "")
	if err != nil {
		return err
	}
	data, err := os.ReadFile(rel.path(a))
	if err != nil {
		return err
	}
	sums, err := readChecksums(filepath.Join(rel.Dir, ChecksumsFile))
	if err != nil {
		return err
	}
	var want []string
	for _, p := range CLIPlatforms {
		if p.OS == "windows" {
			continue
		}
		arch, err := rel.one(typeArchive, idCLI, p.OS, p.Arch, "")
		if err != nil {
			return err
		}
		want = append(want, sums[arch.Name])
	}
	return checkCask(data, rel.Metadata.Version, want)
}

func checkCask(rb []byte, version string, wantSums []string) error {
	m := caskVersionRE.FindSubmatch(rb)
	if m == nil || string(m[1]) != version {
		return fmt.Errorf("cask does not say version %q", version)
	}
	var got []string
	for _, m := range caskSHARE.FindAllSubmatch(rb, -1) {
		got = append(got, string(m[1]))
	}
	slices.Sort(got)
	want := slices.Clone(wantSums)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("cask sha256 values %v, want the archives' %v", got, want)
	}
	return nil
}

func readChecksums(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseChecksums(data)
}

// CheckSBOMs checks that every vend and bootstrap binary has a CycloneDX SBOM that lists
// the modules linked into it.
func (rel *Release) CheckSBOMs() error {
	sboms := map[string]Artifact{}
	for _, a := range rel.find(typeSBOM, "", "", "", "") {
		sboms[a.Name] = a
	}
	var errs []error
	for _, id := range []string{idCLI, idTVM} {
		bins := rel.find(typeBinary, id, "", "", "")
		if len(bins) == 0 {
			errs = append(errs, fmt.Errorf("no %s binaries", id))
		}
		for _, b := range bins {
			name := fmt.Sprintf("%s_%s_%s_%s%s", strings.TrimSuffix(b.Name, ".exe"), rel.Metadata.Version, b.OS, b.Arch, sbomSuffix)
			s, ok := sboms[name]
			if !ok {
				errs = append(errs, fmt.Errorf("%s %s/%s: no SBOM %s", b.Name, b.OS, b.Arch, name))
				continue
			}
			if err := checkSBOM(rel.path(s)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func checkSBOM(path string) error {
	var bom struct {
		BOMFormat  string `json:"bomFormat"`
		Components []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"components"`
	}
	if err := readJSON(path, &bom); err != nil {
		return err
	}
	if bom.BOMFormat != "CycloneDX" {
		return fmt.Errorf("bomFormat %q, want CycloneDX", bom.BOMFormat)
	}
	for _, c := range bom.Components {
		// Both binaries link the AWS SDK: an SBOM without it did not read the binary.
		if c.Name == "github.com/aws/aws-sdk-go-v2" && c.Version != "" {
			return nil
		}
	}
	return fmt.Errorf("lists %d components, none of them github.com/aws/aws-sdk-go-v2", len(bom.Components))
}

// CheckDeb installs the .deb built for this machine (see withDeb; install=false only
// extracts it) and checks the installed files and that the installed vend runs: `vend
// version` reports the release's version and commit, and `vend completion bash`
// prints what the package installed and bash accepts it.
func (rel *Release) CheckDeb(ctx context.Context, r *project.Runner, install bool) error {
	if runtime.GOOS != "linux" {
		fmt.Fprintf(r.Stdout, "    skipped: a .deb installs only on Linux\n")
		return nil
	}
	if missing := r.MissingTools(ctx, dpkgTools); len(missing) > 0 {
		msg := "checking the .deb needs tools this machine lacks:\n" + project.DescribeMissing(missing)
		if project.InCI() {
			return errors.New(msg)
		}
		fmt.Fprintf(r.Stderr, "warning: %sthe .deb check skips outside CI\n", msg)
		return nil
	}
	a, err := rel.one(typePackage, idCLI, "linux", runtime.GOARCH, "deb")
	if err != nil {
		return err
	}
	deb := rel.path(a)
	how, err := withDeb(ctx, r, deb, install, func(root string) error { return rel.checkInstalled(ctx, r, root) })
	fmt.Fprintf(r.Stdout, "    %s: %s\n", filepath.Base(deb), how)
	return err
}

var dpkgTools = []project.Tool{
	{Name: "dpkg", Check: []string{"dpkg", "--version"}, Fix: "a Debian-based machine"},
	{Name: "dpkg-deb", Check: []string{"dpkg-deb", "--version"}, Fix: "a Debian-based machine"},
}

// checkInstalled checks a vend package's files under root and runs its vend.
func (rel *Release) checkInstalled(ctx context.Context, r *project.Runner, root string) error {
	bin := filepath.Join(root, "usr", "bin", "vend")
	var errs []error
	for _, name := range DebFiles {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err == nil {
			err = checkContent(name, data)
		}
		if err == nil && strings.HasSuffix(name, ".1.gz") {
			err = checkManVersion(data, rel.Metadata.Version)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("/%s: %w", name, err))
		}
	}
	out, err := r.Output(ctx, project.Cmd{Args: []string{bin, "version", "--json"}})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	var info struct{ Version, Commit string }
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		errs = append(errs, fmt.Errorf("vend version --json: %w", err))
	}
	if info.Version != rel.Metadata.Version || info.Commit != rel.Metadata.Commit {
		errs = append(errs, fmt.Errorf("installed vend reports version %q commit %q, want %q %q",
			info.Version, info.Commit, rel.Metadata.Version, rel.Metadata.Commit))
	}
	text, err := r.Output(ctx, project.Cmd{Args: []string{bin, "version"}})
	if err != nil || !strings.HasPrefix(text, "vend "+rel.Metadata.Version) {
		errs = append(errs, fmt.Errorf("vend version printed %q (%v), want it to start with %q", text, err, "vend "+rel.Metadata.Version))
	}
	comp, err := r.Output(ctx, project.Cmd{Args: []string{bin, "completion", "bash"}})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	installed, _ := os.ReadFile(filepath.Join(root, DebFiles[0]))
	if strings.TrimSpace(string(installed)) != comp {
		errs = append(errs, errors.New("vend completion bash differs from the completion file the package installed"))
	}
	if _, err := exec.LookPath("bash"); err == nil {
		// Load the completion as a bash user would and ask bash what it registered.
		script := `source "$1" && complete -p vend`
		reg, err := r.Output(ctx, project.Cmd{Args: []string{"bash", "--norc", "--noprofile", "-c", script, "bash", filepath.Join(root, DebFiles[0])}})
		if err != nil || !strings.Contains(reg, "__start_vend") {
			errs = append(errs, fmt.Errorf("bash does not register the vend completion: %q (%v)", reg, err))
		}
	}
	return errors.Join(errs...)
}
