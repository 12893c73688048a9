//go:build !unix

package credcache

import (
	"io/fs"
	"os"
)

// currentUID is -1 where files have no Unix owner and mode: the cache then relies on the
// per-user ACLs of os.UserCacheDir.
func currentUID() int { return -1 }

func fileOwner(fs.FileInfo) (int, bool) { return 0, false }

func openNoFollow(path string) (*os.File, error) { return os.Open(path) }
