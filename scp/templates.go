package scp

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// templateFS holds the policy templates. Terraform reads the same files from disk.
//
//go:embed templates/scp/*.json templates/rcp/*.json
var templateFS embed.FS

// Template is one embedded policy template.
type Template struct {
	// Name is the file name without ".json", e.g. "deny-assume-protected-roles-except-tvm".
	Name string
	Kind Kind
	// Path is the file's path below the templates folder, e.g. "scp/protect-tvm-function-and-role.json",
	// the key Terraform's fileset() produces.
	Path string
	// Text is the raw template with its ${...} placeholders.
	Text string
	// Description says in one sentence what the policy blocks.
	Description string
	// TagGated marks the variants that deny only for roles carrying the enforcement tag.
	TagGated bool
}

// Mode selects which variant of the protected-role templates is deployed.
type Mode string

// The two deployable sets of templates.
const (
	// ModeEnforce protects every role under the protected path.
	ModeEnforce Mode = "enforce"
	// ModeTagGated protects only roles under the path that carry the enforcement tag,
	// so roles move from audit to enforce one at a time.
	ModeTagGated Mode = "tag-gated"
)

// descriptions is kept next to the embed so a new template without one fails a test.
var descriptions = map[string]string{
	"deny-assume-protected-roles-except-tvm": "Denies sts:AssumeRole on protected roles to every principal in the accounts it applies to, " +
		"except the TVM roles and the break-glass principals.",
	"deny-assume-protected-roles-except-tvm-tagged": "Like deny-assume-protected-roles-except-tvm, but only for protected roles " +
		"tagged with the enforcement tag, so untagged roles stay in audit.",
	"deny-vend-source-identity-spoofing": "Denies setting a SourceIdentity that starts with the vend prefix to everyone but the TVM, " +
		"unless the caller's session already carries one (role chaining from a vended session); and creating a role named " +
		"like an IAM Identity Center role (AWSReservedSSO_*, at any path), whose session the TVM would show as a person, to everyone; and changing the revocation policies " +
		"(policy/vend-revocation/* in every account) that deny a revoked caller's sessions: new versions only by the TVM, " +
		"deleting versions only by the TVM and the deployers, creating, deleting and tagging them only by the deployers.",
	"protect-tvm-function-and-role": "Denies assuming the TVM role and invoking the TVM function other than through its " +
		"Function URL, to everyone; and passing the TVM role, changing the TVM function, changing the TVM, protected, " +
		"deployer and break-glass roles, and writing the policy parameter, except by the deployer.",
	"rcp-deny-assume-protected-roles-except-tvm": "Denies sts:AssumeRole, AssumeRoleWithSAML and AssumeRoleWithWebIdentity " +
		"on protected roles to everyone but the TVM and break-glass, wherever the caller is, including outside the organisation.",
	"rcp-deny-assume-protected-roles-except-tvm-tagged": "Like rcp-deny-assume-protected-roles-except-tvm, but only for " +
		"protected roles tagged with the enforcement tag.",
	"rcp-deny-vend-source-identity-spoofing": "Denies setting a SourceIdentity with the vend prefix on roles in the organisation " +
		"to everyone but the TVM, including principals outside the organisation and federated users.",
}

// Templates returns every embedded template, SCPs first, each kind sorted by name.
func Templates() []Template {
	var out []Template
	for _, kind := range []Kind{KindSCP, KindRCP} {
		start := len(out)
		dir := "templates/" + strings.ToLower(string(kind))
		entries, err := fs.ReadDir(templateFS, dir)
		if err != nil {
			// The embed pattern guarantees the folder; nothing a caller could do.
			continue
		}
		for _, e := range entries {
			data, err := templateFS.ReadFile(dir + "/" + e.Name())
			if err != nil {
				continue
			}
			name := strings.TrimSuffix(e.Name(), ".json")
			out = append(out, Template{
				Name:        name,
				Kind:        kind,
				Path:        path.Join(strings.ToLower(string(kind)), e.Name()),
				Text:        string(data),
				Description: descriptions[name],
				TagGated:    strings.HasSuffix(name, "-tagged"),
			})
		}
		// ReadDir sorts file names, where "x-tagged.json" precedes "x.json".
		slices.SortFunc(out[start:], func(a, b Template) int { return strings.Compare(a.Name, b.Name) })
	}
	return out
}

// TemplatesFor returns the templates deployed in a mode: the shared ones plus the
// protected-role variant the mode selects. It returns nil for an unknown mode.
func TemplatesFor(m Mode) []Template {
	return selectMode(Templates(), m)
}

// selectMode keeps the templates of ts that a mode deploys. A template with a -tagged
// sibling in ts is an enforce variant; templates without a pair serve both modes.
func selectMode(ts []Template, m Mode) []Template {
	if m != ModeEnforce && m != ModeTagGated {
		return nil
	}
	names := map[string]bool{}
	for _, t := range ts {
		names[t.Name] = true
	}
	var out []Template
	for _, t := range ts {
		switch {
		case t.TagGated:
			if m == ModeTagGated {
				out = append(out, t)
			}
		case names[t.Name+"-tagged"]:
			if m == ModeEnforce {
				out = append(out, t)
			}
		default:
			out = append(out, t)
		}
	}
	return out
}

// TemplateByName returns the embedded template with that name.
func TemplateByName(name string) (Template, bool) {
	for _, t := range Templates() {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}
