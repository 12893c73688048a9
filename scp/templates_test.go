package scp

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestTemplatesAreDescribedAndDocumented(t *testing.T) {
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	readmes := map[Kind]string{}
	for _, k := range []Kind{KindSCP, KindRCP} {
		data, err := os.ReadFile(filepath.Join("templates", strings.ToLower(string(k)), "README.md"))
		if err != nil {
			t.Fatalf("every template folder needs a README.md: %v", err)
		}
		readmes[k] = string(data)
	}
	ts := Templates()
	if len(ts) != len(descriptions) {
		t.Errorf("%d templates embedded, %d described", len(ts), len(descriptions))
	}
	for _, tmpl := range ts {
		t.Run(tmpl.Name, func(t *testing.T) {
			if !kebab.MatchString(tmpl.Name) {
				t.Errorf("name %q is not kebab-case", tmpl.Name)
			}
			if tmpl.Description == "" {
				t.Error("no description in templates.go")
			}
			if tmpl.Kind == KindRCP && !strings.HasPrefix(tmpl.Name, "rcp-") {
				t.Errorf("RCP template names start with rcp-")
			}
			if !strings.Contains(readmes[tmpl.Kind], tmpl.Name+".json") {
				t.Errorf("the %s README does not describe %s.json", tmpl.Kind, tmpl.Name)
			}
			if got, ok := TemplateByName(tmpl.Name); !ok || got.Text != tmpl.Text {
				t.Error("TemplateByName does not find it")
			}
		})
	}
}

func TestTemplatesFor(t *testing.T) {
	names := func(ts []Template) []string {
		var out []string
		for _, tmpl := range ts {
			out = append(out, tmpl.Name)
		}
		return out
	}
	tests := []struct {
		mode Mode
		want []string
	}{
		{ModeEnforce, []string{TemplateDenyAssume, TemplateDenySpoofing, TemplateProtectTVM, TemplateRCPDenyAssume, TemplateRCPDenySpoofing}},
		{ModeTagGated, []string{TemplateDenyAssumeTagged, TemplateDenySpoofing, TemplateProtectTVM, TemplateRCPDenyAssumeTagged, TemplateRCPDenySpoofing}},
		{"audit", nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			got := names(TemplatesFor(tt.mode))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			// AWS allows five SCPs per target, FullAWSAccess included.
			scps := 0
			for _, tmpl := range TemplatesFor(tt.mode) {
				if tmpl.Kind == KindSCP {
					scps++
				}
			}
			if scps+1 > 5 {
				t.Errorf("%d SCPs plus FullAWSAccess exceed 5 per target", scps)
			}
		})
	}
}

func TestRenderGolden(t *testing.T) {
	for _, file := range paramFiles {
		p := loadParams(t, file)
		for _, d := range renderAll(t, p) {
			name := strings.TrimSuffix(filepath.Base(file), ".json") + "/" + d.Name + ".json"
			t.Run(name, func(t *testing.T) {
				golden(t, name, append(d.JSON, '\n'))
			})
		}
	}
}

func TestRenderText(t *testing.T) {
	vars := map[string]any{
		"list":  []string{"a", "b"},
		"empty": []string(nil),
		"str":   "x<y>&z",
		"key":   "vend:enforce",
	}
	tests := []struct {
		name, text, want string
		wantErr          bool
	}{
		{name: "list", text: `{"A":${jsonencode(list)}}`, want: `{"A":["a","b"]}`},
		{name: "empty list encodes as []", text: `${jsonencode(empty)}`, want: `[]`},
		{name: "string as JSON", text: `${jsonencode(str)}`, want: `"x<y>&z"`},
		{name: "string spliced", text: `"aws:ResourceTag/${key}"`, want: `"aws:ResourceTag/vend:enforce"`},
		{name: "lone dollar and percent", text: `$5 100% {}`, want: `$5 100% {}`},
		{name: "unknown variable", text: `${nope}`, wantErr: true},
		{name: "unknown jsonencode variable", text: `${jsonencode(nope)}`, wantErr: true},
		{name: "list spliced", text: `${list}`, wantErr: true},
		{name: "spaces", text: `${ str }`, wantErr: true},
		{name: "strip marker", text: `${~str}`, wantErr: true},
		{name: "other function", text: `${upper(str)}`, wantErr: true},
		{name: "expression", text: `${concat(list, list)}`, wantErr: true},
		{name: "attribute", text: `${var.str}`, wantErr: true},
		{name: "IAM policy variable", text: `${aws:username}`, wantErr: true},
		{name: "directive", text: `%{ if true }x%{ endif }`, wantErr: true},
		{name: "dollar escape", text: `$${str}`, wantErr: true},
		{name: "percent escape", text: `%%{x}`, wantErr: true},
		{name: "unterminated", text: `${str`, wantErr: true},
		{name: "jsonencode unterminated", text: `${jsonencode(str}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RenderText(tt.text, vars)
			if tt.wantErr {
				if !errors.Is(err, ErrTemplate) {
					t.Fatalf("got %q, %v; want an ErrTemplate", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRenderRejectsInvalidParams(t *testing.T) {
	p := exampleParams(t)
	p.TVMRoleARNs = []string{"arn:aws:sts::111111111111:assumed-role/vend-tvm/session"}
	tmpl, _ := TemplateByName(TemplateDenyAssume)
	_, err := Render(tmpl, p)
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Field != "tvm_role_arns[0]" {
		t.Fatalf("got %v, want a ParamError on tvm_role_arns[0]", err)
	}
	if _, err := RenderAll(p); err == nil {
		t.Fatal("RenderAll accepted invalid parameters")
	}
}

func TestRenderReportsInvalidJSON(t *testing.T) {
	tmpl := Template{Name: "broken", Kind: KindSCP, Text: `{"Version":"2012-10-17","Statement":[${jsonencode(tvm_role_arns)}`}
	_, err := renderTemplate(tmpl, templateVars(exampleParams(t).WithDefaults()))
	if !errors.Is(err, ErrInvalidDocument) {
		t.Fatalf("got %v, want ErrInvalidDocument", err)
	}
}

func FuzzRenderText(f *testing.F) {
	for _, tmpl := range Templates() {
		f.Add(tmpl.Text)
	}
	f.Add(`${jsonencode(x)}${y}$${z}%{a}`)
	vars := map[string]any{"x": []string{"a", `"quoted"`}, "y": `back\slash`}
	f.Fuzz(func(t *testing.T, text string) {
		out, err := RenderText(text, vars)
		if err != nil {
			return
		}
		// Output that parses as a policy must survive minification unchanged in meaning.
		d, err := ParseDocument("fuzz", KindSCP, out)
		if err != nil {
			return
		}
		if !jsonEqual(t, out, d.JSON) {
			t.Fatalf("minified form differs: %s vs %s", out, d.JSON)
		}
		_ = Lint(d)
	})
}
