package tvmclient

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vend-tvm/vend/cli/internal/awsfiles"
)

// Sources the SDK names in aws.Credentials for static keys (aws-sdk-go-v2/config).
const (
	envCredentialsSource    = "EnvConfigCredentials"
	sharedCredentialsSource = "SharedConfigCredentials: "
)

// maxSharedFile bounds what PredictBase reads of an AWS shared file; a larger file is
// left to the SDK.
const maxSharedFile = 1 << 20

// BaseHint is a prediction, made without loading the AWS configuration, of the static
// access key that LoadBase's credentials will sign with. It is comparable: two hints
// are equal exactly when they were made from the same inputs.
//
// A hint stands for its identity only once a full load has confirmed it (Confirms), and
// that confirmation carries over to any later hint made from the same inputs, because
// for static keys the SDK's choice is a function of nothing else: the base profile asked
// for, the credential variables of the environment, and the paths and bytes of the two
// shared files. Basis records all of them.
type BaseHint struct {
	// AccessKeyID is the access key ID the SDK is predicted to sign with.
	AccessKeyID string
	// Basis identifies the inputs of the prediction, for a cache key. It holds no secret
	// in the clear (the files' contents enter it as SHA-256 digests).
	Basis string
	// source is the aws.Credentials Source the SDK reports for these keys.
	source string
}

// Confirms reports whether creds, the base credentials from a full load made while the
// inputs were those of h, are the static keys h predicted: same access key ID, same
// source (environment, or the very file h read the key from), and unable to expire. A
// credential_process, SSO, role or any other provider never confirms a hint.
func (h BaseHint) Confirms(creds aws.Credentials) bool {
	return h.AccessKeyID != "" && !creds.CanExpire && creds.AccessKeyID == h.AccessKeyID && creds.Source == h.source
}

// PredictBase predicts the base credentials for profile ("" for the default chain, as
// for LoadBase) when they are static keys: in the environment (AWS_ACCESS_KEY_ID and a
// secret, default chain only) or in the profile's section of the shared credentials or
// config file. It reports false whenever it is unsure: any other credential setting in
// the profile (SSO, credential_process, role_arn, web identity, login session), keys in
// both files, unreadable or oversized files, or a web identity token in the environment.
// getenv must be what the SDK reads (os.Getenv in real use).
func PredictBase(getenv func(string) string, profile string) (BaseHint, bool) {
	chain := profile == ""
	if chain {
		// The SDK's order: environment keys unless a profile was asked for explicitly.
		id := firstEnv(getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
		secret := firstEnv(getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
		if id != "" && secret != "" {
			return BaseHint{AccessKeyID: id, Basis: joinBasis("env", id), source: envCredentialsSource}, true
		}
		if getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "" {
			return BaseHint{}, false
		}
		profile = firstEnv(getenv, "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
		if profile == "" {
			profile = "default"
		}
	}
	configPath, credentialsPath := awsfiles.Paths(getenv)
	configData, ok := readShared(configPath)
	if !ok {
		return BaseHint{}, false
	}
	credentialsData, ok := readShared(credentialsPath)
	if !ok {
		return BaseHint{}, false
	}
	// Both spellings of the section in both files: reading more than the SDK does can
	// only make the prediction give up, never pick another key.
	sections := []string{profile, "profile " + profile}
	var file string
	var data []byte
	var line int
	for _, f := range []struct {
		path string
		data []byte
	}{{configPath, configData}, {credentialsPath, credentialsData}} {
		findings, err := awsfiles.Scan(bytes.NewReader(f.data), f.path, sections...)
		if err != nil {
			return BaseHint{}, false
		}
		for _, fd := range findings {
			if fd.Key != "aws_access_key_id" || file != "" {
				return BaseHint{}, false
			}
			file, data, line = f.path, f.data, fd.Line
		}
	}
	if file == "" {
		return BaseHint{}, false
	}
	id := valueAt(data, line)
	if id == "" {
		return BaseHint{}, false
	}
	how := "profile"
	if chain {
		how = "chain-profile"
	}
	return BaseHint{
		AccessKeyID: id,
		Basis: joinBasis(how, profile, configPath, digest(configData), credentialsPath, digest(credentialsData),
			file, id),
		source: sharedCredentialsSource + file,
	}, true
}

// readShared reads an AWS shared file. A missing file reads as absent, which the SDK
// accepts too; an unreadable or oversized one is not ok.
func readShared(path string) ([]byte, bool) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true
	}
	if err != nil {
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSharedFile+1))
	if err != nil || len(data) > maxSharedFile {
		return nil, false
	}
	if data == nil {
		data = []byte{} // present but empty differs from absent
	}
	return data, true
}

// digest names a file's content in a basis; "absent" when there is no file.
func digest(data []byte) string {
	if data == nil {
		return "absent"
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// valueAt returns the value of the "key = value" (or "key: value") line number n, as
// awsfiles numbers lines.
func valueAt(data []byte, n int) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxSharedFile)
	for i := 1; sc.Scan(); i++ {
		if i != n {
			continue
		}
		text := strings.TrimSpace(sc.Text())
		if j := strings.IndexAny(text, "=:"); j > 0 {
			return strings.TrimSpace(text[j+1:])
		}
		return ""
	}
	return ""
}

func firstEnv(getenv func(string) string, keys ...string) string {
	for _, k := range keys {
		if v := getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// joinBasis joins parts unambiguously: each is prefixed with its length.
func joinBasis(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
}
