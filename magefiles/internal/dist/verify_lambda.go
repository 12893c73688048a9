package dist

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

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
