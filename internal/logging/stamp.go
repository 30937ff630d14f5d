package logging

import (
	"os"
	"time"

	"github.com/charmbracelet/log"
)

// Stream is where a logger writes, as the docker CLI's streams describe it.
type Stream interface {
	FD() uintptr
	IsTerminal() bool
}

// TerminalTimeFormat is how a long-running command dates its log lines on
// a terminal: charmbracelet/log's own format, for a person reading along.
const TerminalTimeFormat = log.DefaultTimeFormat

// FileTimeFormat is how it dates them anywhere else (a file, a pipe, a
// container's log): RFC 3339, ISO 8601's profile that log tools parse.
const FileTimeFormat = time.RFC3339

// Stamp makes l date each line it writes to w, for a command that runs for
// days (the watcher): TerminalTimeFormat on a terminal, FileTimeFormat
// elsewhere, and no date at all when w is systemd's journal, which dates
// every line itself (see ToJournal).
func Stamp(l *log.Logger, w Stream) {
	switch {
	case ToJournal(w.FD(), os.Getenv("JOURNAL_STREAM")):
		l.SetReportTimestamp(false)
	case w.IsTerminal():
		l.SetReportTimestamp(true)
		l.SetTimeFormat(TerminalTimeFormat)
	default:
		l.SetReportTimestamp(true)
		l.SetTimeFormat(FileTimeFormat)
	}
}
