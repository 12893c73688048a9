package scp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vend-tvm/vend/internal/revocation"
)

// ErrTemplate marks template syntax the renderer does not implement. The renderer
// implements exactly the forms Terraform's templatefile() evaluates the same way and
// nothing else, so a template that renders here renders identically in Terraform.
var ErrTemplate = errors.New("unsupported template")

// TemplateVars derives the variables the templates reference from the parameters. The
// org-guardrails module's main.tf derives the same map in HCL; TestTerraformRendersLikeGo
// plans that module and compares its documents with these byte for byte.
//
//	tvm_role_arns            the TVM roles
//	assume_exempt_arns       TVM roles then break-glass principals, without repeats
//	deployer_arns            the deployers
//	protected_role_arns      arn:P:iam::ACCOUNT:role/PATH* per protected account (account * when none)
//	guarded_role_arns        TVM, protected, deployer and break-glass ARNs, without repeats
//	revocation_policy_arns   arn:P:iam::*:policy/vend-revocation/* (the path in every account)
//	revocation_writer_arns   TVM roles then arn:P:iam::*:role/PATHvend-revocation-writer
//	revocation_pruner_arns   revocation writers then deployers, without repeats
//	tvm_function_arns        the function ARN and ARN:* (its versions and aliases)
//	policy_parameter_arn     the policy parameter
//	source_identity_pattern  the SourceIdentity prefix followed by *
//	protected_role_tag_key   the enforcement tag key (spliced into a condition key)
//	protected_role_tag_value the enforcement tag value
//	partition                the ARNs' partition (aws, aws-us-gov, ...), spliced into ARNs no parameter names
func TemplateVars(p Params) (map[string]any, error) {
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("invalid parameters: %w", err)
	}
	return templateVars(p), nil
}

func templateVars(p Params) map[string]any {
	protected := protectedRoleARNs(p)
	writers := distinct(p.TVMRoleARNs, revocationWriterARNs(p))
	return map[string]any{
		"tvm_role_arns":            slices.Clone(p.TVMRoleARNs),
		"assume_exempt_arns":       distinct(p.TVMRoleARNs, p.BreakGlassARNs),
		"deployer_arns":            slices.Clone(p.DeployerARNs),
		"protected_role_arns":      protected,
		"guarded_role_arns":        distinct(p.TVMRoleARNs, protected, p.DeployerARNs, p.BreakGlassARNs),
		"revocation_policy_arns":   revocationPolicyARNs(p),
		"revocation_writer_arns":   writers,
		"revocation_pruner_arns":   distinct(writers, p.DeployerARNs),
		"tvm_function_arns":        []string{p.TVMFunctionARN, p.TVMFunctionARN + ":*"},
		"policy_parameter_arn":     p.PolicyParameterARN,
		"source_identity_pattern":  p.SourceIdentityPrefix + "*",
		"protected_role_tag_key":   p.ProtectedRoleTagKey,
		"protected_role_tag_value": p.ProtectedRoleTagValue,
		"partition":                partitionOf(p),
	}
}

// partitionOf is the partition of the first TVM role, Validate having checked that all
// ARNs share it; "aws" when there is none to read it from.
func partitionOf(p Params) string {
	if len(p.TVMRoleARNs) > 0 {
		if a, err := parseARN(p.TVMRoleARNs[0]); err == nil {
			return a.partition
		}
	}
	return "aws"
}

// revocationWriterARNs is the revocation-writer role under the protected roles' path,
// in every account: a TVM in another account versions a revocation policy as the writer
// of the policy's account, and an IAM principal versions only its own account's
// policies, so the document does not grow with the protected accounts.
func revocationWriterARNs(p Params) []string {
	return []string{"arn:" + partitionOf(p) + ":iam::*:role" + p.ProtectedRolePath + revocation.WriterRoleName}
}

// protectedRoleARNs is the Resource list of protected roles.
func protectedRoleARNs(p Params) []string {
	partition := partitionOf(p)
	accounts := p.ProtectedAccountIDs
	if len(accounts) == 0 {
		accounts = []string{"*"}
	}
	out := make([]string, 0, len(accounts))
	for _, acct := range accounts {
		out = append(out, "arn:"+partition+":iam::"+acct+":role"+p.ProtectedRolePath+"*")
	}
	return out
}

// revocationPolicyARNs is the Resource list of the protected roles' revocation policies
// (the protected-role module's, under revocation.Path): that path in every account, a
// namespace vend reserves wherever the SCP applies, so that the document does not grow
// with the protected accounts.
func revocationPolicyARNs(p Params) []string {
	return []string{"arn:" + partitionOf(p) + ":iam::*:policy" + revocation.Path + "*"}
}

// distinct concatenates lists and drops repeats, keeping first occurrences like
// Terraform's distinct(concat(...)).
func distinct(lists ...[]string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, l := range lists {
		for _, s := range l {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// Render fills a template with the parameters and parses the result.
func Render(t Template, p Params) (Document, error) {
	vars, err := TemplateVars(p)
	if err != nil {
		return Document{}, err
	}
	return renderTemplate(t, vars)
}

func renderTemplate(t Template, vars map[string]any) (Document, error) {
	out, err := RenderText(t.Text, vars)
	if err != nil {
		return Document{}, fmt.Errorf("render %s: %w", t.Name, err)
	}
	d, err := ParseDocument(t.Name, t.Kind, out)
	if err != nil {
		return Document{}, fmt.Errorf("render %s: %w", t.Name, err)
	}
	return d, nil
}

// RenderAll renders every embedded template, in the order of Templates.
func RenderAll(p Params) ([]Document, error) {
	return RenderTemplates(Templates(), p)
}

// RenderTemplates renders the given templates with one validated set of variables.
func RenderTemplates(ts []Template, p Params) ([]Document, error) {
	vars, err := TemplateVars(p)
	if err != nil {
		return nil, err
	}
	docs := make([]Document, 0, len(ts))
	for _, t := range ts {
		d, err := renderTemplate(t, vars)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// RenderText substitutes the two placeholder forms vend's templates use:
//
//	${name}              a string variable, inserted as is
//	${jsonencode(name)}  a string or list-of-strings variable, inserted as JSON
//
// Anything else Terraform's template language would evaluate is an error wrapping
// ErrTemplate: other expressions, spaces or strip markers inside ${ }, the $${ and %%{
// escapes and %{ } directives. Unknown variable names are errors too.
func RenderText(text string, vars map[string]any) ([]byte, error) {
	var out bytes.Buffer
	line := 1
	for i := 0; i < len(text); {
		c := text[i]
		if c == '\n' {
			line++
		}
		if (c == '$' || c == '%') && i+1 < len(text) && text[i+1] == '{' {
			if c == '%' {
				return nil, fmt.Errorf("%w: line %d: template directives %%{...} are not supported", ErrTemplate, line)
			}
			if i > 0 && text[i-1] == '$' {
				return nil, fmt.Errorf("%w: line %d: the $${ escape is not supported", ErrTemplate, line)
			}
			end := strings.IndexByte(text[i+2:], '}')
			if end < 0 {
				return nil, fmt.Errorf("%w: line %d: unterminated ${", ErrTemplate, line)
			}
			expr := text[i+2 : i+2+end]
			s, err := evalPlaceholder(expr, vars)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			out.WriteString(s)
			i += 2 + end + 1
			continue
		}
		if c == '%' && i+2 < len(text) && text[i+1] == '%' && text[i+2] == '{' {
			return nil, fmt.Errorf("%w: line %d: the %%%%{ escape is not supported", ErrTemplate, line)
		}
		out.WriteByte(c)
		i++
	}
	return out.Bytes(), nil
}

func evalPlaceholder(expr string, vars map[string]any) (string, error) {
	if inner, ok := strings.CutPrefix(expr, "jsonencode("); ok {
		name, ok := strings.CutSuffix(inner, ")")
		if !ok || !identRE.MatchString(name) {
			return "", fmt.Errorf("%w: ${%s}: only ${jsonencode(name)} and ${name} are supported", ErrTemplate, expr)
		}
		v, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("%w: ${%s}: unknown variable %q", ErrTemplate, expr, name)
		}
		switch l := v.(type) {
		case string:
		case []string:
			if l == nil {
				return "[]", nil // as Terraform encodes an empty list
			}
		default:
			return "", fmt.Errorf("%w: ${%s}: variable %q is %T, want a string or a list of strings", ErrTemplate, expr, name, v)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", fmt.Errorf("${%s}: %w", expr, err)
		}
		return strings.TrimSuffix(buf.String(), "\n"), nil
	}
	if !identRE.MatchString(expr) {
		return "", fmt.Errorf("%w: ${%s}: only ${jsonencode(name)} and ${name} are supported", ErrTemplate, expr)
	}
	v, ok := vars[expr]
	if !ok {
		return "", fmt.Errorf("%w: ${%s}: unknown variable %q", ErrTemplate, expr, expr)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: ${%s}: variable %q is %T; a list needs ${jsonencode(%s)}", ErrTemplate, expr, expr, v, expr)
	}
	return s, nil
}
