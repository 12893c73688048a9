package output

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/vend-tvm/vend/cli/internal/status"
)

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, map[string]int{"a": 1}); err != nil || b.String() != "{\n  \"a\": 1\n}\n" {
		t.Errorf("got %q, %v", b.String(), err)
	}
}

func TestVerdict(t *testing.T) {
	text := func(w io.Writer) func() error {
		return func() error { _, err := io.WriteString(w, "DENY\n"); return err }
	}
	var b bytes.Buffer
	err := Verdict(&b, FormatText, map[string]bool{"allowed": false}, text(&b), false)
	if status.Code(err) != status.Denied || b.String() != "DENY\n" {
		t.Errorf("text deny: %q, %v", b.String(), err)
	}
	b.Reset()
	err = Verdict(&b, FormatJSON, map[string]bool{"allowed": true}, text(&b), true)
	if err != nil || b.String() != "{\n  \"allowed\": true\n}\n" {
		t.Errorf("json allow: %q, %v", b.String(), err)
	}
	failed := errors.New("write failed")
	if err := Verdict(&b, FormatText, nil, func() error { return failed }, false); err != failed {
		t.Errorf("a failed write is the error, not a denial: %v", err)
	}
}

func TestNoArgs(t *testing.T) {
	check := NoArgs("whoami")
	if err := check(nil, nil); err != nil {
		t.Errorf("no arguments: %v", err)
	}
	err := check(nil, []string{"x"})
	if status.Code(err) != status.Usage || err.Error() != `whoami takes no arguments, got ["x"]` {
		t.Errorf("got %v", err)
	}
}

func TestRegister(t *testing.T) {
	tests := []struct {
		args    []string
		want    string
		wantErr string
	}{
		{args: nil, want: "text"},
		{args: []string{"-o", "json"}, want: "json"},
		{args: []string{"--output=text"}, want: "text"},
		{args: []string{"--json"}, want: "json"},
		{args: []string{"-o", "json", "--json=false"}, want: "text"},
		{args: []string{"--format", "json"}, want: "json"},
		{args: []string{"-o", "yaml"}, wantErr: `unknown format "yaml": use text, json`},
	}
	for _, tt := range tests {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var got string
		Register(fs, &got, []string{FormatText, FormatJSON}, "format")
		err := fs.Parse(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.args, got, err, tt.want)
		}
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	var env string
	Register(fs, &env, []string{"env", "fish"})
	if fs.Lookup("json") != nil || fs.Lookup("output").Hidden || env != "env" {
		t.Errorf("without json among the formats there is no --json; the default is the first format")
	}
	if f := fs.Lookup("output"); f.Shorthand != "o" || f.Usage != "output format: env, fish" {
		t.Errorf("output flag = %+v", f)
	}
}

func TestOneProfile(t *testing.T) {
	check := OneProfile("export", "Example:\n  eval \"$(vend export PROFILE)\"")
	if err := check(nil, []string{"p"}); err != nil {
		t.Errorf("one profile: %v", err)
	}
	for _, args := range [][]string{nil, {"a", "b"}} {
		err := check(nil, args)
		if status.Code(err) != status.Usage || err.Error() != "export takes one profile\n\nExample:\n  eval \"$(vend export PROFILE)\"" {
			t.Errorf("%q: got %v", args, err)
		}
	}
}
