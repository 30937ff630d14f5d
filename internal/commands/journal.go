package commands

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
)

// journal records apply's runs in the daemon's journal (store.Journal):
// apply's terms in, the journal's records out, dated by clock.
type journal struct {
	j     *store.Journal
	clock clock.Clock
}

func (j journal) Begin(run, command string, actions int) error {
	return j.j.Append(store.Entry{Time: j.clock(), Run: run, Command: command, Record: store.RecordBegin, Actions: actions})
}

func (j journal) Intend(run, command string, seq int, act policy.Action) error {
	e := entryOf(act)
	e.Time, e.Run, e.Command, e.Record, e.Seq = j.clock(), run, command, store.RecordIntent, seq+1
	return j.j.Append(e)
}

func (j journal) Record(run, command string, r apply.Result) error {
	e := entryOf(r.Action)
	e.Time, e.Run, e.Command, e.Record, e.Seq = r.Time, run, command, store.RecordOutcome, r.Seq+1
	e.Bytes, e.Outcome, e.Detail, e.Deleted = r.Bytes, r.Outcome, r.Detail, r.Deleted
	return j.j.Append(e)
}

func (j journal) End(run, command string, s apply.Summary) error {
	return j.j.Append(store.Entry{Time: j.clock(), Run: run, Command: command, Record: store.RecordEnd,
		Actions: s.Actions, Bytes: s.ReclaimedBytes})
}

// entryOf is the journal's copy of what the plan said about an action.
func entryOf(act policy.Action) store.Entry {
	e := store.Entry{Kind: act.Kind, Action: act.Action, Ref: act.Ref, Name: act.Name, ID: act.ID,
		Rule: act.Rule, Reason: act.Reason, Bytes: act.Bytes}
	if act.Kind == policy.KindImage && act.Image != nil {
		e.Digests = act.Image.Digests
	}
	return e
}

// actionOf is the action a journal record describes.
func actionOf(e store.Entry) policy.Action {
	act := policy.Action{Kind: e.Kind, Action: e.Action, Ref: e.Ref, Name: e.Name, ID: e.ID,
		Rule: e.Rule, Reason: e.Reason, Bytes: e.Bytes}
	if e.Digests != nil {
		act.Image = &policy.ImageInfo{Digests: e.Digests}
	}
	return act
}

// reconcile settles the runs a killed prune or watcher left unfinished in
// the journal at path (when there is one): for every intent without an outcome (or with an unknown
// one) it looks at the daemon and journals what is true, marked
// reconciled, then ends the run. The caller holds the daemon's removal
// lock, so nobody else writes the journal meanwhile.
func (d deps) reconcile(ctx context.Context, path string, daemon apply.Daemon) error {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	j, err := store.OpenJournal(path)
	if err != nil {
		return err
	}
	defer j.Close()
	entries, err := j.Unfinished()
	if err != nil {
		return fmt.Errorf("reading the journal: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	type key struct {
		run string
		seq int
	}
	var runs []string
	commands := map[string]string{}
	open := map[key]store.Entry{} // intents whose outcome is missing or unknown
	var order []key
	for _, e := range entries {
		if _, seen := commands[e.Run]; !seen {
			runs = append(runs, e.Run)
		}
		commands[e.Run] = e.Command
		k := key{e.Run, e.Seq}
		switch {
		case e.Record == store.RecordIntent:
			if _, dup := open[k]; !dup {
				order = append(order, k)
			}
			open[k] = e
		case e.IsOutcome() && e.Outcome == apply.OutcomeUnknown:
			if _, dup := open[k]; !dup {
				order = append(order, k)
			}
			open[k] = e
		case e.IsOutcome():
			delete(open, k)
		}
	}
	var intents []apply.Intent
	for _, k := range order {
		if e, ok := open[k]; ok {
			intents = append(intents, apply.Intent{Run: k.run, Command: commands[k.run], Seq: k.seq - 1, Action: actionOf(e)})
		}
	}
	logger := logging.From(ctx)
	results := apply.Reconcile(ctx, daemon, intents, d.clock)
	for i, r := range results {
		in := intents[i]
		e := entryOf(r.Action)
		e.Time, e.Run, e.Command, e.Record, e.Seq, e.Reconciled = r.Time, in.Run, in.Command, store.RecordOutcome, r.Seq+1, true
		e.Bytes, e.Outcome, e.Detail = r.Bytes, r.Outcome, r.Detail
		if err := j.Append(e); err != nil {
			return err
		}
		logger.Info("reconciled an interrupted removal", "run", in.Run, "kind", e.Kind, "object", objectOf(e), "outcome", r.Outcome)
		if r.Outcome == apply.OutcomeUnknown {
			return fmt.Errorf("run %s was interrupted, and the daemon cannot tell what its %s %s did: %s",
				in.Run, e.Kind, objectOf(e), r.Detail)
		}
	}
	for _, run := range runs {
		if err := j.Append(store.Entry{Time: d.clock(), Run: run, Command: commands[run], Record: store.RecordEnd, Reconciled: true}); err != nil {
			return err
		}
	}
	return j.Close()
}

// objectOf names a journal record's object for logs.
func objectOf(e store.Entry) string {
	switch {
	case e.Ref != "":
		return e.Ref
	case e.Name != "":
		return e.Name
	}
	return policy.ShortID(e.ID)
}
