//go:build !unix

package store

import (
	"fmt"
	"os"
)

// openRegular opens path, refusing a symbolic link or anything but a
// regular file (where there is no O_NOFOLLOW, by looking first).
func openRegular(path string, flag int) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s is a symbolic link: docker-shaper does not write through links; remove it", path)
	}
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return nil, err
	}
	return checkRegular(f, path)
}
