package params

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/scp"
)

// Flags are the guardrail parameters given on the command line. A flag given wins over
// the same parameter in File; a list flag replaces the file's list rather than adding to
// it, so the command line alone says what the list holds.
type Flags struct {
	File string // JSON with the Terraform variable names; "-" is stdin

	TVMRoleARNs           []string
	ProtectedRolePath     string
	ProtectedAccountIDs   []string
	ProtectedRoleTagKey   string
	ProtectedRoleTagValue string
	DeployerARNs          []string
	BreakGlassARNs        []string
	SourceIdentityPrefix  string
	TVMFunctionARN        string
	PolicyParameterARN    string
	OrgID                 string
}

// field ties a Terraform variable to its flag, so errors about the variable can name the
// flag too.
type field struct {
	variable string
	flag     string
}

var fields = []field{
	{"tvm_role_arns", "tvm-role-arn"},
	{"protected_role_path", "protected-role-path"},
	{"protected_account_ids", "protected-account-id"},
	{"protected_role_tag_key", "protected-role-tag-key"},
	{"protected_role_tag_value", "protected-role-tag-value"},
	{"deployer_arns", "deployer-arn"},
	{"break_glass_arns", "break-glass-arn"},
	{"source_identity_prefix", "source-identity-prefix"},
	{"tvm_function_arn", "tvm-function-arn"},
	{"policy_parameter_arn", "policy-parameter-arn"},
	{"org_id", "org-id"},
}

// Register adds the parameter flags to fs. List flags repeat (IAM names may hold
// commas, so a comma-separated form would be ambiguous).
func (f *Flags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&f.File, "params", "", `parameters file, JSON with the Terraform variable names ("-" reads stdin)`)
	fs.StringArrayVar(&f.TVMRoleARNs, "tvm-role-arn", nil, "TVM execution role ARN (tvm_role_arns; repeat for several)")
	fs.StringVar(&f.ProtectedRolePath, "protected-role-path", "", `IAM path of the protected roles, like /vend/ (protected_role_path)`)
	fs.StringArrayVar(&f.ProtectedAccountIDs, "protected-account-id", nil, "account holding protected roles (protected_account_ids; repeat; default: every account)")
	fs.StringVar(&f.ProtectedRoleTagKey, "protected-role-tag-key", "", "enforcement tag key of the tag-gated mode (protected_role_tag_key; default "+scp.DefaultProtectedRoleTagKey+")")
	fs.StringVar(&f.ProtectedRoleTagValue, "protected-role-tag-value", "", "enforcement tag value (protected_role_tag_value; default "+scp.DefaultProtectedRoleTagValue+")")
	fs.StringArrayVar(&f.DeployerARNs, "deployer-arn", nil, "principal that deploys vend (deployer_arns; repeat)")
	fs.StringArrayVar(&f.BreakGlassARNs, "break-glass-arn", nil, "principal allowed into protected roles without the TVM (break_glass_arns; repeat)")
	fs.StringVar(&f.SourceIdentityPrefix, "source-identity-prefix", "", "prefix of the SourceIdentity the TVM sets (source_identity_prefix; default "+scp.DefaultSourceIdentityPrefix+")")
	fs.StringVar(&f.TVMFunctionARN, "tvm-function-arn", "", "unqualified ARN of the TVM function (tvm_function_arn)")
	fs.StringVar(&f.PolicyParameterARN, "policy-parameter-arn", "", "ARN of the SSM parameter holding the TVM policy (policy_parameter_arn)")
	fs.StringVar(&f.OrgID, "org-id", "", "organisation ID, o-... (org_id; used by the simulation)")
}

// Given reports whether any parameter came from the command line: a file or a flag.
func (f *Flags) Given() bool {
	return f.File != "" || f.flagsGiven()
}

func (f *Flags) flagsGiven() bool {
	return f.TVMRoleARNs != nil || f.ProtectedRolePath != "" || f.ProtectedAccountIDs != nil ||
		f.ProtectedRoleTagKey != "" || f.ProtectedRoleTagValue != "" || f.DeployerARNs != nil ||
		f.BreakGlassARNs != nil || f.SourceIdentityPrefix != "" || f.TVMFunctionARN != "" ||
		f.PolicyParameterARN != "" || f.OrgID != ""
}

// ErrNone is returned by Load when no parameter was given at all.
var ErrNone = errors.New("no guardrail parameters: give --params FILE or the parameter flags (--tvm-role-arn, --protected-role-path, ...)")

// Load reads the file (stdin for "-"), applies the flags over it, fills the defaults and
// validates. A misspelt variable in the file is an error rather than a silent default.
// Every invalid parameter is reported at once, as an *InvalidError.
func (f *Flags) Load(stdin io.Reader) (scp.Params, error) {
	if !f.Given() {
		return scp.Params{}, &status.UsageError{Err: ErrNone}
	}
	var p scp.Params
	if f.File != "" {
		data, err := f.read(stdin)
		if err != nil {
			return scp.Params{}, err
		}
		if p, err = Decode(data); err != nil {
			return scp.Params{}, fmt.Errorf("%s: %w", f.source(), err)
		}
	}
	f.apply(&p)
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return scp.Params{}, newInvalidError(f.source(), err)
	}
	return p, nil
}

func (f *Flags) read(stdin io.Reader) ([]byte, error) {
	if f.File == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read parameters from stdin: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(f.File)
	if err != nil {
		return nil, fmt.Errorf("read parameters: %w", err)
	}
	return data, nil
}

// source names where the parameters came from, for error messages.
func (f *Flags) source() string {
	switch {
	case f.File == "-" && f.flagsGiven():
		return "parameters from stdin and flags"
	case f.File == "-":
		return "parameters from stdin"
	case f.File != "" && f.flagsGiven():
		return "parameters from " + f.File + " and flags"
	case f.File != "":
		return "parameters from " + f.File
	}
	return "parameters from flags"
}

func (f *Flags) apply(p *scp.Params) {
	setList := func(dst *[]string, v []string) {
		if v != nil {
			*dst = v
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setList(&p.TVMRoleARNs, f.TVMRoleARNs)
	set(&p.ProtectedRolePath, f.ProtectedRolePath)
	setList(&p.ProtectedAccountIDs, f.ProtectedAccountIDs)
	set(&p.ProtectedRoleTagKey, f.ProtectedRoleTagKey)
	set(&p.ProtectedRoleTagValue, f.ProtectedRoleTagValue)
	setList(&p.DeployerARNs, f.DeployerARNs)
	setList(&p.BreakGlassARNs, f.BreakGlassARNs)
	set(&p.SourceIdentityPrefix, f.SourceIdentityPrefix)
	set(&p.TVMFunctionARN, f.TVMFunctionARN)
	set(&p.PolicyParameterARN, f.PolicyParameterARN)
	set(&p.OrgID, f.OrgID)
}

// Decode reads parameters from JSON strictly, without defaults or validation: the
// flags may still supply what the file lacks. Unknown names are refused, as
// scp.ParseParams refuses them.
func Decode(data []byte) (scp.Params, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p scp.Params
	if err := dec.Decode(&p); err != nil {
		return scp.Params{}, fmt.Errorf("parse parameters: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return scp.Params{}, errors.New("parse parameters: trailing data after the JSON object")
	}
	return p, nil
}

// InvalidError lists every invalid parameter, each a *scp.ParamError.
type InvalidError struct {
	Source string
	Errs   []error
}

func newInvalidError(source string, err error) *InvalidError {
	ie := &InvalidError{Source: source}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		ie.Errs = j.Unwrap()
	} else {
		ie.Errs = []error{err}
	}
	return ie
}

// Error lists the problems one a line, each with the flag that sets the parameter.
func (e *InvalidError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s:", e.Source)
	for _, err := range e.Errs {
		b.WriteString("\n  ")
		b.WriteString(err.Error())
		var pe *scp.ParamError
		if errors.As(err, &pe) {
			if flag := FlagFor(pe.Field); flag != "" {
				b.WriteString(" (--" + flag + ")")
			}
		}
	}
	return b.String()
}

// Unwrap returns the problems, so errors.As finds each *scp.ParamError.
func (e *InvalidError) Unwrap() []error { return e.Errs }

// FlagFor returns the flag that sets a parameter named as scp.ParamError names it
// ("tvm_role_arns[0]"), or "" when no single flag does.
func FlagFor(paramField string) string {
	name, _, _ := strings.Cut(paramField, "[")
	for _, f := range fields {
		if f.variable == name {
			return f.flag
		}
	}
	return ""
}

// ParseMode reads a --mode value.
func ParseMode(s string) (scp.Mode, error) {
	switch m := scp.Mode(s); m {
	case scp.ModeEnforce, scp.ModeTagGated:
		return m, nil
	}
	return "", status.Usagef("unknown mode %q: use %s or %s", s, scp.ModeEnforce, scp.ModeTagGated)
}
