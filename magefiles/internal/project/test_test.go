package project

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
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

func TestTestAll(t *testing.T) {
	var out strings.Builder
	r := &Runner{Root: t.TempDir(), Stdout: &out, Stderr: &out}
	var order []string
	kinds := []TestKind{
		{Name: "a", Run: func() error { order = append(order, "a"); fmt.Fprintln(r.Stdout, "a ran"); return nil }},
		{Name: "b", Run: func() error { order = append(order, "b"); return errors.New("b failed") }},
		{Name: "c", Run: func() error { order = append(order, "c"); return nil }},
	}
	started := make(chan struct{})
	err := r.TestAll(context.Background(), kinds, func(bg *Runner) error {
		close(started)
		fmt.Fprintln(bg.Stdout, "background line")
		return errors.New("background failed")
	})
	<-started
	if strings.Join(order, ",") != "a,b" {
		t.Errorf("ran %v, want a then b, and nothing after the failure", order)
	}
	if err == nil || !strings.Contains(err.Error(), "b failed") || !strings.Contains(err.Error(), "background failed") {
		t.Errorf("err = %v, want both failures", err)
	}
	if o := out.String(); strings.Index(o, "a ran") > strings.Index(o, "background line") || strings.Count(o, "background line") != 1 {
		t.Errorf("the background's output must come whole, after the others':\n%s", o)
	}
}
