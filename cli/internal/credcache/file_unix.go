//go:build unix

package credcache

import (
	"io/fs"
	"os"
	"syscall"
)

func currentUID() int { return os.Geteuid() }

func fileOwner(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// openNoFollow refuses a symlink planted in place of a cache file.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}
