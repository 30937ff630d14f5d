package store

import (
	"fmt"
	"os"
)

// checkRegular returns f when it is a regular file, else closes it and
// says what it is.
func checkRegular(f *os.File, path string) (*os.File, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s): remove it, and docker-shaper creates it again", path, fi.Mode().Type())
	}
	return f, nil
}
