package scpcheck

import (
	"strings"
	"testing"

	"github.com/vend-tvm/vend/internal/testkit"
)

func TestParseAllowList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Known
		wantErr string
	}{
		{name: "empty with comments", in: "# header\n\n   # indented comment\n"},
		{
			name: "entries with spaces around separators",
			in:   "# why\nenforce | SAML federation into a protected role | the simulator treats SAML callers as anonymous\ntag-gated|audit: x|reason with | a pipe\n",
			want: []Known{
				{Mode: "enforce", Case: "SAML federation into a protected role", Reason: "the simulator treats SAML callers as anonymous", Line: 2},
				{Mode: "tag-gated", Case: "audit: x", Reason: "reason with | a pipe", Line: 3},
			},
		},
		{name: "missing reason field", in: "enforce | case\n", wantErr: "line 1: want MODE | CASE | REASON"},
		{name: "blank reason", in: "enforce | case |   \n", wantErr: "reason is mandatory"},
		{name: "unknown mode", in: "audit | case | why\n", wantErr: `mode "audit"`},
		{name: "empty case", in: "enforce |  | why\n", wantErr: "empty case name"},
		{name: "duplicate", in: "enforce | a | one\nenforce | a | two\n", wantErr: "line 2: case \"a\" already listed on line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAllowList(strings.NewReader(tt.in))
			if testkit.ErrCase(t, err, tt.wantErr) {
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries, want %d: %+v", len(got), len(tt.want), got)
			}
			for _, w := range tt.want {
				k, ok := got.Lookup(w.Mode, w.Case)
				if !ok || k != w {
					t.Errorf("Lookup(%q, %q) = %+v, %v; want %+v", w.Mode, w.Case, k, ok, w)
				}
			}
		})
	}
}

// The checked-in allow-list must always parse, or the target fails before comparing.
func TestCheckedInAllowListParses(t *testing.T) {
	known, err := ParseAllowList(strings.NewReader(readRepoFile(t, AllowListPath)))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range known {
		if len(k.Reason) < 20 {
			t.Errorf("line %d: reason %q is too short to explain anything", k.Line, k.Reason)
		}
	}
}

func FuzzParseAllowList(f *testing.F) {
	f.Add("enforce | a | b\n")
	f.Add("# c\ntag-gated|x|y\nenforce|x|y")
	f.Add("|||\n")
	f.Fuzz(func(t *testing.T, in string) {
		known, err := ParseAllowList(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, k := range known {
			if k.Reason == "" || k.Case == "" || (k.Mode != "enforce" && k.Mode != "tag-gated") {
				t.Fatalf("accepted an incomplete entry: %+v", k)
			}
		}
	})
}
