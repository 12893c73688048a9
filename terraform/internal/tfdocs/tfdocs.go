package tfdocs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Markers delimiting the generated part of a README.
const (
	BeginMarker = "<!-- BEGIN_TF_DOCS -->"
	EndMarker   = "<!-- END_TF_DOCS -->"
)

// ErrMarkers is wrapped by Inject when a README lacks usable markers.
var ErrMarkers = errors.New("tf docs markers")

// Module is what a README documents about one Terraform root or child module.
type Module struct {
	Requirements []Requirement
	Inputs       []Input
	Outputs      []Output
}

// Requirement is a version constraint from the terraform block: Terraform itself or a provider.
type Requirement struct {
	Name    string
	Version string
}

// Input is one variable block. Type and Default hold the HCL source text, so the table
// shows exactly what the code says.
type Input struct {
	Name        string
	Description string
	Type        string
	Default     string
	Required    bool
	Sensitive   bool
}

// Output is one output block.
type Output struct {
	Name        string
	Description string
	Sensitive   bool
}

// LoadDir parses every .tf file of one module directory (not its subdirectories).
func LoadDir(dir string) (*Module, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read module file: %w", err)
		}
		files[filepath.Base(p)] = b
	}
	m, err := Parse(files)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", dir, err)
	}
	return m, nil
}

// Parse reads the variable, output and terraform blocks of a module given as file name
// to contents. Descriptions must be literal strings: a table cannot show an expression's
// value.
func Parse(files map[string][]byte) (*Module, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)

	m := &Module{}
	var errs []error
	for _, name := range names {
		src := files[name]
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if diags.HasErrors() {
			errs = append(errs, fmt.Errorf("%s: %s", name, diags.Error()))
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: not native HCL syntax", name))
			continue
		}
		for _, b := range body.Blocks {
			var err error
			switch b.Type {
			case "variable":
				err = m.addInput(b, src)
			case "output":
				err = m.addOutput(b)
			case "terraform":
				err = m.addRequirements(b)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %w", name, b.TypeRange.Start.Line, err))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	slices.SortFunc(m.Inputs, func(a, b Input) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(m.Outputs, func(a, b Output) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(m.Requirements, func(a, b Requirement) int {
		// Terraform itself first, then providers by name.
		if (a.Name == "terraform") != (b.Name == "terraform") {
			if a.Name == "terraform" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	for i := 1; i < len(m.Inputs); i++ {
		if m.Inputs[i].Name == m.Inputs[i-1].Name {
			return nil, fmt.Errorf("variable %q declared twice", m.Inputs[i].Name)
		}
	}
	for i := 1; i < len(m.Outputs); i++ {
		if m.Outputs[i].Name == m.Outputs[i-1].Name {
			return nil, fmt.Errorf("output %q declared twice", m.Outputs[i].Name)
		}
	}
	return m, nil
}

func (m *Module) addInput(b *hclsyntax.Block, src []byte) error {
	if len(b.Labels) != 1 {
		return errors.New("variable block needs exactly one label")
	}
	in := Input{Name: b.Labels[0], Type: "any", Required: true}
	for name, attr := range b.Body.Attributes {
		switch name {
		case "description":
			s, err := literalString(attr)
			if err != nil {
				return fmt.Errorf("variable %q: %w", in.Name, err)
			}
			in.Description = s
		case "type":
			in.Type = sourceText(src, attr.Expr.Range())
		case "default":
			in.Default = sourceText(src, attr.Expr.Range())
			in.Required = false
		case "sensitive":
			v, err := literalBool(attr)
			if err != nil {
				return fmt.Errorf("variable %q: %w", in.Name, err)
			}
			in.Sensitive = v
		}
	}
	m.Inputs = append(m.Inputs, in)
	return nil
}

func (m *Module) addOutput(b *hclsyntax.Block) error {
	if len(b.Labels) != 1 {
		return errors.New("output block needs exactly one label")
	}
	out := Output{Name: b.Labels[0]}
	for name, attr := range b.Body.Attributes {
		switch name {
		case "description":
			s, err := literalString(attr)
			if err != nil {
				return fmt.Errorf("output %q: %w", out.Name, err)
			}
			out.Description = s
		case "sensitive":
			v, err := literalBool(attr)
			if err != nil {
				return fmt.Errorf("output %q: %w", out.Name, err)
			}
			out.Sensitive = v
		}
	}
	m.Outputs = append(m.Outputs, out)
	return nil
}

func (m *Module) addRequirements(b *hclsyntax.Block) error {
	if attr, ok := b.Body.Attributes["required_version"]; ok {
		v, err := literalString(attr)
		if err != nil {
			return fmt.Errorf("required_version: %w", err)
		}
		m.Requirements = append(m.Requirements, Requirement{Name: "terraform", Version: v})
	}
	for _, rp := range b.Body.Blocks {
		if rp.Type != "required_providers" {
			continue
		}
		for name, attr := range rp.Body.Attributes {
			v, diags := attr.Expr.Value(nil)
			if diags.HasErrors() {
				return fmt.Errorf("required_providers.%s: %s", name, diags.Error())
			}
			req := Requirement{Name: name, Version: "any"}
			switch {
			case v.Type() == cty.String && v.IsKnown() && !v.IsNull():
				req.Version = v.AsString() // legacy shorthand: aws = "~> 5.0"
			case (v.Type().IsObjectType() && v.Type().HasAttribute("version")) && !v.IsNull():
				ver := v.GetAttr("version")
				if ver.Type() != cty.String || ver.IsNull() || !ver.IsKnown() {
					return fmt.Errorf("required_providers.%s.version must be a string", name)
				}
				req.Version = ver.AsString()
			}
			m.Requirements = append(m.Requirements, req)
		}
	}
	return nil
}

func literalString(attr *hclsyntax.Attribute) (string, error) {
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return "", fmt.Errorf("%s must be a literal string", attr.Name)
	}
	return v.AsString(), nil
}

func literalBool(attr *hclsyntax.Attribute) (bool, error) {
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.Bool {
		return false, fmt.Errorf("%s must be a literal bool", attr.Name)
	}
	return v.True(), nil
}

func sourceText(src []byte, r hcl.Range) string {
	if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return string(src[r.Start.Byte:r.End.Byte])
}

// Markdown renders the tables, the part of a README between the markers.
func (m *Module) Markdown() string {
	var b strings.Builder
	if len(m.Requirements) > 0 {
		b.WriteString("## Requirements\n\n| Name | Version |\n|------|---------|\n")
		for _, r := range m.Requirements {
			fmt.Fprintf(&b, "| %s | %s |\n", r.Name, code(r.Version))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Inputs\n\n")
	if len(m.Inputs) == 0 {
		b.WriteString("No inputs.\n\n")
	} else {
		b.WriteString("| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n")
		for _, in := range m.Inputs {
			def := "n/a"
			if !in.Required {
				def = code(in.Default)
			}
			req := "no"
			if in.Required {
				req = "yes"
			}
			desc := cell(in.Description)
			if in.Sensitive {
				desc += " (sensitive)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", code(in.Name), desc, code(in.Type), def, req)
		}
		b.WriteString("\n")
	}

	b.WriteString("## Outputs\n\n")
	if len(m.Outputs) == 0 {
		b.WriteString("No outputs.\n")
	} else {
		b.WriteString("| Name | Description |\n|------|-------------|\n")
		for _, out := range m.Outputs {
			desc := cell(out.Description)
			if out.Sensitive {
				desc += " (sensitive)"
			}
			fmt.Fprintf(&b, "| %s | %s |\n", code(out.Name), desc)
		}
	}
	return b.String()
}

// cell makes text safe for one Markdown table cell.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// code renders HCL source as an inline code span on one line. A span holding backticks
// is fenced with more backticks than it contains, as CommonMark allows.
func code(s string) string {
	s = cell(s)
	if s == "" {
		return "`\"\"`"
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// Inject replaces what lies between the markers of doc with content. Exactly one pair
// of markers, in order, must exist.
func Inject(doc, content string) (string, error) {
	if strings.Count(doc, BeginMarker) != 1 || strings.Count(doc, EndMarker) != 1 {
		return "", fmt.Errorf("%w: need exactly one %s and one %s", ErrMarkers, BeginMarker, EndMarker)
	}
	begin := strings.Index(doc, BeginMarker) + len(BeginMarker)
	end := strings.Index(doc, EndMarker)
	if end < begin {
		return "", fmt.Errorf("%w: %s comes before %s", ErrMarkers, EndMarker, BeginMarker)
	}
	return doc[:begin] + "\n" + strings.TrimRight(content, "\n") + "\n" + doc[end:], nil
}

// Update regenerates the tables of dir/README.md. With write false it only reports
// whether the file is stale. It returns true when the file differs (or differed).
func Update(dir string, write bool) (bool, error) {
	m, err := LoadDir(dir)
	if err != nil {
		return false, err
	}
	path := filepath.Join(dir, "README.md")
	old, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("read readme: %w", err)
	}
	doc, err := Inject(string(old), m.Markdown())
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if doc == string(old) {
		return false, nil
	}
	if write {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			return true, fmt.Errorf("write readme: %w", err)
		}
	}
	return true, nil
}

// Dirs lists the module and example directories under root (the terraform folder):
// root/modules/* and root/examples/* that hold .tf files.
func Dirs(root string) ([]string, error) {
	var dirs []string
	for _, parent := range []string{"modules", "examples"} {
		entries, err := os.ReadDir(filepath.Join(root, parent))
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", parent, err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			dir := filepath.Join(root, parent, e.Name())
			tf, err := filepath.Glob(filepath.Join(dir, "*.tf"))
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", dir, err)
			}
			if len(tf) > 0 {
				dirs = append(dirs, dir)
			}
		}
	}
	return dirs, nil
}
