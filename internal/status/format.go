package status

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/docker-shaper/docker-shaper/policy"
)

// How the view writes values: short, so that a row fits 80 columns.

// age is how long ago t was, in one unit: "45s", "12m", "5h", "3d"; "≥"
// before it when the age is a lower bound; "-" for an unknown time.
func age(t, now time.Time, lowerBound bool) string {
	if t.IsZero() {
		return "-"
	}
	s := shortDuration(now.Sub(t))
	if lowerBound {
		return "≥" + s
	}
	return s
}

// shortDuration is a duration in its largest unit: "45s", "12m", "5h",
// "3d" ("0s" for nothing or less).
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// countdown is the time left until t, in its two largest units: "2d4h",
// "4h12m", "12m30s", "45s"; "now" once it has come.
func countdown(t, now time.Time) string {
	d := t.Sub(now).Truncate(time.Second)
	switch {
	case d <= 0:
		return "now"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// expires says when a decision removes its object: "due" for what the
// plan removes now, the time left for what is kept only for being too
// young, "-" for what stays whatever the time.
func expires(d policy.Decision, now time.Time) string {
	switch d.Verdict {
	case policy.VerdictRemove, policy.VerdictUntag, policy.ActionPrune:
		return "due"
	}
	if d.ExpiresAt.IsZero() {
		return "-"
	}
	return countdown(d.ExpiresAt, now)
}

// size is a byte count as docker prints it; "-" when unknown (negative).
func size(n int64) string {
	if n < 0 {
		return "-"
	}
	return policy.HumanSize(n)
}

// clockTime is a time as the view prints it, in UTC to the second.
func clockTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// when is a time with how long ago, or in how long, it is.
func when(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	if t.After(now) {
		return clockTime(t) + " (in " + countdown(t, now) + ")"
	}
	return clockTime(t) + " (" + shortDuration(now.Sub(t)) + " ago)"
}

// dash is s, or "-" when empty.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fit pads or cuts s (plain text) to exactly width cells; a cut ends in
// "…". Right-aligned when right.
func fit(s string, width int, right bool) string {
	return fitCut(s, width, right, false)
}

// fitCut is fit, cutting the start of s rather than its end when
// keepEnd: a repository's last segments tell it from its neighbours.
func fitCut(s string, width int, right, keepEnd bool) string {
	if width <= 0 {
		return ""
	}
	w := ansi.StringWidth(s)
	if w > width && keepEnd {
		return "…" + ansi.TruncateLeft(s, w-width+1, "")
	}
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	pad := strings.Repeat(" ", width-w)
	if right {
		return pad + s
	}
	return s + pad
}
