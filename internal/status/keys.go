package status

import "github.com/charmbracelet/bubbles/key"

// keyMap is every key the view answers to; help lists them in this order.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	NextPane, PrevPane, Pane                key.Binding
	Sort, Reverse                           key.Binding
	Filter, Verdict, Clear                  key.Binding
	Explain, Run, Refresh, Help, Quit       key.Binding
	Yes, No                                 key.Binding
}

var keys = keyMap{
	Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "move up")),
	Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "move down")),
	PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
	PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", " "), key.WithHelp("pgdn/space", "page down")),
	Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "first row")),
	Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last row")),
	NextPane: key.NewBinding(key.WithKeys("tab", "right", "l"), key.WithHelp("tab/→", "next pane")),
	PrevPane: key.NewBinding(key.WithKeys("shift+tab", "left", "h"), key.WithHelp("shift+tab/←", "previous pane")),
	Pane:     key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7"), key.WithHelp("1-7", "images, containers, volumes, networks, build cache, rules, watcher")),
	Sort:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by the next column (then back to the default order)")),
	Reverse:  key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse the sort")),
	Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter by text (enter keeps it, esc clears it)")),
	Verdict:  key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "filter by verdict: all, due, keep, protected, unclaimed")),
	Clear:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear the filters; close a view")),
	Explain:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "explain the selected object, as docker shaper explain does")),
	Run:      key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "run the plan now, as prune does, after showing what it removes")),
	Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "take a full snapshot and reload the policy")),
	Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "this help")),
	Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	Yes:      key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
	No:       key.NewBinding(key.WithKeys("n", "N", "esc", "q"), key.WithHelp("n/esc", "no")),
}

// helpOrder is the bindings the help view lists.
func (k keyMap) helpOrder() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.NextPane, k.PrevPane, k.Pane,
		k.Sort, k.Reverse, k.Filter, k.Verdict, k.Clear, k.Explain, k.Run, k.Refresh, k.Help, k.Quit}
}
