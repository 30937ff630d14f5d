package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// journalFileName is the journal of one Docker context, in its contextDir.
const journalFileName = "journal.jsonl"

// journalEntry is one line of the journal: what happened to one planned
// action. Image entries carry the image's digests, so an image removed by
// mistake can be pulled again.
type journalEntry struct {
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

// journal appends entries to a JSON-lines file. Each entry is written with
// one write call on a file opened with O_APPEND, so concurrent writers (a
// prune and a watcher of another context sharing a file, or goroutines of
// one run) never interleave within a line. Close syncs the file to disk.
// A journal is safe for concurrent use.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
	err  error // the first write error; later appends are refused
}

// openJournal opens (creating it and its directory if needed) the journal
// at path for appending.
func openJournal(path string) (*journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the journal's directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the journal: %w", err)
	}
	return &journal{f: f, path: path}, nil
}

// Path is the journal's file.
func (j *journal) Path() string { return j.path }

// Append writes e as one line. After a failed write every later Append
// returns that first error: a journal with a hole is not trusted further.
func (j *journal) Append(e journalEntry) error {
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

// Err is the first write error, if any.
func (j *journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// Close syncs the journal to disk and closes it.
func (j *journal) Close() error {
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

// readJournal reads every entry of the journal at path.
func readJournal(path string) ([]journalEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []journalEntry
	for i, line := range splitLines(data) {
		var e journalEntry
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
