package output

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// The formats most commands print in.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// Flag is the value of -o/--output: one of a command's formats.
type Flag struct {
	dst     *string
	formats []string
}

// Register adds -o/--output to fs, storing the chosen format in dst: one of formats, the
// first the default. When json is one of them, --json is a hidden alias of -o json, as
// it was before -o existed; every alias in aliases (for example "format") is a hidden
// second name of -o.
func Register(fs *pflag.FlagSet, dst *string, formats []string, aliases ...string) *Flag {
	f := &Flag{dst: dst, formats: formats}
	*dst = formats[0]
	fs.VarP(f, "output", "o", "output format: "+strings.Join(formats, ", "))
	for _, a := range aliases {
		fs.Var(f, a, "alias of --output")
		_ = fs.MarkHidden(a)
	}
	if slices.Contains(formats, FormatJSON) {
		fs.Var(jsonAlias{f}, "json", "alias of --output json")
		fs.Lookup("json").NoOptDefVal = "true"
		_ = fs.MarkHidden("json")
	}
	return f
}

func (f *Flag) String() string { return *f.dst }
func (f *Flag) Type() string   { return "format" }

func (f *Flag) Set(s string) error {
	if !slices.Contains(f.formats, s) {
		return fmt.Errorf("unknown format %q: use %s", s, strings.Join(f.formats, ", "))
	}
	*f.dst = s
	return nil
}

// jsonAlias is --json: a boolean flag that chooses the json format.
type jsonAlias struct{ f *Flag }

func (j jsonAlias) String() string   { return strconv.FormatBool(*j.f.dst == FormatJSON) }
func (j jsonAlias) Type() string     { return "bool" }
func (j jsonAlias) IsBoolFlag() bool { return true }

func (j jsonAlias) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if on {
		*j.f.dst = FormatJSON
	} else if *j.f.dst == FormatJSON {
		*j.f.dst = j.f.formats[0]
	}
	return nil
}
