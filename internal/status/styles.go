package status

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/docker-shaper/docker-shaper/policy"
)

// styles are the view's colours and emphasis, from one renderer: its
// colour profile follows the terminal, and is plain ASCII (no colour, no
// emphasis) with NO_COLOR set. Nothing depends on colour alone: the
// selected row has a marker, the current pane brackets, verdicts words.
type styles struct {
	title, header, tabActive, tab, selected, dim, warn, err, ok lipgloss.Style
	verdict                                                     map[string]lipgloss.Style
}

func newStyles(r *lipgloss.Renderer) styles {
	s := styles{
		title:     r.NewStyle().Bold(true),
		header:    r.NewStyle().Bold(true).Foreground(lipgloss.Color("12")),
		tabActive: r.NewStyle().Bold(true).Reverse(true),
		tab:       r.NewStyle(),
		selected:  r.NewStyle().Bold(true).Reverse(true),
		dim:       r.NewStyle().Faint(true),
		warn:      r.NewStyle().Foreground(lipgloss.Color("11")),
		err:       r.NewStyle().Foreground(lipgloss.Color("9")).Bold(true),
		ok:        r.NewStyle().Foreground(lipgloss.Color("10")),
	}
	s.verdict = map[string]lipgloss.Style{
		policy.VerdictRemove:    r.NewStyle().Foreground(lipgloss.Color("9")),
		policy.VerdictUntag:     r.NewStyle().Foreground(lipgloss.Color("11")),
		policy.ActionPrune:      r.NewStyle().Foreground(lipgloss.Color("9")),
		policy.VerdictKeep:      r.NewStyle().Foreground(lipgloss.Color("10")),
		policy.VerdictProtected: r.NewStyle().Foreground(lipgloss.Color("14")),
		policy.VerdictUnclaimed: r.NewStyle().Faint(true),
	}
	return s
}
