package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/go-units"
)

// Explanation prints each object: a heading, its timestamps, one
// line per decision (per tag for images) with every protection that also
// applies, and the containers that use it with their own fate.
func Explanation(w io.Writer, ex policy.Explanation, now time.Time) error {
	for i, obj := range ex.Objects {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, explainHeading(obj))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, t := range obj.Times {
			note := ""
			if t.LowerBound {
				note = "  at least: when docker-shaper first looked"
			}
			fmt.Fprintf(tw, "  %s\t%s\t(%s)%s\n", t.Name, t.Time.UTC().Format(time.RFC3339), relative(t.Time, now), note)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		if obj.Kind == policy.KindImage {
			fmt.Fprintln(tw, "  TAG\tVERDICT\tRULE\tREASON")
		} else {
			fmt.Fprintln(tw, "  \tVERDICT\tRULE\tREASON")
		}
		for _, d := range obj.Decisions {
			ref := d.Ref
			if obj.Kind == policy.KindImage && ref == "" {
				ref = "<none>"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", ref, d.Verdict, dash(d.Rule), d.Reason)
			if line := decisionDetail(d, now); line != "" {
				fmt.Fprintf(tw, "  \t\t\t%s\n", line)
			}
			for _, p := range d.Protections {
				if p.Rule == d.Rule && d.Verdict == policy.VerdictProtected {
					continue // the one the plan gives, shown above
				}
				fmt.Fprintf(tw, "  \t\t\talso kept: %s (%s)\n", p.Reason, p.Rule)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(obj.Users) > 0 {
			fmt.Fprintln(w, "  used by:")
			tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "    CONTAINER\tSTATE\tVERDICT\tRULE\tREASON")
			for _, u := range obj.Users {
				fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\n", u.Name, u.State, u.Decision.Verdict, dash(u.Decision.Rule), u.Decision.Reason)
				if !u.Decision.ExpiresAt.IsZero() {
					fmt.Fprintf(tw, "    \t\t\t\tremovable from %s (%s)\n",
						u.Decision.ExpiresAt.UTC().Format(time.RFC3339), relative(u.Decision.ExpiresAt, now))
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func explainHeading(obj policy.ExplainedObject) string {
	switch obj.Kind {
	case policy.KindImage:
		return "IMAGE " + policy.ShortID(obj.ID)
	case policy.KindVolume:
		return "VOLUME " + obj.Name
	default:
		return strings.ToUpper(obj.Kind) + " " + obj.Name + " " + policy.ShortID(obj.ID)
	}
}

// decisionDetail says which time decided and, for an object kept only for
// being young, from when the plan would remove it.
func decisionDetail(d policy.Decision, now time.Time) string {
	var parts []string
	if !d.Timestamp.IsZero() && d.Basis != "" {
		parts = append(parts, fmt.Sprintf("basis %s: %s", d.Basis, d.Timestamp.UTC().Format(time.RFC3339)))
	}
	if d.Rank > 0 {
		parts = append(parts, fmt.Sprintf("keep rank %d", d.Rank))
	}
	if !d.ExpiresAt.IsZero() {
		parts = append(parts, fmt.Sprintf("removable from %s (%s) if nothing else changes",
			d.ExpiresAt.UTC().Format(time.RFC3339), relative(d.ExpiresAt, now)))
	}
	return strings.Join(parts, "; ")
}

// relative prints t against now: "3 days ago", "in 5 days".
func relative(t, now time.Time) string {
	if t.After(now) {
		return "in " + units.HumanDuration(t.Sub(now))
	}
	return units.HumanDuration(now.Sub(t)) + " ago"
}
