//go:build unix

package watch

import (
	"io/fs"
	"syscall"
)

// fileID is the file's inode: editors that save by renaming change it.
func fileID(fi fs.FileInfo) uint64 {
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Ino)
	}
	return 0
}
