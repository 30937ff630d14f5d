package status

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/policy"
)

// Model is the live view, a bubbletea program. It is handed Documents
// (by the feed, or a test) and never calls the daemon itself; running the
// plan goes through the enforce function it is given.
type Model struct {
	st     styles
	clock  clock.Clock
	nowAt  func(time.Time) time.Time
	ctl    controller
	run    enforceFunc
	ctx    context.Context
	inbox  chan any // from the feed and the enforcement
	noTick bool     // tests tick themselves

	doc    *Document
	policy *policy.Policy
	snap   policy.Snapshot
	usage  map[string]Usage
	live   bool
	down   error // why the feed lost the daemon
	// whatIf is set when plans are made for another time than the clock's
	// (--now).
	whatIf bool

	width, height int
	now           time.Time
	pane          paneID
	tabs          [numPanes]tableState

	filter    textinput.Model
	filtering bool
	verdict   int // index in verdictFilters

	overlay  overlay
	vp       viewport.Model
	vpTitle  string
	confirm  *confirmMsg
	running  bool
	progress [2]int // done, total

	notice    string
	noticeErr bool
	noticeEnd time.Time

	quitting bool
}

// controller is the feed, as the program asks things of it.
type controller interface {
	requestRefresh()
	requestUsage(ids []string)
}

// enforceFunc runs the plan (see Options.Enforce).
type enforceFunc func(ctx context.Context, approve func(policy.Plan) error, progress apply.Progress) (*apply.Report, error)

// overlay is what covers the panes.
type overlay int

const (
	overlayNone overlay = iota
	overlayHelp
	overlayExplain
	overlayConfirm
)

// tableState is a table pane's place: what is shown (filtered, sorted:
// indices into the Document's list), the selection and the scroll.
type tableState struct {
	rows     []int
	cursor   int
	offset   int
	sortCol  int // -1: the Document's order
	sortDesc bool
	selected string // the key of the selected row
}

// verdictFilters are what v cycles through.
var verdictFilters = []string{"", "due", policy.VerdictKeep, policy.VerdictProtected, policy.VerdictUnclaimed}

// Messages of the program itself.
type (
	tickMsg time.Time
	// confirmMsg asks whether to carry out plan: the enforcement waits
	// for the answer on reply.
	confirmMsg struct {
		plan  policy.Plan
		reply chan bool
	}
	progressMsg [2]int
	// appliedMsg is the end of an enforcement.
	appliedMsg struct {
		report *apply.Report
		err    error
	}
)

// errDeclined is the answer no to the confirmation.
var errDeclined = errors.New("not run: nothing was removed")

// modelConfig is what a Model is made with.
type modelConfig struct {
	renderer *lipgloss.Renderer
	clock    clock.Clock
	nowAt    func(time.Time) time.Time
	ctl      controller
	enforce  enforceFunc
	ctx      context.Context
	inbox    chan any
	noTick   bool
}

func newModel(cfg modelConfig) *Model {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "text to filter by"
	ti.CharLimit = 200
	m := &Model{
		st: newStyles(cfg.renderer), clock: cfg.clock, nowAt: cfg.nowAt, ctl: cfg.ctl, run: cfg.enforce,
		ctx: cfg.ctx, inbox: cfg.inbox, noTick: cfg.noTick,
		usage: map[string]Usage{}, live: true, width: 80, height: 24, filter: ti,
	}
	if m.ctx == nil {
		m.ctx = context.Background()
	}
	for i := range m.tabs {
		m.tabs[i].sortCol = -1
	}
	t := m.clock()
	m.now = m.nowAt(t)
	m.whatIf = !m.now.Equal(t)
	return m
}

// Init starts listening to the feed and the clock.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.listen(), m.tick())
}

func (m *Model) listen() tea.Cmd {
	if m.inbox == nil {
		return nil
	}
	return func() tea.Msg {
		select {
		case msg := <-m.inbox:
			return msg
		case <-m.ctx.Done():
			return nil
		}
	}
}

// tick wakes the view every second: ages and countdowns move on.
func (m *Model) tick() tea.Cmd {
	if m.noTick {
		return nil
	}
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.vp.Width, m.vp.Height = m.width, m.bodyHeight()
		m.scrollToCursor()
		m.requestUsage()
		return m, nil
	case tickMsg:
		m.now = m.nowAt(m.clock())
		if !m.noticeEnd.IsZero() && !m.clock().Before(m.noticeEnd) {
			m.notice, m.noticeEnd = "", time.Time{}
		}
		return m, m.tick()
	case dataMsg:
		m.setData(msg)
		return m, m.listen()
	case usageMsg:
		m.usage = msg
		return m, m.listen()
	case watcherMsg:
		if m.doc != nil {
			m.doc.Watcher = Watcher(msg)
		}
		return m, m.listen()
	case connMsg:
		m.live, m.down = msg.live, msg.err
		if msg.live {
			m.say("following the daemon's events again", false)
		}
		return m, m.listen()
	case noticeMsg:
		m.say(msg.text, msg.err)
		return m, m.listen()
	case confirmMsg:
		m.confirm = &msg
		m.openOverlay(overlayConfirm, "RUN THE PLAN", m.confirmText(msg.plan))
		return m, m.listen()
	case progressMsg:
		m.progress = msg
		return m, m.listen()
	case appliedMsg:
		m.running = false
		m.say(appliedText(msg), msg.err != nil && !errors.Is(msg.err, errDeclined))
		return m, nil
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

// say shows a notice in the status line for a few seconds.
func (m *Model) say(text string, isErr bool) {
	m.notice, m.noticeErr = text, isErr
	m.noticeEnd = m.clock().Add(8 * time.Second)
}

// setData takes a new Document; every table keeps its selected object.
func (m *Model) setData(msg dataMsg) {
	m.doc, m.policy, m.snap = msg.doc, msg.policy, msg.snap
	m.now = m.nowAt(m.clock())
	for p := range numPanes {
		m.layoutRows(p)
	}
	m.requestUsage()
}

// key handles a key: the filter being typed takes it first, then the
// overlay, then the panes.
func (m *Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	// Keys typed faster than the terminal is read arrive as one message
	// ("1v"): outside the filter, each is a key of its own.
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !m.filtering && !msg.Paste {
		var cmds []tea.Cmd
		for _, r := range msg.Runes {
			_, cmd := m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
			cmds = append(cmds, cmd)
		}
		return m, tea.Sequence(cmds...)
	}
	if m.filtering {
		switch msg.String() {
		case "enter":
			m.filtering = false
			m.filter.Blur()
		case "esc":
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
		default:
			var cmd tea.Cmd
			m.filter, cmd = m.filter.Update(msg)
			m.layoutRows(m.pane)
			return m, cmd
		}
		m.layoutRows(m.pane)
		return m, nil
	}
	switch m.overlay {
	case overlayConfirm:
		switch {
		case key.Matches(msg, keys.Yes):
			m.answer(true)
		case key.Matches(msg, keys.No):
			m.answer(false)
		default:
			var cmd tea.Cmd
			m.vp, cmd = m.vp.Update(msg)
			return m, cmd
		}
		return m, nil
	case overlayHelp, overlayExplain:
		switch {
		case key.Matches(msg, keys.Clear), key.Matches(msg, keys.Quit), key.Matches(msg, keys.Help), key.Matches(msg, keys.Explain):
			m.overlay = overlayNone
			return m, nil
		}
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	}

	switch {
	case key.Matches(msg, keys.Quit):
		m.quitting = true
		return m, tea.Quit
	case key.Matches(msg, keys.Help):
		m.openOverlay(overlayHelp, "KEYS", m.helpText())
	case key.Matches(msg, keys.NextPane):
		m.setPane((m.pane + 1) % numPanes)
	case key.Matches(msg, keys.PrevPane):
		m.setPane((m.pane + numPanes - 1) % numPanes)
	case key.Matches(msg, keys.Pane):
		m.setPane(paneID(msg.String()[0] - '1'))
	case key.Matches(msg, keys.Up):
		m.move(-1)
	case key.Matches(msg, keys.Down):
		m.move(1)
	case key.Matches(msg, keys.PageUp):
		m.move(-m.tableHeight())
	case key.Matches(msg, keys.PageDown):
		m.move(m.tableHeight())
	case key.Matches(msg, keys.Top):
		m.move(-1 << 30)
	case key.Matches(msg, keys.Bottom):
		m.move(1 << 30)
	case key.Matches(msg, keys.Sort):
		if t := tables[m.pane]; t != nil {
			ts := &m.tabs[m.pane]
			ts.sortCol++
			if ts.sortCol >= len(t.cols) {
				ts.sortCol = -1
			}
			ts.sortDesc = false
			m.layoutRows(m.pane)
		}
	case key.Matches(msg, keys.Reverse):
		if tables[m.pane] != nil {
			m.tabs[m.pane].sortDesc = !m.tabs[m.pane].sortDesc
			m.layoutRows(m.pane)
		}
	case key.Matches(msg, keys.Filter):
		m.filtering = true
		return m, m.filter.Focus()
	case key.Matches(msg, keys.Verdict):
		m.verdict = (m.verdict + 1) % len(verdictFilters)
		for p := range numPanes {
			m.layoutRows(p)
		}
	case key.Matches(msg, keys.Clear):
		m.filter.SetValue("")
		m.verdict = 0
		for p := range numPanes {
			m.layoutRows(p)
		}
	case key.Matches(msg, keys.Explain):
		m.explainSelected()
	case key.Matches(msg, keys.Refresh):
		if m.ctl != nil {
			m.ctl.requestRefresh()
			m.say("taking a full snapshot…", false)
		}
	case key.Matches(msg, keys.Run):
		return m, m.startRun()
	}
	m.requestUsage()
	return m, nil
}

func (m *Model) setPane(p paneID) {
	if p >= 0 && p < numPanes {
		m.pane = p
	}
}

// move moves the selection by n rows, within the table.
func (m *Model) move(n int) {
	ts := &m.tabs[m.pane]
	if len(ts.rows) == 0 {
		return
	}
	ts.cursor = min(max(ts.cursor+n, 0), len(ts.rows)-1)
	ts.selected = tables[m.pane].key(m.doc, ts.rows[ts.cursor])
	m.scrollToCursor()
}

// scrollToCursor scrolls the table so that its selection is shown.
func (m *Model) scrollToCursor() {
	ts := &m.tabs[m.pane]
	h := max(m.tableHeight(), 1)
	if ts.cursor < ts.offset {
		ts.offset = ts.cursor
	}
	if ts.cursor >= ts.offset+h {
		ts.offset = ts.cursor - h + 1
	}
	ts.offset = max(min(ts.offset, len(ts.rows)-h), 0)
}

// layoutRows filters and sorts a table pane's rows, keeping the
// selection on its object (or near where it was, when it is gone).
func (m *Model) layoutRows(p paneID) {
	t := tables[p]
	if t == nil || m.doc == nil {
		return
	}
	ts := &m.tabs[p]
	text := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	want := verdictFilters[m.verdict]
	ts.rows = ts.rows[:0]
	for i := range t.rows(m.doc) {
		if text != "" && !strings.Contains(strings.ToLower(t.text(m.doc, i)), text) {
			continue
		}
		if want != "" && !verdictIs(t.decision(m.doc, i).Verdict, want) {
			continue
		}
		ts.rows = append(ts.rows, i)
	}
	if ts.sortCol >= 0 && ts.sortCol < len(t.cols) {
		c := t.cols[ts.sortCol]
		slices.SortStableFunc(ts.rows, func(a, b int) int {
			if ts.sortDesc {
				return c.compare(m, b, a)
			}
			return c.compare(m, a, b)
		})
	} else if ts.sortDesc {
		slices.Reverse(ts.rows)
	}
	ts.cursor = min(ts.cursor, max(len(ts.rows)-1, 0))
	for pos, i := range ts.rows {
		if t.key(m.doc, i) == ts.selected {
			ts.cursor = pos
			break
		}
	}
	if len(ts.rows) > 0 {
		ts.selected = t.key(m.doc, ts.rows[ts.cursor])
	}
	if p == m.pane {
		m.scrollToCursor()
	}
}

// verdictIs says whether a verdict passes the verdict filter.
func verdictIs(verdict, want string) bool {
	if want == "due" {
		return verdict == policy.VerdictRemove || verdict == policy.VerdictUntag || verdict == policy.ActionPrune
	}
	return verdict == want
}

// requestUsage tells the feed which running containers are on screen:
// their resource use is sampled, and only theirs.
func (m *Model) requestUsage() {
	if m.ctl == nil {
		return
	}
	var ids []string
	if m.pane == paneContainers && m.doc != nil && m.overlay == overlayNone {
		ts := &m.tabs[paneContainers]
		end := min(ts.offset+m.tableHeight(), len(ts.rows))
		for _, i := range ts.rows[min(ts.offset, end):end] {
			if c := &m.doc.Containers[i]; c.State == policy.StateRunning {
				ids = append(ids, c.ID)
			}
		}
	}
	m.ctl.requestUsage(ids)
}

// openOverlay covers the panes with a scrollable text.
func (m *Model) openOverlay(o overlay, title, text string) {
	m.overlay, m.vpTitle = o, title
	m.vp = viewport.New(m.width, m.bodyHeight())
	m.vp.SetContent(ansi.Wrap(text, max(m.width-1, 10), ""))
	m.requestUsage()
}

// explainSelected shows what explain says about the selected object.
func (m *Model) explainSelected() {
	if m.doc == nil {
		return
	}
	if m.pane == paneRules {
		if ts := &m.tabs[paneRules]; len(ts.rows) > 0 {
			r := m.doc.Rules[ts.rows[ts.cursor]]
			m.openOverlay(overlayExplain, "RULE "+r.Rule, ruleText(r))
		}
		return
	}
	t := tables[m.pane]
	if t == nil || t.explain == nil || m.policy == nil {
		return
	}
	ts := &m.tabs[m.pane]
	if len(ts.rows) == 0 {
		return
	}
	q := t.explain(m.doc, ts.rows[ts.cursor])
	ex := policy.Explain(m.policy, m.doc.Plan, m.snap, q)
	m.openOverlay(overlayExplain, "EXPLAIN "+q, explanationText(ex, m.doc.Now))
}

// startRun runs the plan through the enforce function: it asks (see
// confirmMsg) before removing anything.
func (m *Model) startRun() tea.Cmd {
	switch {
	case m.run == nil:
		m.say("the view is for another time (--now): run docker shaper prune to act now", true)
		return nil
	case m.running:
		return nil
	case m.doc != nil && len(m.doc.Actions) == 0:
		m.say("nothing to do: no object is due for removal", false)
		return nil
	}
	m.running, m.progress = true, [2]int{}
	m.say("planning under the removal lock…", false)
	inbox, ctx, run := m.inbox, m.ctx, m.run
	send := func(msg any) {
		select {
		case inbox <- msg:
		case <-ctx.Done():
		}
	}
	return func() tea.Msg {
		report, err := run(ctx, func(plan policy.Plan) error {
			reply := make(chan bool, 1)
			send(confirmMsg{plan: plan, reply: reply})
			select {
			case ok := <-reply:
				if ok {
					return nil
				}
				return errDeclined
			case <-ctx.Done():
				return errDeclined
			}
		}, &progress{send: send})
		return appliedMsg{report: report, err: err}
	}
}

// answer replies to the confirmation.
func (m *Model) answer(yes bool) {
	if m.confirm != nil {
		m.confirm.reply <- yes
		m.confirm = nil
	}
	m.overlay = overlayNone
	if yes {
		m.say("removing…", false)
	}
}

// progress passes apply's progress to the program.
type progress struct{ send func(any) }

func (p *progress) Start(total int) { p.send(progressMsg{0, total}) }
func (p *progress) Done(_ apply.Result, done, total int) {
	p.send(progressMsg{done, total})
}
func (p *progress) Finish() {}

// appliedText says how an enforcement ended.
func appliedText(msg appliedMsg) string {
	switch {
	case errors.Is(msg.err, errDeclined):
		return "not run: nothing was removed"
	case msg.report == nil && msg.err == nil:
		return "nothing to do: no object is due for removal"
	case msg.report == nil:
		return "not run: " + msg.err.Error()
	}
	s := msg.report.Summary
	text := fmt.Sprintf("done: %d removed, %d untagged, %d skipped, %d failed; %s reclaimed",
		s.Removed, s.Untagged, s.Skipped, s.Failed, policy.HumanSize(s.ReclaimedBytes))
	if msg.err != nil {
		text += "; " + msg.err.Error()
	}
	return text
}
