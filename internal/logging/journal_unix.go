//go:build unix

package logging

import (
	"fmt"
	"syscall"
)

// ToJournal tells whether fd is connected to systemd's journal. systemd
// sets JOURNAL_STREAM ("DEVICE:INODE") to the stream it connected a
// service's stdout or stderr to; the file descriptor is that stream when
// its device and inode are the same (systemd.exec(5) says to compare them,
// as a child may have redirected the descriptor since).
func ToJournal(fd uintptr, journalStream string) bool {
	if journalStream == "" {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(fd), &st); err != nil {
		return false
	}
	return journalStream == fmt.Sprintf("%d:%d", uint64(st.Dev), uint64(st.Ino)) //nolint:unconvert // Dev and Ino differ in type between systems
}
