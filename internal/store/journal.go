package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// JournalFile is the journal of one daemon, in its DaemonDir.
const JournalFile = "journal.jsonl"

// Entry is one line of the journal: what happened to one planned
// action. Image entries carry the image's digests, so an image removed by
// mistake can be pulled again.
type Entry struct {
	Time time.Time `json:"time"`
	// Run identifies the prune (or watcher enforcement) that wrote the
	// entry: every entry of one run has the same Run.
	Run     string   `json:"run"`
	Command string   `json:"command"`
	Kind    string   `json:"kind"`
	Action  string   `json:"action"`
	Ref     string   `json:"ref,omitempty"`
	Name    string   `json:"name,omitempty"`
	ID      string   `json:"id,omitempty"`
	Digests []string `json:"digests,omitempty"`
	Rule    string   `json:"rule"`
	Reason  string   `json:"reason"`
	Bytes   int64    `json:"bytes"`
	Outcome string   `json:"outcome"`
	Detail  string   `json:"detail,omitempty"`
}

// Journal appends entries to a JSON-lines file. Each entry is written with
// one write call on a file opened with O_APPEND, so concurrent writers (a
// prune and a watcher of another context sharing a file, or goroutines of
// one run) never interleave within a line. Close syncs the file to disk.
// A journal is safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
	err  error // the first write error; later appends are refused
}

// OpenJournal opens (creating it and its directory if needed) the journal
// at path for appending.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the journal's directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the journal: %w", err)
	}
	return &Journal{f: f, path: path}, nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Append writes e as one line. After a failed write every later Append
// returns that first error: a journal with a hole is not trusted further.
func (j *Journal) Append(e Entry) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	if j.f == nil {
		return errors.New("journal is closed")
	}
	if _, err := j.f.Write(data); err != nil {
		j.err = fmt.Errorf("writing the journal %s: %w", j.path, err)
		return j.err
	}
	return nil
}

// Close syncs the journal to disk and closes it.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	serr := j.f.Sync()
	cerr := j.f.Close()
	j.f = nil
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("closing the journal %s: %w", j.path, err)
	}
	return nil
}

// ReadJournal reads every entry of the journal at path.
func ReadJournal(path string) ([]Entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for i, line := range splitLines(data) {
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return out, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func splitLines(data []byte) [][]byte {
	var lines [][]byte
	for len(data) > 0 {
		i := 0
		for i < len(data) && data[i] != '\n' {
			i++
		}
		if i > 0 {
			lines = append(lines, data[:i])
		}
		if i == len(data) {
			break
		}
		data = data[i+1:]
	}
	return lines
}

// JournalTail reads the last n entries of the journal at path (fewer when
// it has fewer), reading only the end of the file. A line that cannot be
// decoded (one cut short by a crash) is left out.
func JournalTail(path string, n int) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	for chunk := int64(16 << 10); ; chunk *= 4 {
		start := max(size-chunk, 0)
		data := make([]byte, size-start)
		if _, err := f.ReadAt(data, start); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading the journal %s: %w", path, err)
		}
		lines := splitLines(data)
		if start > 0 && len(lines) > 0 {
			lines = lines[1:] // it may begin mid-line
		}
		if len(lines) < n && start > 0 {
			continue
		}
		lines = lines[max(len(lines)-n, 0):]
		out := make([]Entry, 0, len(lines))
		for _, line := range lines {
			var e Entry
			if json.Unmarshal(line, &e) == nil {
				out = append(out, e)
			}
		}
		return out, nil
	}
}
