package scp

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// paramFiles are the parameter sets every end-to-end test runs with: a commercial
// partition with pinned protected accounts and a wildcard break-glass role, and a
// GovCloud set with no pinned accounts, two TVM roles, a user deployer and custom
// prefix and tag.
var paramFiles = []string{"testdata/params.json", "testdata/params-govcloud.json"}

func loadParams(t testing.TB, path string) Params {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p Params
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

func exampleParams(t testing.TB) Params {
	t.Helper()
	return loadParams(t, paramFiles[0])
}

func renderAll(t testing.TB, p Params) []Document {
	t.Helper()
	docs, err := RenderAll(p)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// jsonEqual compares two JSON texts semantically.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return reflect.DeepEqual(va, vb)
}

// golden compares got with testdata/golden/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff\n got: %s\nwant: %s", name, got, want)
	}
}
