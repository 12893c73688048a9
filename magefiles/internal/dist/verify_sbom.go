package dist

import (
	"errors"
	"fmt"
	"strings"
)

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
