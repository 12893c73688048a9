package awsfiles

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Variables that point SDKs at the shared files, and at boto's file.
const (
	EnvConfigFile      = "AWS_CONFIG_FILE"
	EnvCredentialsFile = "AWS_SHARED_CREDENTIALS_FILE"
	// EnvJavaCredentials is the AWS SDK for Java 1.x's name for the credentials file.
	EnvJavaCredentials = "AWS_CREDENTIAL_PROFILES_FILE"
	// EnvBotoConfig names boto's file, which botocore reads for keys before the
	// container endpoint (its "boto-config" provider).
	EnvBotoConfig = "BOTO_CONFIG"
)

// botoSystemFile is boto's system-wide file, read when BOTO_CONFIG is unset.
var botoSystemFile = "/etc/boto.cfg"

// Isolation is a private copy of the caller's shared AWS files without the default
// profile's credentials, for a child process that must resolve vend's container
// credentials first. Close removes it.
type Isolation struct {
	// Dir holds the copies; it is private to the user (0700, files 0600) because the
	// copies keep the named profiles, keys included.
	Dir string
	// Env points the child at the copies; it replaces those variables in the child.
	Env [][2]string
	// Removed is what the copies leave out, with its place in the originals.
	Removed []Finding
}

// Isolate copies the shared config and credentials files that getenv names (or the
// defaults under HOME), and boto's file when it holds AWS keys, into a new private
// directory under parent (os.TempDir() when empty), without the credential settings of
// the default profile. A missing file becomes an empty copy. Any file that cannot be
// read, and any copy that cannot be written, is an error: the caller must then not
// start a child that could use other credentials unnoticed.
func Isolate(getenv func(string) string, parent string) (*Isolation, error) {
	dir, err := os.MkdirTemp(parent, "vend-aws-"+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("create a private folder for the copies: %w", err)
	}
	iso := &Isolation{Dir: dir}
	if err := iso.fill(getenv); err != nil {
		iso.Close()
		return nil, err
	}
	return iso, nil
}

func (iso *Isolation) fill(getenv func(string) string) error {
	if err := os.Chmod(iso.Dir, 0o700); err != nil {
		return err
	}
	cfgPath, credsPath := Paths(getenv)
	cfgCopy, err := iso.copyFiltered(cfgPath, "config", DefaultSections)
	if err != nil {
		return err
	}
	credsCopy, err := iso.copyFiltered(credsPath, "credentials", DefaultSections)
	if err != nil {
		return err
	}
	iso.Env = append(iso.Env,
		[2]string{EnvConfigFile, cfgCopy},
		[2]string{EnvCredentialsFile, credsCopy},
		[2]string{EnvJavaCredentials, credsCopy},
	)

	botoPath, botoKeys, err := botoFile(getenv)
	if err != nil {
		return err
	}
	if botoKeys {
		botoCopy, err := iso.copyFiltered(botoPath, "boto.cfg", []string{"Credentials"})
		if err != nil {
			return err
		}
		iso.Env = append(iso.Env, [2]string{EnvBotoConfig, botoCopy})
	}
	return nil
}

// botoFile returns the boto file the child would read for its settings (BOTO_CONFIG, or
// ~/.boto) and whether botocore would find AWS keys in BOTO_CONFIG, /etc/boto.cfg or
// ~/.boto. Setting BOTO_CONFIG to a filtered copy of the first hides all of them.
func botoFile(getenv func(string) string) (path string, hasKeys bool, err error) {
	candidates := []string{botoSystemFile, filepath.Join(home(getenv), ".boto")}
	path = candidates[1]
	if v := getenv(EnvBotoConfig); v != "" {
		path = v
		candidates = []string{v}
	}
	for _, c := range candidates {
		data, err := os.ReadFile(c)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", false, fmt.Errorf("read %s: %w", c, err)
		}
		found, err := Scan(bytes.NewReader(data), c, "Credentials")
		if err != nil {
			return "", false, err
		}
		if len(found) > 0 {
			return path, true, nil
		}
	}
	return path, false, nil
}

// copyFiltered writes a filtered copy of src into the isolation folder as name.
func (iso *Isolation) copyFiltered(src, name string, sections []string) (string, error) {
	var out bytes.Buffer
	fmt.Fprintf(&out, "# vend: a copy of %s without the default profile's credentials,\n# for one command run by vend; vend removes it when the command ends.\n", oneLine(src))
	data, err := os.ReadFile(src)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", fmt.Errorf("read %s: %w", src, err)
	default:
		removed, err := Filter(bytes.NewReader(data), &out, src, sections...)
		if err != nil {
			return "", err
		}
		iso.Removed = append(iso.Removed, removed...)
	}
	dst := filepath.Join(iso.Dir, name)
	if err := os.WriteFile(dst, out.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("write the copy of %s: %w", src, err)
	}
	return dst, nil
}

// Close removes the copies.
func (iso *Isolation) Close() error {
	if iso == nil || iso.Dir == "" {
		return nil
	}
	return os.RemoveAll(iso.Dir)
}

func home(getenv func(string) string) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	if runtime.GOOS == "windows" {
		if h := getenv("USERPROFILE"); h != "" {
			return h
		}
	}
	h, _ := os.UserHomeDir()
	return h
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }
