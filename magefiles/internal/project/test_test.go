package project

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestUnitPackages(t *testing.T) {
	mod := filepath.FromSlash("/repo/terraform")
	dir := func(rel string) string { return filepath.Join(mod, filepath.FromSlash(rel)) }
	tests := []struct {
		name    string
		dirs    []string
		want    []string
		wantErr bool
	}{
		{"leaves out the folder and what is under it",
			[]string{dir("."), dir("cmd/tfdocs"), dir("e2e"), dir("e2e/more"), dir("internal/moto")},
			[]string{".", "./cmd/tfdocs", "./internal/moto"}, false},
		{"keeps a folder that only starts like it",
			[]string{dir("e2ex"), dir("internal/e2e")},
			[]string{"./e2ex", "./internal/e2e"}, false},
		{"skips the empty line of no output", []string{""}, nil, false},
		{"refuses a folder outside the module", []string{filepath.FromSlash("/repo/cli")}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := unitPackages(mod, tt.dirs, "e2e")
			if (err != nil) != tt.wantErr {
				t.Fatalf("unitPackages() error = %v, want error %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("unitPackages() = %q, want %q", got, tt.want)
			}
		})
	}
}
