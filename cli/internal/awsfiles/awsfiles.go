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

// shadowing keys: any of them in the default profile wins over container credentials
// in every SDK's default chain.
var shadowing = map[string]bool{
	"aws_access_key_id":       true,
	"aws_secret_access_key":   false, // reported through aws_access_key_id; one finding per source
	"aws_session_token":       false,
	"sso_session":             true,
	"sso_start_url":           true,
	"credential_process":      true,
	"role_arn":                true,
	"web_identity_token_file": true,
}

// Paths returns the shared config and credentials files the SDKs read, honouring
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
func Paths(getenv func(string) string) (configPath, credentialsPath string) {
	home := getenv("HOME")
	if home == "" {
		home = getenv("USERPROFILE")
	}
	if home == "" {
		home, _ = os.UserHomeDir()
	}
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
		{configPath, []string{"default", "profile default"}},
		{credentialsPath, []string{"default"}},
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

// Scan reads an INI file and returns the shadowing keys set in the named sections. It is
// forgiving, like the SDKs' parsers: unknown lines are skipped.
func Scan(r io.Reader, name string, sections ...string) ([]Finding, error) {
	want := map[string]bool{}
	for _, s := range sections {
		want[s] = true
	}
	var out []Finding
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	in := false
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' || text[0] == ';' {
			continue
		}
		if text[0] == '[' {
			end := strings.IndexByte(text, ']')
			if end < 0 {
				in = false
				continue
			}
			in = want[strings.Join(strings.Fields(text[1:end]), " ")]
			continue
		}
		if !in {
			continue
		}
		key, _, ok := strings.Cut(text, "=")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		if shadowing[key] {
			out = append(out, Finding{File: name, Line: line, Key: key})
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read %s: %w", name, err)
	}
	return out, nil
}
