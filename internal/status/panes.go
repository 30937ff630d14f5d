package status

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

// paneID names the view's panes, in tab order.
type paneID int

const (
	paneImages paneID = iota
	paneContainers
	paneVolumes
	paneNetworks
	paneBuildCache
	paneRules
	paneWatcher
	numPanes
)

// paneNames are the tabs' labels, long and short (for narrow terminals).
var paneNames = [numPanes][2]string{
	{"Images", "Img"}, {"Containers", "Ctr"}, {"Volumes", "Vol"}, {"Networks", "Net"},
	{"Build cache", "Cache"}, {"Rules", "Rules"}, {"Watcher", "Watch"},
}

// column is one column of a table pane. cell and compare get the row's
// index in the pane's list of the Document.
type column struct {
	title string
	// width is a fixed width; 0 makes the column flexible: as wide as its
	// widest cell, at least min, sharing what is left.
	width, min int
	right      bool
	// keepEnd cuts a cell too long from its start, not its end.
	keepEnd bool
	// drop says when the column goes on a narrow terminal: 0 never, the
	// higher the sooner.
	drop    int
	cell    func(m *Model, i int) string
	compare func(m *Model, a, b int) int
}

// table is what a table pane shows of the Document.
type table struct {
	cols []column
	// rows counts the pane's objects.
	rows func(d *Document) int
	// key identifies a row across Documents, so the selection stays on
	// its object.
	key func(d *Document, i int) string
	// text is what the text filter searches.
	text func(d *Document, i int) string
	// decision is the plan's decision about the row.
	decision func(d *Document, i int) policy.Decision
	// explain is the query explain answers for the row; "" for none.
	explain func(d *Document, i int) string
}

func byString(f func(m *Model, i int) string) func(m *Model, a, b int) int {
	return func(m *Model, a, b int) int { return strings.Compare(f(m, a), f(m, b)) }
}

func byNumber[T cmp.Ordered](f func(m *Model, i int) T) func(m *Model, a, b int) int {
	return func(m *Model, a, b int) int { return cmp.Compare(f(m, a), f(m, b)) }
}

// byTime orders by a time, unknown times first.
func byTime(f func(m *Model, i int) time.Time) func(m *Model, a, b int) int {
	return func(m *Model, a, b int) int { return f(m, a).Compare(f(m, b)) }
}

// verdictRank orders verdicts from "goes now" to "stays".
var verdictRank = map[string]int{
	policy.VerdictRemove: 0, policy.ActionPrune: 0, policy.VerdictUntag: 1, policy.VerdictKeep: 2,
	policy.VerdictProtected: 3, policy.VerdictUnclaimed: 4,
}

// expiryKey orders by when objects go: due ones first, then by time
// left, then those that stay whatever the time.
func expiryKey(d policy.Decision) time.Time {
	switch {
	case verdictRank[d.Verdict] < 2:
		return time.Time{}
	case d.ExpiresAt.IsZero():
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return d.ExpiresAt
}

// ageColumn is an AGE column: how long ago the time of a row was.
func ageColumn(t func(m *Model, i int) time.Time) column {
	return column{title: "AGE", width: 5, right: true, cell: func(m *Model, i int) string { return age(t(m, i), m.now, false) },
		compare: byTime(t)}
}

// usersColumn is a USED BY column: the containers that use an object.
func usersColumn(users func(m *Model, i int) []string) column {
	return column{title: "USED BY", min: 7, drop: 1, cell: func(m *Model, i int) string { return dash(strings.Join(users(m, i), ",")) },
		compare: byNumber(func(m *Model, i int) int { return len(users(m, i)) })}
}

func verdictColumn(get func(d *Document, i int) policy.Decision) []column {
	return []column{
		{title: "RULE", min: 8, drop: 0, cell: func(m *Model, i int) string { return dash(get(m.doc, i).Rule) },
			compare: byString(func(m *Model, i int) string { return get(m.doc, i).Rule })},
		{title: "VERDICT", width: 9, cell: func(m *Model, i int) string { return get(m.doc, i).Verdict },
			compare: byNumber(func(m *Model, i int) int { return verdictRank[get(m.doc, i).Verdict] })},
		{title: "EXPIRES", width: 7, right: true, cell: func(m *Model, i int) string { return expires(get(m.doc, i), m.now) },
			compare: byTime(func(m *Model, i int) time.Time { return expiryKey(get(m.doc, i)) })},
	}
}

var tables = [numPanes]*table{
	paneImages:     imagesTable(),
	paneContainers: containersTable(),
	paneVolumes:    volumesTable(),
	paneNetworks:   networksTable(),
	paneRules:      rulesTable(),
}

func imagesTable() *table {
	row := func(d *Document, i int) *ImageRow { return &d.Images[i] }
	dec := func(d *Document, i int) policy.Decision { return d.Images[i].Decision }
	cols := []column{
		{title: "REPOSITORY", min: 10, keepEnd: true, cell: func(m *Model, i int) string { return row(m.doc, i).Repository },
			compare: func(m *Model, a, b int) int { return compareNone(row(m.doc, a).Repository, row(m.doc, b).Repository) }},
		{title: "TAG", min: 6, cell: func(m *Model, i int) string { return row(m.doc, i).Tag },
			compare: func(m *Model, a, b int) int { return compareNatural(row(m.doc, a).Tag, row(m.doc, b).Tag) }},
		{title: "IMAGE ID", width: 12, drop: 2, cell: func(m *Model, i int) string { return policy.ShortID(row(m.doc, i).ID) },
			compare: byString(func(m *Model, i int) string { return row(m.doc, i).ID })},
		{title: "SIZE", width: 7, right: true, cell: func(m *Model, i int) string { return size(row(m.doc, i).Size) },
			compare: byNumber(func(m *Model, i int) int64 { return row(m.doc, i).Size })},
		{title: "AGE", width: 5, right: true, cell: func(m *Model, i int) string {
			t, lower := row(m.doc, i).Age()
			return age(t, m.now, lower)
		}, compare: byTime(func(m *Model, i int) time.Time { t, _ := row(m.doc, i).Age(); return t })},
		{title: "BASIS", width: 9, drop: 3, cell: func(m *Model, i int) string {
			if b := row(m.doc, i).Basis; b != "" {
				return b
			}
			return "seen"
		}, compare: byString(func(m *Model, i int) string { return row(m.doc, i).Basis })},
		{title: "LAST USE", width: 8, right: true, cell: func(m *Model, i int) string {
			r := row(m.doc, i)
			return age(r.LastUsed, m.now, r.LastUsedLowerBound)
		}, compare: byTime(func(m *Model, i int) time.Time { return row(m.doc, i).LastUsed })},
	}
	return &table{
		cols: append(cols, verdictColumn(dec)...),
		rows: func(d *Document) int { return len(d.Images) },
		key:  func(d *Document, i int) string { return d.Images[i].ID + " " + d.Images[i].Ref },
		text: func(d *Document, i int) string {
			r := &d.Images[i]
			return r.Repository + ":" + r.Tag + " " + r.ID + " " + r.Rule + " " + r.Reason
		},
		decision: dec,
		explain: func(d *Document, i int) string {
			if r := &d.Images[i]; r.Ref != "" {
				return r.Ref
			}
			return d.Images[i].ID
		},
	}
}

func containersTable() *table {
	row := func(d *Document, i int) *ContainerRow { return &d.Containers[i] }
	dec := func(d *Document, i int) policy.Decision { return d.Containers[i].Decision }
	usage := func(m *Model, i int) Usage {
		if u, ok := m.usage[row(m.doc, i).ID]; ok {
			return u
		}
		return row(m.doc, i).Usage
	}
	cols := []column{
		{title: "NAME", min: 8, cell: func(m *Model, i int) string { return row(m.doc, i).Name },
			compare: byString(func(m *Model, i int) string { return row(m.doc, i).Name })},
		{title: "IMAGE", min: 8, drop: 1, cell: func(m *Model, i int) string { return row(m.doc, i).Image },
			compare: byString(func(m *Model, i int) string { return row(m.doc, i).Image })},
		{title: "STATE", width: 10, cell: func(m *Model, i int) string { return row(m.doc, i).State },
			compare: byString(func(m *Model, i int) string { return row(m.doc, i).State })},
		ageColumn(func(m *Model, i int) time.Time { return row(m.doc, i).Since() }),
		{title: "CPU %", width: 6, right: true, cell: func(m *Model, i int) string {
			if u := usage(m, i); u.CPUPercent != nil {
				return strconv.FormatFloat(*u.CPUPercent, 'f', 1, 64)
			}
			return "-"
		}, compare: byNumber(func(m *Model, i int) float64 {
			if u := usage(m, i); u.CPUPercent != nil {
				return *u.CPUPercent
			}
			return -1
		})},
		{title: "MEMORY", width: 7, right: true, cell: func(m *Model, i int) string {
			if u := usage(m, i); u.Memory != nil {
				return size(int64(*u.Memory))
			}
			return "-"
		}, compare: byNumber(func(m *Model, i int) uint64 {
			if u := usage(m, i); u.Memory != nil {
				return *u.Memory
			}
			return 0
		})},
	}
	return &table{
		cols: append(cols, verdictColumn(dec)...),
		rows: func(d *Document) int { return len(d.Containers) },
		key:  func(d *Document, i int) string { return d.Containers[i].ID },
		text: func(d *Document, i int) string {
			r := &d.Containers[i]
			return r.Name + " " + r.Image + " " + r.State + " " + r.ID + " " + r.Rule
		},
		decision: dec,
		explain:  func(d *Document, i int) string { return d.Containers[i].ID },
	}
}

func volumesTable() *table {
	row := func(d *Document, i int) *VolumeRow { return &d.Volumes[i] }
	dec := func(d *Document, i int) policy.Decision { return d.Volumes[i].Decision }
	cols := []column{
		{title: "NAME", min: 12, cell: func(m *Model, i int) string { return row(m.doc, i).Name },
			compare: byString(func(m *Model, i int) string { return row(m.doc, i).Name })},
		{title: "KIND", width: 9, drop: 2, cell: func(m *Model, i int) string {
			if row(m.doc, i).Anonymous {
				return "anonymous"
			}
			return "named"
		}, compare: byString(func(m *Model, i int) string { return strconv.FormatBool(row(m.doc, i).Anonymous) })},
		{title: "SIZE", width: 7, right: true, cell: func(m *Model, i int) string { return size(row(m.doc, i).Size) },
			compare: byNumber(func(m *Model, i int) int64 { return row(m.doc, i).Size })},
		ageColumn(func(m *Model, i int) time.Time { return row(m.doc, i).Created }),
		usersColumn(func(m *Model, i int) []string { return row(m.doc, i).Users }),
	}
	return &table{
		cols: append(cols, verdictColumn(dec)...),
		rows: func(d *Document) int { return len(d.Volumes) },
		key:  func(d *Document, i int) string { return d.Volumes[i].Name },
		text: func(d *Document, i int) string {
			r := &d.Volumes[i]
			return r.Name + " " + strings.Join(r.Users, " ") + " " + r.Rule
		},
		decision: dec,
		explain:  func(d *Document, i int) string { return d.Volumes[i].Name },
	}
}

func networksTable() *table {
	row := func(d *Document, i int) *NetworkRow { return &d.Networks[i] }
	dec := func(d *Document, i int) policy.Decision { return d.Networks[i].Decision }
	cols := []column{
		{title: "NAME", min: 10, cell: func(m *Model, i int) string { return row(m.doc, i).Name },
			compare: byString(func(m *Model, i int) string { return row(m.doc, i).Name })},
		{title: "NETWORK ID", width: 12, drop: 2, cell: func(m *Model, i int) string { return policy.ShortID(row(m.doc, i).ID) },
			compare: byString(func(m *Model, i int) string { return row(m.doc, i).ID })},
		{title: "DRIVER", width: 7, drop: 3, cell: func(m *Model, i int) string { return row(m.doc, i).Driver },
			compare: byString(func(m *Model, i int) string { return row(m.doc, i).Driver })},
		ageColumn(func(m *Model, i int) time.Time { return row(m.doc, i).Created }),
		usersColumn(func(m *Model, i int) []string { return row(m.doc, i).Users }),
	}
	return &table{
		cols: append(cols, verdictColumn(dec)...),
		rows: func(d *Document) int { return len(d.Networks) },
		key:  func(d *Document, i int) string { return d.Networks[i].ID },
		text: func(d *Document, i int) string {
			r := &d.Networks[i]
			return r.Name + " " + r.ID + " " + r.Driver + " " + r.Rule
		},
		decision: dec,
		explain:  func(d *Document, i int) string { return d.Networks[i].ID },
	}
}

func rulesTable() *table {
	row := func(d *Document, i int) *policy.RuleStats { return &d.Rules[i] }
	overlap := func(r *policy.RuleStats) string {
		if len(r.Overlaps) == 0 {
			return "-"
		}
		o := r.Overlaps[0]
		s := fmt.Sprintf("%d: %s also %s", len(r.Overlaps), o.Object, strings.Join(o.Also, ", "))
		if len(r.Overlaps) > 1 {
			s += ", …"
		}
		return s
	}
	return &table{
		cols: []column{
			{title: "RULE", min: 12, cell: func(m *Model, i int) string { return row(m.doc, i).Rule },
				compare: func(m *Model, a, b int) int { return cmp.Compare(a, b) }},
			{title: "CLAIMED", width: 7, right: true, cell: func(m *Model, i int) string { return count(row(m.doc, i).Claimed) },
				compare: byNumber(func(m *Model, i int) int { return row(m.doc, i).Claimed })},
			{title: "DUE", width: 5, right: true, cell: func(m *Model, i int) string { return count(row(m.doc, i).Due) },
				compare: byNumber(func(m *Model, i int) int { return row(m.doc, i).Due })},
			{title: "BYTES DUE", width: 9, right: true, cell: func(m *Model, i int) string {
				if r := row(m.doc, i); r.Due > 0 {
					return size(r.BytesDue)
				}
				return "-"
			},
				compare: byNumber(func(m *Model, i int) int64 { return row(m.doc, i).BytesDue })},
			{title: "KEPT", width: 5, right: true, drop: 1, cell: func(m *Model, i int) string {
				r := row(m.doc, i)
				return count(max(r.Claimed-r.Due, 0) + r.Protected)
			}, compare: byNumber(func(m *Model, i int) int { r := row(m.doc, i); return max(r.Claimed-r.Due, 0) + r.Protected })},
			{title: "OVERLAPS", min: 10, cell: func(m *Model, i int) string { return overlap(row(m.doc, i)) },
				compare: byNumber(func(m *Model, i int) int { return len(row(m.doc, i).Overlaps) })},
		},
		rows: func(d *Document) int { return len(d.Rules) },
		key:  func(d *Document, i int) string { return d.Rules[i].Rule },
		text: func(d *Document, i int) string {
			r := &d.Rules[i]
			var b strings.Builder
			b.WriteString(r.Rule)
			for _, o := range r.Overlaps {
				b.WriteString(" " + o.Object)
			}
			return b.String()
		},
		decision: func(d *Document, i int) policy.Decision {
			if d.Rules[i].Due > 0 {
				return policy.Decision{Verdict: policy.VerdictRemove}
			}
			return policy.Decision{Verdict: policy.VerdictKeep}
		},
	}
}

// count is a number, "-" for none.
func count(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}
