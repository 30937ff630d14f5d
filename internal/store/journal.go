package store

import (
	"bufio"
	"bytes"
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

// Kinds of journal records. A run writes a begin record, then for each
// action an intent just before the first call that changes the host and
// an outcome once it knows what happened (an action never attempted gets
// only its outcome, skipped), then an end record. An intent without an
// outcome is a removal that may or may not have taken effect: the run was
// killed, or the machine went down, in between; the next run that takes
// the daemon's removal lock reconciles it against the daemon and writes
// the outcome, marked reconciled.
const (
	RecordBegin   = "begin"
	RecordIntent  = "intent"
	RecordOutcome = "outcome"
	RecordEnd     = "end"
)

// Entry is one line of the journal. Action records (intent, outcome) carry
// what the plan said about the object, and image records the image's
// digests, so an image removed by mistake can be pulled again. Lines
// written before records existed have no record field: they are outcomes.
type Entry struct {
	Time time.Time `json:"time"`
	// Run identifies the prune (or watcher enforcement) that wrote the
	// entry: every entry of one run has the same Run.
	Run     string `json:"run"`
	Command string `json:"command"`
	Record  string `json:"record,omitempty"`
	// Seq numbers the actions of a run, in plan order: an intent and its
	// outcome have the same.
	Seq     int      `json:"seq,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	Action  string   `json:"action,omitempty"`
	Ref     string   `json:"ref,omitempty"`
	Name    string   `json:"name,omitempty"`
	ID      string   `json:"id,omitempty"`
	Digests []string `json:"digests,omitempty"`
	Rule    string   `json:"rule,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	Bytes   int64    `json:"bytes"`
	Outcome string   `json:"outcome,omitempty"`
	Detail  string   `json:"detail,omitempty"`
	// Deleted are images the daemon deleted with this action besides the
	// action's own (parents pruned with a child).
	Deleted []string `json:"deleted,omitempty"`
	// Actions is, on a begin record, how many actions the run plans.
	Actions int `json:"actions,omitempty"`
	// Reconciled marks an outcome (and an end) written by a later run for
	// a run that was interrupted, from what the daemon showed then.
	Reconciled bool `json:"reconciled,omitempty"`
}

// IsOutcome says whether e records what became of an action.
func (e Entry) IsOutcome() bool {
	return e.Record == RecordOutcome || e.Record == "" && e.Outcome != ""
}

// Journal appends entries to a JSON-lines file. Each entry is written with
// one write call on a file opened with O_APPEND, so goroutines of one run
// never interleave within a line (and runs are serialised by the daemon's
// removal lock). The file is synced after a run's first record, every
// syncEvery records, and on Close. A journal is safe for concurrent use.
type Journal struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	err     error // the first write error; later appends are refused
	unsaved int   // records written since the last sync
}

// syncEvery is how many records may wait for a sync: a machine that goes
// down loses at most these, a process that is killed none (they are in the
// kernel's hands already).
const syncEvery = 64

// OpenJournal opens (creating it and its directory if needed) the journal
// at path for appending. It refuses a path that is a symbolic link or not
// a regular file, rather than write through it. When the file does not end
// with a newline (a write cut short, a full disk), the torn line is ended
// first, so this run's records start on a fresh line; readers report the
// torn line and read on.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the journal's directory: %w", err)
	}
	f, err := openRegular(path, os.O_RDWR|os.O_APPEND|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("opening the journal: %w", err)
	}
	j := &Journal{f: f, path: path}
	if err := j.endTornLine(); err != nil {
		f.Close()
		return nil, fmt.Errorf("repairing the journal %s: %w", path, err)
	}
	return j, nil
}

// endTornLine writes a newline when the file's last byte is not one.
func (j *Journal) endTornLine() error {
	fi, err := j.f.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := j.f.ReadAt(last, fi.Size()-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err = j.f.Write([]byte("\n"))
	return err
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
	j.unsaved++
	if e.Record == RecordBegin || j.unsaved >= syncEvery {
		if err := j.f.Sync(); err != nil {
			j.err = fmt.Errorf("syncing the journal %s: %w", j.path, err)
			return j.err
		}
		j.unsaved = 0
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

// JournalLines are the records of a journal, and the lines that could not
// be read as records (a line torn by a crash or a full disk).
type JournalLines struct {
	Entries []Entry
	// Torn are the 1-based line numbers of lines that are not records.
	Torn []int
}

// ReadJournal reads every record of the journal at path; lines that are
// not records are counted in Torn, not an error.
func ReadJournal(path string) (JournalLines, error) {
	f, err := openRegular(path, os.O_RDONLY)
	if err != nil {
		return JournalLines{}, err
	}
	defer f.Close()
	return readJournal(f, 0)
}

// readJournal reads records from r; first is the line number of its first
// line minus one.
func readJournal(r io.Reader, first int) (JournalLines, error) {
	var out JournalLines
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	n := first
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil || e.Run == "" {
			out.Torn = append(out.Torn, n)
			continue
		}
		out.Entries = append(out.Entries, e)
	}
	return out, sc.Err()
}

// Unfinished returns the records of the runs at the end of the journal
// that have no end record: runs that were interrupted. Runs are
// serialised by the daemon's removal lock, so whoever holds it reads
// every record after the last end record, and nothing before it can be
// unfinished. It reads the file backwards, so its cost is that of the
// unfinished runs, not of the journal's whole history.
func (j *Journal) Unfinished() ([]Entry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil, errors.New("journal is closed")
	}
	fi, err := j.f.Stat()
	if err != nil {
		return nil, err
	}
	const chunk = 64 << 10
	end := fi.Size()
	var tail []byte
	for start := end; start > 0; {
		start = max(0, start-chunk)
		buf := make([]byte, end-start)
		if _, err := j.f.ReadAt(buf, start); err != nil && err != io.EOF {
			return nil, err
		}
		tail = append(buf, tail...)
		end = start
		// Look for the last end record among the whole lines read.
		lines := bytes.Split(tail, []byte("\n"))
		if start > 0 {
			lines = lines[1:] // the first may be cut
		}
		for i := len(lines) - 1; i >= 0; i-- {
			var e Entry
			if json.Unmarshal(lines[i], &e) == nil && e.Record == RecordEnd {
				return entriesOf(lines[i+1:]), nil
			}
		}
	}
	return entriesOf(bytes.Split(tail, []byte("\n"))), nil
}

// entriesOf decodes the records among lines, in order, skipping the rest.
func entriesOf(lines [][]byte) []Entry {
	var out []Entry
	for _, l := range lines {
		var e Entry
		if json.Unmarshal(bytes.TrimSpace(l), &e) == nil && e.Run != "" {
			out = append(out, e)
		}
	}
	return out
}

// JournalTail reads the last n outcomes of the journal at path (fewer
// when it has fewer), oldest first: what became of the last removals. It
// reads the file backwards, so its cost is that of the entries read, not
// of the journal's history; lines that are not records are left out.
func JournalTail(path string, n int) ([]Entry, error) {
	f, err := openRegular(path, os.O_RDONLY)
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
		lines := bytes.Split(data, []byte("\n"))
		if start > 0 {
			lines = lines[1:] // it may begin mid-line
		}
		var outcomes []Entry
		for _, e := range entriesOf(lines) {
			if e.IsOutcome() {
				outcomes = append(outcomes, e)
			}
		}
		if len(outcomes) >= n || start == 0 {
			return outcomes[max(len(outcomes)-n, 0):], nil
		}
	}
}
