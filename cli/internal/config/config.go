package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Environment variables vend reads.
const (
	EnvRemoteServer = "VEND_REMOTE_SERVER"
	EnvConfig       = "VEND_CONFIG"
)

// Settings are the values that can be set globally and per vend profile.
type Settings struct {
	RemoteServer   string   `yaml:"remote_server" json:"remote_server,omitempty"`
	BaseProfile    string   `yaml:"base_profile" json:"base_profile,omitempty"`
	SigningService string   `yaml:"signing_service" json:"signing_service,omitempty"`
	SigningRegion  string   `yaml:"signing_region" json:"signing_region,omitempty"`
	Duration       Duration `yaml:"duration" json:"duration,omitempty"`
}

// File is the parsed configuration file. Per-profile settings win over the top level.
type File struct {
	Path     string `yaml:"-"`
	Settings `yaml:",inline"`
	Profiles map[string]Settings `yaml:"profiles"`
}

// DefaultPath returns the configuration file vend reads: $VEND_CONFIG, else
// os.UserConfigDir()/vend/config.yaml. explicit says the user named the file, so a
// missing file is an error rather than "no configuration".
func DefaultPath(getenv func(string) string) (path string, explicit bool, err error) {
	if p := getenv(EnvConfig); p != "" {
		return p, true, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", false, fmt.Errorf("find the configuration directory: %w (set %s)", err, EnvConfig)
	}
	return filepath.Join(dir, "vend", "config.yaml"), false, nil
}

// maxFileSize bounds what Load reads: a configuration file is a few lines.
const maxFileSize = 1 << 20

// Load reads and parses path. A missing file is an empty configuration unless explicit.
func Load(path string, explicit bool) (*File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return &File{Path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config file %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("config file %s is larger than %d bytes", path, maxFileSize)
	}
	return Parse(path, data)
}

// Parse parses a configuration file strictly: an unknown field is an error naming the
// file and line, because a misspelt key would otherwise be silently ignored.
func Parse(path string, data []byte) (*File, error) {
	file := &File{Path: path}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(file); err != nil && !errors.Is(err, io.EOF) {
		return nil, formatYAMLError(path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: only one YAML document is allowed", path)
	}
	for name := range file.Profiles {
		if name == "" {
			return nil, fmt.Errorf("%s: a profile under profiles has an empty name", path)
		}
	}
	return file, nil
}

var (
	lineRe    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownRe = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// formatYAMLError turns yaml's messages into "path:line: message" lines.
func formatYAMLError(path string, err error) error {
	var msgs []string
	var typeErr *yaml.TypeError
	if errors.As(err, &typeErr) {
		msgs = typeErr.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		if sub := lineRe.FindStringSubmatch(m); sub != nil {
			msg := sub[2]
			if u := unknownRe.FindStringSubmatch(msg); u != nil {
				msg = "unknown field " + u[1]
			}
			out = append(out, fmt.Sprintf("%s:%s: %s", path, sub[1], msg))
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s", path, m))
	}
	return fmt.Errorf("invalid config file: %s", strings.Join(out, "; "))
}

// Resolve merges the settings for one vend profile (empty for commands that take none):
// flags win, then the environment, then the file's profile section, then its top level.
func Resolve(file *File, flags Settings, getenv func(string) string, profile string) (Settings, error) {
	if file == nil {
		file = &File{}
	}
	var prof Settings
	if profile != "" && file.Profiles != nil {
		prof = file.Profiles[profile]
	}
	s := Settings{
		RemoteServer:   first(flags.RemoteServer, getenv(EnvRemoteServer), prof.RemoteServer, file.RemoteServer),
		BaseProfile:    first(flags.BaseProfile, prof.BaseProfile, file.BaseProfile),
		SigningService: first(flags.SigningService, prof.SigningService, file.SigningService),
		SigningRegion:  first(flags.SigningRegion, prof.SigningRegion, file.SigningRegion),
		Duration:       flags.Duration,
	}
	if s.Duration == 0 {
		s.Duration = prof.Duration
	}
	if s.Duration == 0 {
		s.Duration = file.Duration
	}
	if s.RemoteServer == "" {
		return s, &NoServerError{ConfigPath: file.Path}
	}
	return s, nil
}

// Sources says where Resolve takes each setting from, by its YAML key (remote_server,
// base_profile, signing_service, signing_region): "flag --remote-server", "environment
// VEND_REMOTE_SERVER", "PATH, profile P", "PATH", or "" when nothing sets it.
func Sources(file *File, flags Settings, getenv func(string) string, profile string) map[string]string {
	if file == nil {
		file = &File{}
	}
	var prof Settings
	if profile != "" && file.Profiles != nil {
		prof = file.Profiles[profile]
	}
	pick := func(flag, flagVal, env, envVal, profVal, fileVal string) string {
		switch {
		case flagVal != "":
			return "flag --" + flag
		case envVal != "":
			return "environment " + env
		case profVal != "":
			return file.Path + ", profile " + profile
		case fileVal != "":
			return file.Path
		}
		return ""
	}
	return map[string]string{
		"remote_server":   pick("remote-server", flags.RemoteServer, EnvRemoteServer, getenv(EnvRemoteServer), prof.RemoteServer, file.RemoteServer),
		"base_profile":    pick("base-profile", flags.BaseProfile, "", "", prof.BaseProfile, file.BaseProfile),
		"signing_service": pick("signing-service", flags.SigningService, "", "", prof.SigningService, file.SigningService),
		"signing_region":  pick("signing-region", flags.SigningRegion, "", "", prof.SigningRegion, file.SigningRegion),
	}
}

// CheckServerURL judges a TVM URL: it must have a scheme and a host, be https (plain
// http only to this machine, as the local stack is). warning is set, err nil, for a URL
// with a path, which a Function URL never has (an API Gateway stage URL ends with one).
func CheckServerURL(raw string) (warning string, err error) {
	u, perr := url.Parse(raw)
	loopback := func(h string) bool { return h == "127.0.0.1" || h == "::1" || h == "localhost" }
	switch {
	case perr != nil || u.Host == "":
		return "", errors.New("give the URL with its scheme, such as https://ID.lambda-url.REGION.on.aws")
	case u.Scheme == "http" && !loopback(u.Hostname()):
		return "", errors.New("use https: requests carry signed credentials (plain http only to 127.0.0.1)")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("the scheme must be https")
	case u.Path != "" && u.Path != "/":
		return "the URL has a path (" + u.Path + "); a Function URL has none, an API Gateway stage URL ends with the stage", nil
	}
	return "", nil
}

// NoServerError says that no TVM URL was configured anywhere, and how to configure one.
type NoServerError struct {
	ConfigPath string
}

func (e *NoServerError) Error() string {
	path := e.ConfigPath
	if path == "" {
		path = "the vend config file"
	}
	return "no vend server configured; set it in one of three ways:\n" +
		"  --remote-server https://ID.lambda-url.REGION.on.aws\n" +
		"  export " + EnvRemoteServer + "=https://ID.lambda-url.REGION.on.aws\n" +
		"  remote_server: https://ID.lambda-url.REGION.on.aws   (in " + path + ")"
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
