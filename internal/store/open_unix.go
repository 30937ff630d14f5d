//go:build unix

package store

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openRegular opens path without following a symbolic link at its end,
// and refuses anything but a regular file: a lock or journal that is a
// link would have docker-shaper write wherever it points.
func openRegular(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o600)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is a symbolic link: docker-shaper does not write through links; remove it", path)
		}
		return nil, err
	}
	return checkRegular(f, path)
}
