package plugin

import (
	"fmt"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

// nowValue is the --now flag: the time a plan is made for. It is an RFC 3339
// time ("2026-11-22T10:00:00Z"), a date ("2026-11-22", midnight UTC), or a
// signed duration from the real clock ("+7d", "-2h"). Unset, it is the real
// clock. It implements pflag.Value, so a bad value is a usage error.
type nowValue struct {
	raw      string
	abs      time.Time
	rel      time.Duration
	relative bool
}

func (v *nowValue) String() string { return v.raw }
func (v *nowValue) Type() string   { return "TIME|+DURATION" }

func (v *nowValue) Set(s string) error {
	abs, rel, relative, err := parseNow(s)
	if err != nil {
		return err
	}
	*v = nowValue{raw: s, abs: abs, rel: rel, relative: relative}
	return nil
}

// at returns the time the flag names, given the real clock.
func (v *nowValue) at(clock time.Time) time.Time {
	switch {
	case v.relative:
		return clock.Add(v.rel)
	case !v.abs.IsZero():
		return v.abs
	default:
		return clock
	}
}

// parseNow parses a --now value: an absolute time, or a signed duration.
func parseNow(s string) (abs time.Time, rel time.Duration, relative bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, 0, false, fmt.Errorf("empty time: use an RFC 3339 time (2026-11-22T10:00:00Z), a date (2026-11-22) or +DURATION/-DURATION (+7d, -2h)")
	}
	if s[0] == '+' || s[0] == '-' {
		d, err := policy.ParseDuration(s[1:])
		if err != nil {
			return time.Time{}, 0, false, fmt.Errorf("invalid relative time %q: %w", s, err)
		}
		if s[0] == '-' {
			d = -d
		}
		return time.Time{}, d, true, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, 0, false, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, 0, false, nil
	}
	if _, err := policy.ParseDuration(s); err == nil {
		return time.Time{}, 0, false, fmt.Errorf("invalid time %q: a duration needs a sign, +%s (later) or -%s (earlier)", s, s, s)
	}
	return time.Time{}, 0, false, fmt.Errorf("invalid time %q: use an RFC 3339 time (2026-11-22T10:00:00Z), a date (2026-11-22) or +DURATION/-DURATION (+7d, -2h)", s)
}

// clock reads the real clock: the one place the plugin does. Plans are made
// for a whole second in UTC so they print the way they are stored.
func clock() time.Time {
	return time.Now().UTC().Truncate(time.Second)
}
