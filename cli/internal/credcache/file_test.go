package credcache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func newTestFileCache(t *testing.T) *FileCache {
	t.Helper()
	f, err := NewFileCache(filepath.Join(t.TempDir(), "vend"))
	if err != nil {
		t.Fatalf("NewFileCache: %v", err)
	}
	f.now = func() time.Time { return t0 }
	return f
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func TestFileCacheRoundTrip(t *testing.T) {
	f := newTestFileCache(t)
	key := CacheKey("https://tvm.example", "prod-admin", "3600")
	in := creds(1, t0.Add(time.Hour))
	in.AccountID = "123456789012"
	if err := f.Put(key, in); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := mode(t, f.Dir()); got != 0o700 {
		t.Errorf("dir mode = %o, want 700", got)
	}
	if got := mode(t, f.path(key)); got != 0o600 {
		t.Errorf("file mode = %o, want 600", got)
	}
	got, ok := f.Get(key, 15*time.Minute)
	if !ok {
		t.Fatal("Get missed a fresh entry")
	}
	if got.AccessKeyID != in.AccessKeyID || got.SecretAccessKey != in.SecretAccessKey ||
		got.SessionToken != in.SessionToken || !got.Expires.Equal(in.Expires) || !got.CanExpire ||
		got.AccountID != in.AccountID {
		t.Errorf("Get = %+v, want %+v", got, in)
	}
	if _, ok := f.Get(CacheKey("other"), 0); ok {
		t.Error("Get hit a key never stored")
	}
}

func TestFileCacheMinRemaining(t *testing.T) {
	tests := []struct {
		name         string
		left         time.Duration
		minRemaining time.Duration
		hit          bool
	}{
		{"plenty left", time.Hour, 16 * time.Minute, true},
		{"just above", 16*time.Minute + time.Second, 16 * time.Minute, true},
		{"exactly the minimum", 16 * time.Minute, 16 * time.Minute, false},
		{"inside the window", 10 * time.Minute, 16 * time.Minute, false},
		{"expired", -time.Minute, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFileCache(t)
			key := CacheKey(tt.name)
			if err := f.Put(key, creds(1, t0.Add(tt.left))); err != nil {
				t.Fatalf("Put: %v", err)
			}
			if _, ok := f.Get(key, tt.minRemaining); ok != tt.hit {
				t.Errorf("Get hit = %v, want %v", ok, tt.hit)
			}
		})
	}
}

func TestFileCacheRefusesUnsafeFiles(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, f *FileCache, path string)
	}{
		{"group-readable file", func(t *testing.T, _ *FileCache, path string) { chmod(t, path, 0o640) }},
		{"world-readable file", func(t *testing.T, _ *FileCache, path string) { chmod(t, path, 0o604) }},
		{"file of another user", func(t *testing.T, f *FileCache, path string) {
			if os.Geteuid() != 0 {
				f.uid++ // only root can give the file away; pretend to be someone else instead
				return
			}
			if err := os.Chown(path, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}},
		{"loose directory", func(t *testing.T, f *FileCache, _ string) { chmod(t, f.Dir(), 0o755) }},
		{"symlink", func(t *testing.T, _ *FileCache, path string) {
			target := path + ".target"
			if err := os.Rename(path, target); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory in place of the file", func(t *testing.T, _ *FileCache, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{"corrupt file", func(t *testing.T, _ *FileCache, path string) { writeFile(t, path, "{not json") }},
		{"wrong version", func(t *testing.T, _ *FileCache, path string) {
			writeFile(t, path, `{"Version":2,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2030-01-01T00:00:00Z"}`)
		}},
		{"missing secret", func(t *testing.T, _ *FileCache, path string) {
			writeFile(t, path, `{"Version":1,"AccessKeyId":"A","Expiration":"2030-01-01T00:00:00Z"}`)
		}},
		{"oversized file", func(t *testing.T, _ *FileCache, path string) {
			writeFile(t, path, `{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2030-01-01T00:00:00Z","X":"`+
				strings.Repeat("x", maxFileSize)+`"}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFileCache(t)
			key := CacheKey(tt.name)
			if err := f.Put(key, creds(1, t0.Add(time.Hour))); err != nil {
				t.Fatalf("Put: %v", err)
			}
			tt.spoil(t, f, f.path(key))
			if _, ok := f.Get(key, 0); ok {
				t.Fatal("Get trusted an unsafe or corrupt entry")
			}
		})
	}
}

func TestFileCacheOverwritesCorruptFile(t *testing.T) {
	f := newTestFileCache(t)
	key := CacheKey("corrupt")
	writeFile(t, f.path(key), "garbage")
	if _, ok := f.Get(key, 0); ok {
		t.Fatal("Get trusted a corrupt file")
	}
	if err := f.Put(key, creds(2, t0.Add(time.Hour))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, ok := f.Get(key, 0)
	if !ok {
		t.Fatal("Get missed after Put replaced the corrupt file")
	}
	wantKey(t, got, 2)
}

func TestNewFileCacheRefusesLooseDir(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, dir string)
	}{
		{"group-readable", func(t *testing.T, dir string) { mkdir(t, dir, 0o750) }},
		{"world-writable", func(t *testing.T, dir string) { mkdir(t, dir, 0o777) }},
		{"a file", func(t *testing.T, dir string) { writeFile(t, dir, "x") }},
		{"a symlink", func(t *testing.T, dir string) {
			target := dir + ".target"
			mkdir(t, target, 0o700)
			if err := os.Symlink(target, dir); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "vend")
			tt.make(t, dir)
			_, err := NewFileCache(dir)
			if err == nil {
				t.Fatal("NewFileCache accepted an unsafe directory")
			}
			// MkdirAll itself fails on a file; everything else is a refused directory.
			if tt.name != "a file" && !errors.Is(err, ErrInsecure) {
				t.Fatalf("NewFileCache error = %v, want ErrInsecure", err)
			}
		})
	}
}

func TestFileCachePutRefusals(t *testing.T) {
	f := newTestFileCache(t)
	tests := []struct {
		name  string
		key   string
		creds aws.Credentials
	}{
		{"non-expiring credentials", CacheKey("x"), aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s"}},
		{"expiring credentials without an expiration", CacheKey("x"), aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s", CanExpire: true}},
		{"path traversal key", "../../etc/passwd", creds(1, t0.Add(time.Hour))},
		{"uppercase key", strings.ToUpper(CacheKey("x")), creds(1, t0.Add(time.Hour))},
		{"short key", "abc", creds(1, t0.Add(time.Hour))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.Put(tt.key, tt.creds); err == nil {
				t.Fatal("Put succeeded, want an error")
			}
			if _, ok := f.Get(tt.key, 0); ok {
				t.Fatal("Get hit")
			}
		})
	}
}

func TestFileCacheConcurrentWriters(t *testing.T) {
	f := newTestFileCache(t)
	key := CacheKey("shared")
	const writers = 20
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := f.Put(key, creds(i, t0.Add(time.Hour))); err != nil {
				t.Errorf("Put: %v", err)
			}
		}()
		go func() {
			defer wg.Done()
			// A reader sees a whole entry or none, never a torn one.
			if got, ok := f.Get(key, 0); ok && got.SecretAccessKey != testSecret {
				t.Errorf("Get returned a torn entry")
			}
		}()
	}
	wg.Wait()
	got, ok := f.Get(key, 0)
	if !ok || !strings.HasPrefix(got.AccessKeyID, "ASIAFAKE") {
		t.Fatalf("Get after concurrent writes = %v, %v", got.AccessKeyID, ok)
	}
	entries, err := os.ReadDir(f.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("cache dir holds %v, want only the entry (no temp files)", names)
	}
}

func TestCacheKey(t *testing.T) {
	tests := []struct {
		name string
		a, b []string
		same bool
	}{
		{"deterministic", []string{"u", "p"}, []string{"u", "p"}, true},
		{"boundary moves", []string{"ab", "c"}, []string{"a", "bc"}, false},
		{"separator in part", []string{"a\x00b"}, []string{"a", "b"}, false},
		{"empty part counts", []string{"a", ""}, []string{"a"}, false},
		{"order matters", []string{"a", "b"}, []string{"b", "a"}, false},
		{"nothing vs empty", nil, []string{""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := CacheKey(tt.a...), CacheKey(tt.b...)
			if (ka == kb) != tt.same {
				t.Errorf("CacheKey(%q) == CacheKey(%q) is %v, want %v", tt.a, tt.b, ka == kb, tt.same)
			}
			if !validKey(ka) {
				t.Errorf("CacheKey(%q) = %q is not 64 lowercase hex characters", tt.a, ka)
			}
		})
	}
}

func FuzzDecodeFile(f *testing.F) {
	f.Add([]byte(`{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"2030-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"Version":1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"Expiration":"not a time"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := decodeFile(data)
		if err != nil {
			if strings.Contains(err.Error(), string(data)) && len(data) > 8 {
				t.Fatalf("error %q quotes the input", err)
			}
			return
		}
		if c.AccessKeyID == "" || c.SecretAccessKey == "" || !c.CanExpire || c.Expires.IsZero() {
			t.Fatalf("decodeFile accepted an incomplete entry: %+v", c)
		}
	})
}

func chmod(t *testing.T, path string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, m); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string, m os.FileMode) {
	t.Helper()
	if err := os.Mkdir(path, m); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, m) // umask may have narrowed it
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Regression: credential-process served cached credentials only with more than a fixed
// 16 minutes left, so profiles of 16 minutes or less never came from the cache.
func TestFileCacheGetFreshScalesWithLifetime(t *testing.T) {
	tests := []struct {
		lifetime time.Duration
		age      time.Duration
		hit      bool
	}{
		{time.Hour, 0, true},
		{time.Hour, 44*time.Minute - time.Second, true}, // 16 min + 1 s left
		{time.Hour, 44 * time.Minute, false},
		{20 * time.Minute, 4*time.Minute - time.Second, true},
		{20 * time.Minute, 4 * time.Minute, false},
		{16 * time.Minute, 0, true},
		{16 * time.Minute, 4*time.Minute - time.Second, true}, // 12 min + 1 s left
		{16 * time.Minute, 4 * time.Minute, false},
		{15 * time.Minute, 0, true},
		{15 * time.Minute, 4*time.Minute - time.Second, true}, // 11 min + 1 s left
		{15 * time.Minute, 4 * time.Minute, false},            // never inside 11 min
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v after %v", tt.lifetime, tt.age), func(t *testing.T) {
			f := newTestFileCache(t)
			key := CacheKey("k")
			if err := f.Put(key, creds(1, t0.Add(tt.lifetime))); err != nil {
				t.Fatal(err)
			}
			f.now = func() time.Time { return t0.Add(tt.age) }
			if _, ok := f.GetFresh(key); ok != tt.hit {
				t.Errorf("GetFresh hit = %v, want %v", ok, tt.hit)
			}
		})
	}
}

func TestServeMarginNeverInsideMandatoryWindow(t *testing.T) {
	for l := time.Duration(0); l <= 2*time.Hour; l += 10 * time.Second {
		m := ServeMargin(l)
		if m < mandatoryWindow || m > advisoryMargin {
			t.Fatalf("ServeMargin(%v) = %v, outside [%v, %v]", l, m, mandatoryWindow, advisoryMargin)
		}
	}
}
