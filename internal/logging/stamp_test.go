//go:build unix

package logging

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"

	"github.com/charmbracelet/log"
)

// stream is a Stream over a file, a terminal or not as the test says.
type stream struct {
	f   *os.File
	tty bool
}

func (s stream) FD() uintptr      { return s.f.Fd() }
func (s stream) IsTerminal() bool { return s.tty }

func TestStamp(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	journal := fmt.Sprintf("%d:%d", uint64(st.Dev), uint64(st.Ino)) //nolint:unconvert

	tests := []struct {
		name    string
		tty     bool
		journal string
		want    string // the line's start, as a regular expression
	}{
		{name: "a file or a pipe: RFC 3339", want: `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) INFO shaper: hello\n$`},
		{name: "a terminal", tty: true, want: `^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d INFO shaper: hello\n$`},
		{name: "another stream in the journal", journal: "1:2", want: `^\d{4}-\d\d-\d\dT`},
		{name: "the journal dates lines itself", journal: journal, want: `^INFO shaper: hello\n$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("JOURNAL_STREAM", tt.journal)
			var buf bytes.Buffer
			l := log.NewWithOptions(&buf, log.Options{Prefix: "shaper"})
			Stamp(l, stream{f: f, tty: tt.tty})
			l.Info("hello")
			if !regexp.MustCompile(tt.want).MatchString(buf.String()) {
				t.Errorf("logged %q, want %s", buf.String(), tt.want)
			}
		})
	}
}
