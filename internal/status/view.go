package status

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
)

// The screen, top to bottom: a title line (daemon, policy, clock), the
// tabs, the pane (a table with its header, or a page of text), the
// selected row's reason, and the status line (totals, filters, notices,
// the main keys). Overlays (help, explain, the confirmation) take the
// pane's place.

// chrome is the lines around the pane's body: title, tabs, detail, status.
const chrome = 4

// bodyHeight is the height of the pane's body (a table's header and
// rows, or an overlay).
func (m *Model) bodyHeight() int { return max(m.height-chrome, 1) }

// tableHeight is how many rows a table shows.
func (m *Model) tableHeight() int { return max(m.bodyHeight()-1, 1) }

// View draws the screen.
func (m *Model) View() string {
	lines := make([]string, 0, m.height)
	lines = append(lines, m.titleLine(), m.tabsLine())
	body := m.body()
	for len(body) < m.bodyHeight() {
		body = append(body, "")
	}
	lines = append(lines, body[:m.bodyHeight()]...)
	lines = append(lines, m.detailLine(), m.statusLine())
	for i, l := range lines {
		lines[i] = m.line(l)
	}
	return strings.Join(lines, "\n")
}

// line cuts a (styled) line to the terminal's width.
func (m *Model) line(s string) string {
	if ansi.StringWidth(s) > m.width {
		return ansi.Truncate(s, m.width, "…")
	}
	return s
}

// spread puts left and right on one line of the terminal's width.
func (m *Model) spread(left, right string) string {
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return left
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *Model) titleLine() string {
	left := " docker shaper status"
	if m.doc != nil {
		if d := m.doc.Daemon; d != nil {
			left += " · " + d.Context + " · " + d.Engine + " " + d.Version
		}
		left += " · " + m.doc.Policy
	}
	state := "● live"
	if !m.live {
		state = "○ daemon unreachable, retrying"
	}
	stamp := m.now.UTC().Format("2006-01-02 15:04:05") + " UTC"
	if m.whatIf {
		stamp = "--now " + stamp
	}
	right := state + "  " + stamp + " "
	if ansi.StringWidth(left)+ansi.StringWidth(right) >= m.width {
		right = state + " " + m.now.UTC().Format("15:04:05") + " "
	}
	return m.spread(m.st.title.Render(left), right)
}

// tabsLine is the panes' tabs, the current one in brackets; short labels
// when the long ones do not fit.
func (m *Model) tabsLine() string {
	build := func(short int) string {
		var b strings.Builder
		b.WriteString(" ")
		for p := range numPanes {
			label := fmt.Sprintf("%d %s", p+1, paneNames[p][short])
			if n := m.paneCount(p); n != "" {
				label += " " + n
			}
			if p == m.pane {
				b.WriteString(m.st.tabActive.Render("[" + label + "]"))
			} else {
				b.WriteString(m.st.tab.Render(" " + label + " "))
			}
		}
		return b.String()
	}
	if s := build(0); ansi.StringWidth(s) <= m.width {
		return s
	}
	return build(1)
}

// paneCount is what a tab shows besides its name: how many objects the
// pane lists (due ones after a slash), or whether the watcher runs.
func (m *Model) paneCount(p paneID) string {
	if m.doc == nil {
		return ""
	}
	switch p {
	case paneWatcher:
		if m.doc.Watcher.Running {
			return "●"
		}
		return "○"
	case paneBuildCache:
		if m.doc.BuildCache.Verdict == policy.ActionPrune {
			return "!"
		}
		return ""
	}
	t := tables[p]
	n, due := t.rows(m.doc), 0
	for i := range n {
		if verdictIs(t.decision(m.doc, i).Verdict, "due") {
			due++
		}
	}
	if due > 0 && p != paneRules {
		return fmt.Sprintf("%d/%d", due, n)
	}
	return fmt.Sprint(n)
}

// body is the pane, or the overlay.
func (m *Model) body() []string {
	if m.overlay != overlayNone {
		head := m.st.header.Render(" "+m.vpTitle) + m.st.dim.Render(fmt.Sprintf("  (%d%%)", int(m.vp.ScrollPercent()*100)))
		m.vp.Height = m.bodyHeight() - 1
		return append([]string{head}, strings.Split(m.vp.View(), "\n")...)
	}
	if m.doc == nil {
		return []string{"", "  reading the host…"}
	}
	switch m.pane {
	case paneBuildCache:
		return m.buildCacheBody()
	case paneWatcher:
		return m.watcherBody()
	}
	return m.tableBody(tables[m.pane], &m.tabs[m.pane])
}

// gap is the space between two columns: 2, or 1 on a terminal narrower
// than 100 cells.
func (m *Model) gap() int {
	if m.width < 100 {
		return 1
	}
	return 2
}

// layout picks the columns that fit the width and their widths: the
// cursor mark takes 2 cells, columns are gap apart; columns go by their
// drop order until the rest fits, and flexible ones share what is left
// by how wide their cells are.
func (m *Model) layout(t *table, ts *tableState) (cols []int, widths []int) {
	const mark = 2
	gap := m.gap()
	drop := 0
	for _, c := range t.cols {
		drop = max(drop, c.drop)
	}
	for ; ; drop-- {
		cols, widths = cols[:0], widths[:0]
		need := mark
		for i, c := range t.cols {
			if c.drop > 0 && c.drop > drop {
				continue
			}
			cols = append(cols, i)
			w := c.width
			if w == 0 {
				w = max(c.min, len(c.title))
			}
			widths = append(widths, w)
			need += w + gap
		}
		need -= gap
		if need <= m.width || drop == 0 {
			break
		}
	}
	// Share what is left among the flexible columns, up to their widest
	// cell on screen: the narrowest wants are met first, the rest split
	// what remains evenly.
	used := mark - gap
	for _, w := range widths {
		used += w + gap
	}
	left := m.width - used
	end := min(ts.offset+m.tableHeight(), len(ts.rows))
	wants := make(map[int]int) // by position in cols
	for k, ci := range cols {
		c := t.cols[ci]
		if c.width != 0 {
			continue
		}
		want := len(c.title)
		for _, i := range ts.rows[ts.offset:end] {
			want = max(want, ansi.StringWidth(c.cell(m, i)))
		}
		if want > widths[k] {
			wants[k] = want
		}
	}
	for left > 0 && len(wants) > 0 {
		share := max(left/len(wants), 1)
		met := false
		for k, want := range wants {
			if want-widths[k] <= share {
				left -= want - widths[k]
				widths[k] = want
				delete(wants, k)
				met = true
			}
		}
		if met {
			continue
		}
		for k := range cols {
			if _, ok := wants[k]; ok && left > 0 {
				grow := min(share, left)
				widths[k] += grow
				left -= grow
			}
		}
		break
	}
	return cols, widths
}

func (m *Model) tableBody(t *table, ts *tableState) []string {
	cols, widths := m.layout(t, ts)
	var head strings.Builder
	head.WriteString("  ")
	sep := strings.Repeat(" ", m.gap())
	for k, ci := range cols {
		if k > 0 {
			head.WriteString(sep)
		}
		c := t.cols[ci]
		title := c.title
		if ci == ts.sortCol {
			if ts.sortDesc {
				title += "▼"
			} else {
				title += "▲"
			}
		}
		head.WriteString(fit(title, widths[k], c.right))
	}
	out := []string{m.st.header.Render(head.String())}
	if len(ts.rows) == 0 {
		return append(out, "", "  "+m.st.dim.Render(m.emptyText()))
	}
	end := min(ts.offset+m.tableHeight(), len(ts.rows))
	for pos := ts.offset; pos < end; pos++ {
		i := ts.rows[pos]
		verdict := t.decision(m.doc, i).Verdict
		cells := make([]string, len(cols))
		for k, ci := range cols {
			c := t.cols[ci]
			cells[k] = fitCut(c.cell(m, i), widths[k], c.right, c.keepEnd)
			if c.title == "VERDICT" {
				if st, ok := m.st.verdict[verdict]; ok && pos != ts.cursor {
					cells[k] = st.Render(cells[k])
				}
			}
		}
		row := strings.Join(cells, sep)
		if pos == ts.cursor {
			out = append(out, m.st.selected.Render("› "+row))
		} else {
			out = append(out, "  "+row)
		}
	}
	return out
}

// emptyText says why a table shows nothing.
func (m *Model) emptyText() string {
	if m.filter.Value() != "" || m.verdict != 0 {
		return "nothing matches the filter (esc clears it)"
	}
	return "none on this host"
}

// detailLine says more about the selected row: the rule and its reason.
func (m *Model) detailLine() string {
	if m.overlay != overlayNone || m.doc == nil {
		return ""
	}
	t := tables[m.pane]
	if t == nil {
		return ""
	}
	ts := &m.tabs[m.pane]
	if len(ts.rows) == 0 {
		return ""
	}
	i := ts.rows[ts.cursor]
	if m.pane == paneRules {
		r := m.doc.Rules[i]
		if r.Kind == "protect" || r.Kind == "builtin" {
			return m.st.dim.Render(fmt.Sprintf(" %s keeps %s from the rules that claimed them", r.Rule, render.Plural(r.Protected, "object", "objects")))
		}
		return m.st.dim.Render(fmt.Sprintf(" %s claimed %d, %d due (%s), %d also matched by later rules (enter lists them)",
			r.Rule, r.Claimed, r.Due, size(r.BytesDue), len(r.Overlaps)))
	}
	d := t.decision(m.doc, i)
	text := " " + d.Verdict
	if d.Rule != "" {
		text += " by " + d.Rule
	}
	return m.st.dim.Render(text + ": " + d.Reason)
}

// statusLine totals the plan, or shows a notice, the filter being typed,
// or the progress of a run; then the main keys.
func (m *Model) statusLine() string {
	keysHelp := "?:help  x:run  q:quit "
	switch m.overlay {
	case overlayConfirm:
		keysHelp = "y:remove  n/esc:cancel "
	case overlayHelp, overlayExplain:
		keysHelp = "↑↓:scroll  esc:back "
	}
	var left string
	switch {
	case m.filtering:
		left = " " + m.filter.View()
	case m.running && m.progress[1] > 0:
		left = fmt.Sprintf(" removing: %d of %d done", m.progress[0], m.progress[1])
	case m.notice != "":
		left = " " + m.notice
		if m.noticeErr {
			left = m.st.err.Render(left)
		}
	case !m.live && m.down != nil:
		left = m.st.err.Render(" daemon unreachable: " + m.down.Error())
	case m.doc != nil:
		left = " " + m.summary()
	}
	return m.spread(left, keysHelp)
}

// summary totals the plan and names the filters in force.
func (m *Model) summary() string {
	s := m.doc.Summary
	text := "nothing due"
	if s.Actions > 0 {
		text = fmt.Sprintf("%d due, %s reclaimable", s.Actions, policy.HumanSize(s.ReclaimableBytes))
	}
	if n := len(m.doc.Warnings); n > 0 {
		text += " · " + render.Plural(n, "warning", "warnings")
	}
	if f := m.filter.Value(); f != "" {
		text += " · filter " + f
	}
	if v := verdictFilters[m.verdict]; v != "" {
		text += " · " + v + " only"
	}
	if t := tables[m.pane]; t != nil {
		ts := &m.tabs[m.pane]
		if n := t.rows(m.doc); len(ts.rows) != n {
			text += fmt.Sprintf(" · %d of %d shown", len(ts.rows), n)
		}
	}
	return text
}

// keyValues lays out label/value lines.
func keyValues(pairs [][2]string) []string {
	w := 0
	for _, p := range pairs {
		w = max(w, len(p[0]))
	}
	out := make([]string, 0, len(pairs))
	for _, p := range pairs {
		if p[1] == "" {
			out = append(out, "")
			continue
		}
		out = append(out, "  "+fit(p[0], w, false)+"  "+p[1])
	}
	return out
}

func (m *Model) buildCacheBody() []string {
	bc := m.doc.BuildCache
	pairs := [][2]string{
		{"RECORDS", fmt.Sprintf("%d (%d in use)", bc.Records, bc.InUse)},
		{"SIZE", size(bc.Bytes)},
		{"LAST USED", when(bc.LastUsed, m.now)},
		{"RULE", dash(bc.Rule)},
		{"VERDICT", bc.Verdict},
		{"REASON", bc.Reason},
	}
	if bc.Verdict == policy.ActionPrune {
		pairs = append(pairs, [2]string{"RECLAIMABLE", size(bc.Reclaimable)})
	}
	out := []string{""}
	out = append(out, keyValues(pairs)...)
	return append(out, "", m.st.dim.Render("  No event announces build cache changes: r reads it again (so does every 10th minute)."))
}

func (m *Model) watcherBody() []string {
	w := m.doc.Watcher
	real := m.clock()
	var pairs [][2]string
	switch {
	case !w.Running:
		pairs = append(pairs, [2]string{"WATCHER", "not running: no docker shaper watch holds watch.lock for this daemon"})
	case w.Holder == nil:
		pairs = append(pairs, [2]string{"WATCHER", "running (it has not said which process it is)"})
	default:
		h := w.Holder
		pairs = append(pairs,
			[2]string{"WATCHER", fmt.Sprintf("running: pid %d on %s, since %s", h.PID, dash(h.Host), when(h.Since, real))},
			[2]string{"INTERVAL", dash(h.Interval)},
			[2]string{"LAST RUN", lastRun(h.LastEnforcement, h.LastOutcome, real)},
			[2]string{"NEXT RUN", nextRun(h.NextEnforcement, real)},
		)
	}
	pairs = append(pairs,
		[2]string{"STATE", w.StateFile},
		[2]string{"", fmt.Sprintf("%d images recorded, horizon %s", w.StateImages, when(w.Horizon, real))},
		[2]string{"JOURNAL", w.JournalFile},
	)
	out := []string{""}
	out = append(out, keyValues(pairs)...)
	out = append(out, "")
	if len(w.Journal) == 0 {
		return append(out, m.st.dim.Render("  The journal is empty: nothing was removed from this daemon yet."))
	}
	out = append(out, m.st.header.Render(fmt.Sprintf("  LAST %d REMOVALS", len(w.Journal))))
	rows := make([][]string, 0, len(w.Journal))
	for i := len(w.Journal) - 1; i >= 0; i-- {
		e := w.Journal[i]
		object := e.Ref
		if object == "" {
			object = e.Name
		}
		if object == "" {
			object = policy.ShortID(e.ID)
		}
		rows = append(rows, []string{clockTime(e.Time), e.Command, e.Outcome, e.Kind, dash(object), e.Rule, size(e.Bytes)})
	}
	return append(out, columns([]string{"TIME", "BY", "OUTCOME", "KIND", "OBJECT", "RULE", "BYTES"}, rows, "  ")...)
}

func lastRun(t time.Time, outcome string, now time.Time) string {
	if t.IsZero() {
		return "none yet"
	}
	return when(t, now) + ": " + dash(outcome)
}

func nextRun(t time.Time, now time.Time) string {
	switch {
	case t.IsZero():
		return "not known (a watcher of an earlier version)"
	case !t.After(now):
		return "now (or as soon as the daemon answers)"
	}
	return clockTime(t) + " (in " + countdown(t, now) + ")"
}

// columns lays out rows under headers, two spaces apart.
func columns(headers []string, rows [][]string, indent string) []string {
	widths := make([]int, len(headers))
	for i, h := range headers {
		widths[i] = len(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	line := func(cells []string) string {
		parts := make([]string, len(cells))
		for i, c := range cells {
			parts[i] = fit(c, widths[i], false)
		}
		return strings.TrimRight(indent+strings.Join(parts, "  "), " ")
	}
	out := []string{line(headers)}
	for _, r := range rows {
		out = append(out, line(r))
	}
	return out
}

// helpText lists the keys.
func (m *Model) helpText() string {
	var rows [][]string
	for _, b := range keys.helpOrder() {
		h := b.Help()
		rows = append(rows, []string{h.Key, h.Desc})
	}
	out := columns([]string{"KEY", "WHAT IT DOES"}, rows, "  ")
	out = append(out, "",
		"  Verdicts: remove and untag are due now (EXPIRES says due); keep is kept by its rule (by rank, or",
		"  until it is old enough: EXPIRES counts down); protected is kept by a protection; unclaimed by no",
		"  rule at all. AGE is measured on the basis the rule uses (≥: since docker-shaper first looked).")
	return strings.Join(out, "\n")
}

// confirmText shows exactly what running the plan removes: the plan made
// under the removal lock, as prune shows it.
func (m *Model) confirmText(plan policy.Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "This plan was made just now, under the removal lock; it is what prune would remove:\n\n")
	if err := render.Plan(&b, plan, render.FormatTable); err != nil {
		fmt.Fprintf(&b, "(cannot show the plan: %v)\n", err)
	}
	fmt.Fprintf(&b, "\nRemove %s, reclaiming %s? y removes them, n or esc cancels.", render.WhatGoes(plan), policy.HumanSize(plan.Summary.ReclaimableBytes))
	return b.String()
}

// ruleText is what the view says about one rule.
func ruleText(r policy.RuleStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s (%s)\n\n  claimed %d, due %d (%s)", r.Rule, r.Kind, r.Claimed, r.Due, size(r.BytesDue))
	if r.Protected > 0 {
		fmt.Fprintf(&b, ", kept %d from the rules that claimed them", r.Protected)
	}
	b.WriteString("\n\n")
	if len(r.Overlaps) == 0 {
		b.WriteString("  No later rule matches what it claims.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "  %d of the objects it claims are matched by later rules too, which never see them:\n\n", len(r.Overlaps))
	rows := make([][]string, 0, len(r.Overlaps))
	for _, o := range r.Overlaps {
		rows = append(rows, []string{o.Object, strings.Join(o.Also, ", ")})
	}
	b.WriteString(strings.Join(columns([]string{"OBJECT", "ALSO MATCHED BY"}, rows, "  "), "\n"))
	return b.String()
}

// explanationText is explain's output for an object.
func explanationText(ex policy.Explanation, now time.Time) string {
	var b strings.Builder
	if len(ex.Objects) == 0 {
		return "  The object is gone."
	}
	if err := render.Explanation(&b, ex, now); err != nil {
		return err.Error()
	}
	return b.String()
}
