package credcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// maxFileSize bounds what Get reads: a cache entry is a few hundred bytes, so anything
// larger is not one of ours.
const maxFileSize = 64 << 10

// fileVersion is the format of a cache file; files of another version are ignored.
const fileVersion = 1

// ErrInsecure reports a cache directory or file that others could read or replace.
var ErrInsecure = errors.New("insecure permissions")

// FileCache stores credentials on disk, one file per key, for the commands that start
// anew each time (credential-process, which the AWS CLI runs for every command, and exec,
// export and serve): a TVM round trip each time would be slow.
//
// Files hold secrets, so the directory must be 0700 and each file 0600, both owned by
// the current user; anything else is ignored rather than trusted. Writes go to a temporary
// file renamed into place, so concurrent writers never leave a torn file and readers
// see either the old or the new entry.
type FileCache struct {
	dir string
	now func() time.Time
	uid int // owner required of the directory and the files; -1 where owners are not checked
}

// NewFileCache opens the cache in dir, creating it with mode 0700. An empty dir means
// os.UserCacheDir()/vend. An existing directory that is not a directory, not owned by
// the user, or open to group or others is refused with ErrInsecure.
func NewFileCache(dir string) (*FileCache, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("credential cache: %w", err)
		}
		dir = filepath.Join(base, "vend")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("credential cache: %w", err)
	}
	f := &FileCache{dir: dir, now: time.Now, uid: currentUID()}
	if err := f.checkDir(); err != nil {
		return nil, err
	}
	return f, nil
}

// Dir is the directory holding the cache files.
func (f *FileCache) Dir() string { return f.dir }

// Get returns the credentials stored under key if they have more than minRemaining
// left. Missing, corrupt, foreign or loosely permitted files are a miss.
func (f *FileCache) Get(key string, minRemaining time.Duration) (aws.Credentials, bool) {
	return f.GetWithin(key, func(time.Duration) time.Duration { return minRemaining })
}

// GetFresh returns the credentials stored under key while they have more than
// ServeMargin of their lifetime left: what a credential_process may hand out.
func (f *FileCache) GetFresh(key string) (aws.Credentials, bool) {
	return f.GetWithin(key, ServeMargin)
}

// GetWithin returns the credentials stored under key if they have more left than margin
// says for their lifetime (from when they were stored to when they expire; 0 when the
// entry does not say).
func (f *FileCache) GetWithin(key string, margin func(lifetime time.Duration) time.Duration) (aws.Credentials, bool) {
	if !validKey(key) || f.checkDir() != nil {
		return aws.Credentials{}, false
	}
	file, err := openNoFollow(f.path(key))
	if err != nil {
		return aws.Credentials{}, false
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil || !info.Mode().IsRegular() || !f.private(info) || info.Size() > maxFileSize {
		return aws.Credentials{}, false
	}
	data, err := io.ReadAll(io.LimitReader(file, maxFileSize+1))
	if err != nil {
		return aws.Credentials{}, false
	}
	creds, stored, err := decodeFile(data)
	if err != nil {
		return aws.Credentials{}, false
	}
	var lifetime time.Duration
	if !stored.IsZero() && stored.Before(creds.Expires) {
		lifetime = creds.Expires.Sub(stored)
	}
	if creds.Expires.Sub(f.now()) <= margin(lifetime) {
		return aws.Credentials{}, false
	}
	return creds, true
}

// Put stores c under key, atomically, in a file of mode 0600. Credentials that cannot
// expire are refused: long-term keys do not belong in a cache.
func (f *FileCache) Put(key string, c aws.Credentials) error {
	if !validKey(key) {
		return errors.New("credential cache: invalid key")
	}
	if !c.CanExpire || c.Expires.IsZero() {
		return errors.New("credential cache: refusing to store credentials that do not expire")
	}
	if err := f.checkDir(); err != nil {
		return err
	}
	data, err := json.Marshal(cacheFile{
		Version:         fileVersion,
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Expiration:      c.Expires.UTC(),
		AccountID:       c.AccountID,
		Stored:          f.now().UTC(),
	})
	if err != nil {
		return fmt.Errorf("credential cache: encode: %w", err)
	}
	// CreateTemp makes the file 0600 and unique, so concurrent writers never share one.
	tmp, err := os.CreateTemp(f.dir, ".tmp-"+key[:8]+"-*")
	if err != nil {
		return fmt.Errorf("credential cache: %w", err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("credential cache: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("credential cache: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("credential cache: write: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("credential cache: write: %w", err)
	}
	if err := os.Rename(tmpName, f.path(key)); err != nil {
		return fmt.Errorf("credential cache: %w", err)
	}
	ok = true
	return nil
}

// CacheKey derives a file-cache key from parts (for example TVM URL, profile and
// duration). Each part is length-prefixed before hashing, so ("ab", "c") and ("a", "bc")
// give different keys. The key is 64 lowercase hex characters.
func CacheKey(parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (f *FileCache) path(key string) string { return filepath.Join(f.dir, key+".json") }

func (f *FileCache) checkDir() error {
	info, err := os.Lstat(f.dir)
	if err != nil {
		return fmt.Errorf("credential cache: %w", err)
	}
	if !info.IsDir() || !f.private(info) {
		return fmt.Errorf("credential cache %s: %w: want a directory of mode 0700 owned by you", f.dir, ErrInsecure)
	}
	return nil
}

// private reports whether info is owned by the user and closed to group and others.
func (f *FileCache) private(info fs.FileInfo) bool {
	if f.uid < 0 {
		return true
	}
	owner, ok := fileOwner(info)
	return ok && owner == f.uid && info.Mode().Perm()&0o077 == 0
}

// validKey accepts only CacheKey's output, so a key can never name a path outside dir.
func validKey(key string) bool {
	if len(key) != sha256.Size*2 {
		return false
	}
	for _, r := range key {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// cacheFile is the on-disk format of one entry.
type cacheFile struct {
	Version         int       `json:"Version"`
	AccessKeyID     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey"`
	SessionToken    string    `json:"SessionToken"`
	Expiration      time.Time `json:"Expiration"`
	AccountID       string    `json:"AccountId,omitempty"`
	// Stored is when the entry was written, right after the fetch: with Expiration it
	// gives the lifetime that ServeMargin scales with. Older entries lack it.
	Stored time.Time `json:"Stored,omitzero"`
}

// decodeFile parses a cache file. Its errors never quote the input, which holds secrets.
func decodeFile(data []byte) (aws.Credentials, time.Time, error) {
	var cf cacheFile
	if err := json.Unmarshal(data, &cf); err != nil {
		return aws.Credentials{}, time.Time{}, errors.New("credential cache: corrupt file")
	}
	switch {
	case cf.Version != fileVersion:
		return aws.Credentials{}, time.Time{}, fmt.Errorf("credential cache: unknown version %d", cf.Version)
	case cf.AccessKeyID == "" || cf.SecretAccessKey == "" || cf.Expiration.IsZero():
		return aws.Credentials{}, time.Time{}, errors.New("credential cache: incomplete entry")
	}
	return aws.Credentials{
		AccessKeyID:     cf.AccessKeyID,
		SecretAccessKey: cf.SecretAccessKey,
		SessionToken:    cf.SessionToken,
		Source:          "vend-file-cache",
		CanExpire:       true,
		Expires:         cf.Expiration,
		AccountID:       cf.AccountID,
	}, cf.Stored, nil
}
