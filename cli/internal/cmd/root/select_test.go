package root

import (
	"slices"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
)

func TestSubcommandNamesMatchTheirCommands(t *testing.T) {
	e := cmdtest.New(t)
	var names []string
	for _, sub := range subcommands {
		c := sub.new(e.F)
		if c.Name() != sub.name || len(c.Aliases) != 0 {
			t.Errorf("entry %q builds %q (aliases %v): Run would not find it by name", sub.name, c.Name(), c.Aliases)
		}
		names = append(names, sub.name)
	}
	var tree []string
	for _, c := range NewCmdRoot(e.F).Commands() {
		if c.Name() != "help" {
			tree = append(tree, c.Name())
		}
	}
	slices.Sort(names)
	if !slices.Equal(tree, names) {
		t.Errorf("tree %v, table %v", tree, names)
	}
}

func TestSelected(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" for the whole tree
	}{
		{[]string{"credential-process", "deploy"}, "credential-process"},
		{[]string{"exec", "deploy", "--", "aws", "help"}, "exec"},
		{[]string{"--base-profile", "base", "credential-process", "deploy"}, "credential-process"},
		{[]string{"--base-profile=base", "--debug", "export", "deploy"}, "export"},
		{[]string{"--debug=false", "--remote-server", "https://x", "serve", "p"}, "serve"},
		{[]string{"--base-profile", "exec", "version"}, "version"}, // exec is the flag's value
		{[]string{"version", "--help"}, "version"},
		{nil, ""},
		{[]string{"help", "exec"}, ""},
		{[]string{"--help"}, ""},
		{[]string{"-h", "exec"}, ""},
		{[]string{"--version"}, ""},
		{[]string{"--base-profile"}, ""},
		{[]string{"--unknown", "exec"}, ""},
		{[]string{"exce", "p"}, ""}, // cobra suggests exec from the whole tree
		{[]string{"completion", "bash"}, ""},
		{[]string{"docs"}, ""},
		{[]string{"__complete", "ex"}, ""},
		{[]string{"--", "exec"}, ""},
	}
	e := cmdtest.New(t)
	for _, tt := range tests {
		got := selected(e.F, tt.args)
		switch {
		case tt.want == "" && len(got) != len(subcommands):
			t.Errorf("%q: selected %d commands, want the whole tree", tt.args, len(got))
		case tt.want != "" && (len(got) != 1 || got[0].name != tt.want):
			t.Errorf("%q: selected %d commands, want only %s", tt.args, len(got), tt.want)
		}
	}
	if e.F.Flags != (cmdtest.New(t).F.Flags) {
		t.Error("selecting parsed flags into the factory")
	}
}

// The tree Run builds for one command must behave like the whole tree: same help, same
// usage errors.
func TestSelectedTreeBehavesLikeTheWholeTree(t *testing.T) {
	for _, sub := range subcommands {
		if sub.name == "completion" || sub.name == "docs" {
			continue
		}
		for _, args := range [][]string{{sub.name, "--help"}, {sub.name, "--no-such-flag"}} {
			whole, one := cmdtest.New(t), cmdtest.New(t)
			cmd := NewCmdRoot(whole.F)
			cmd.SetArgs(args)
			_, wantErr := cmd.ExecuteC()
			gotCode := run(t, one, args...)
			if (wantErr == nil) != (gotCode == 0) {
				t.Errorf("%q: whole tree %v, Run exit %d", args, wantErr, gotCode)
			}
			if args[1] == "--help" && !strings.Contains(one.Out.String(), "Usage:") {
				t.Errorf("%q printed no help: %q", args, one.Out)
			}
			if whole.Out.String() != one.Out.String() {
				t.Errorf("%q: help differs:\n%s\n---\n%s", args, whole.Out, one.Out)
			}
		}
	}
}
