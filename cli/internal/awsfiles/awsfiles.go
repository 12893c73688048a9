package awsfiles

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Finding is one setting of the default profile that shadows container credentials.
type Finding struct {
	File string
	Line int
	Key  string
}

// Kind says in words what the setting makes the SDK do.
func (f Finding) Kind() string {
	switch {
	case f.Key == "aws_access_key_id" || f.Key == "aws_secret_access_key" || f.Key == "aws_session_token":
		return "static keys"
	case strings.HasPrefix(f.Key, "sso_"):
		return "SSO"
	case f.Key == "credential_process":
		return "a credential_process"
	case f.Key == "role_arn":
		return "a role_arn"
	case f.Key == "web_identity_token_file":
		return "a web identity token file"
	}
	return f.Key
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s (%s)", f.File, f.Line, f.Kind(), f.Key)
}

// credentialKeys are the settings of a profile that give an SDK credentials of its own,
// so that it never asks the container endpoint: static keys, a credential_process, an
// `aws login` session, SSO, an assumed role, web identity. Filter removes every one of
// them from the default profile. Scan reports those marked true: one finding per source
// (aws_secret_access_key comes with aws_access_key_id, sso_region with SSO).
var credentialKeys = map[string]bool{
	"aws_access_key_id":       true,
	"aws_secret_access_key":   false,
	"aws_session_token":       false,
	"aws_security_token":      false,
	"aws_account_id":          false, // belongs to the static keys it came with
	"credential_process":      true,
	"login_session":           true, // `aws login` (botocore LoginProvider, SDKs since 2025)
	"role_arn":                true,
	"source_profile":          false,
	"credential_source":       false,
	"external_id":             false,
	"mfa_serial":              false,
	"role_session_name":       false,
	"duration_seconds":        false,
	"web_identity_token_file": true,
	"sso_session":             true,
	"sso_start_url":           true,
	"sso_region":              false,
	"sso_account_id":          false,
	"sso_role_name":           false,
	"sso_registration_scopes": false,
}

// DefaultSections are the section headers that hold the default profile: `[default]` in
// either file, `[profile default]` in the config file. Both are read in both files, which
// removes more rather than less.
var DefaultSections = []string{"default", "profile default"}

// Paths returns the shared config and credentials files the SDKs read, honouring
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
func Paths(getenv func(string) string) (configPath, credentialsPath string) {
	home := home(getenv)
	configPath = getenv("AWS_CONFIG_FILE")
	if configPath == "" {
		configPath = filepath.Join(home, ".aws", "config")
	}
	credentialsPath = getenv("AWS_SHARED_CREDENTIALS_FILE")
	if credentialsPath == "" {
		credentialsPath = filepath.Join(home, ".aws", "credentials")
	}
	return configPath, credentialsPath
}

// DefaultProfileShadows returns what the default profile sets in the two files. Missing
// files are fine; unreadable ones are an error.
func DefaultProfileShadows(configPath, credentialsPath string) ([]Finding, error) {
	var out []Finding
	for _, p := range []struct {
		path     string
		sections []string
	}{
		{configPath, DefaultSections},
		{credentialsPath, DefaultSections},
	} {
		f, err := os.Open(p.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("read %s: %w", p.path, err)
		}
		found, err := Scan(f, p.path, p.sections...)
		f.Close()
		if err != nil {
			return out, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// maxLine bounds one line of an INI file; longer lines are a scan error.
const maxLine = 64 << 10

// Scan reads an INI file and returns the credential settings of the named sections. It
// is forgiving, like the SDKs' parsers: unknown lines are skipped.
func Scan(r io.Reader, name string, sections ...string) ([]Finding, error) {
	var out []Finding
	err := walk(r, name, sections, func(l line) {
		if l.inSection && credentialKeys[l.key] {
			out = append(out, Finding{File: name, Line: l.number, Key: l.key})
		}
	})
	return out, err
}

// Filter copies the INI file r to w without the credential settings (and their nested
// or continued lines) of the named sections, and returns what it left out. Every other
// line is copied as it is, so the SDKs read the same region, endpoints, retry mode, CA
// bundle, services and named profiles from the copy as from the original.
func Filter(r io.Reader, w io.Writer, name string, sections ...string) ([]Finding, error) {
	var out []Finding
	bw := bufio.NewWriter(w)
	dropping := false
	err := walk(r, name, sections, func(l line) {
		drop := false
		switch {
		case !l.inSection:
			dropping = false
		case l.key != "" && isCredentialKey(l.key):
			// Also when indented: parsers disagree on what an indented line is, so a
			// line that any of them could read as a credential setting goes.
			drop = true
			if !l.continuation {
				dropping = true
			}
			if credentialKeys[l.key] {
				out = append(out, Finding{File: name, Line: l.number, Key: l.key})
			}
		case l.continuation:
			drop = dropping
		case l.key != "" || l.header:
			dropping = false
		}
		if !drop {
			bw.WriteString(l.text)
			bw.WriteByte('\n')
		}
	})
	if err != nil {
		return out, err
	}
	return out, bw.Flush()
}

func isCredentialKey(key string) bool {
	_, ok := credentialKeys[key]
	return ok
}

// line is one line of an INI file as walk sees it.
type line struct {
	text   string
	number int
	header bool
	// inSection says the line is inside one of the wanted sections.
	inSection bool
	// key is the lower-cased key when the line reads as "key = value" (indented or not).
	key string
	// continuation says the line continues the value of the key above it: indented
	// deeper than that key, as Python's configparser (botocore) decides.
	continuation bool
}

// walk calls fn for each line of r. Section headers are compared after collapsing
// spaces and removing quotes around a profile name, as botocore's shlex split does
// (`[profile "default"]` is the default profile there).
func walk(r io.Reader, name string, sections []string, fn func(line)) error {
	want := map[string]bool{}
	for _, s := range sections {
		want[s] = true
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	in := false
	keyIndent := -1 // indentation of the last key in this section; -1 before the first
	for n := 1; sc.Scan(); n++ {
		l := line{text: sc.Text(), number: n}
		text := strings.TrimSpace(l.text)
		indent := len(l.text) - len(strings.TrimLeft(l.text, " \t"))
		switch {
		case text == "" || text[0] == '#' || text[0] == ';':
		case text[0] == '[' && indent == 0:
			l.header, in, keyIndent = true, false, -1
			if end := strings.IndexByte(text, ']'); end >= 0 {
				in = want[sectionName(text[1:end])]
			}
		default:
			// configparser (botocore) also takes "key: value".
			if i := strings.IndexAny(text, "=:"); i > 0 {
				l.key = strings.ToLower(strings.TrimSpace(text[:i]))
			}
			if keyIndent >= 0 && indent > keyIndent {
				l.continuation = true
			} else {
				keyIndent = indent
			}
		}
		l.inSection = in
		fn(l)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

func sectionName(s string) string {
	f := strings.Fields(s)
	if len(f) == 2 && f[0] == "profile" {
		f[1] = strings.Trim(f[1], `"'`)
	}
	return strings.Join(f, " ")
}
