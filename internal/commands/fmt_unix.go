//go:build unix

package commands

import (
	"os"
	"syscall"
)

// keepOwner gives f the owner and group of the file fi describes, when
// allowed: fmt run as root keeps a user's policy theirs.
func keepOwner(f *os.File, fi os.FileInfo) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}
