package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/spf13/pflag"
)

// policyFlag is --policy: the file, and whether it was given at all (an
// empty --policy "" is an error, not the lack of one).
type policyFlag struct {
	path string
	set  bool
}

func (p *policyFlag) String() string { return p.path }
func (p *policyFlag) Type() string   { return "FILE" }

func (p *policyFlag) Set(s string) error {
	p.path, p.set = s, true
	return nil
}

// addPolicyFlag adds --policy to flags.
func addPolicyFlag(flags *pflag.FlagSet, p *policyFlag) {
	flags.Var(p, "policy",
		"Use the policy in this file (default $"+policyfile.Env+", else $DOCKER_CONFIG/shaper/policy.hcl, else the embedded default)")
}

// lookup is where the policy is looked for, with this flag.
func (d deps) lookup(p policyFlag) policyfile.Lookup {
	return policyfile.Lookup{Flag: p.path, FlagSet: p.set, ConfigDir: d.configDir()}
}

// addFormatFlag adds --format to flags, table or json; the value starts as
// table.
func addFormatFlag(flags *pflag.FlagSet, f *render.Format) {
	*f = render.FormatTable
	flags.Var(plainFormat{f}, "format", `Output format: "table" or "json"`)
}

// plainFormat is a --format that takes no template: table or json.
type plainFormat struct{ f *render.Format }

func (p plainFormat) String() string { return p.f.String() }
func (p plainFormat) Type() string   { return "FORMAT" }

func (p plainFormat) Set(s string) error {
	if s != render.FormatTable && s != render.FormatJSON {
		return fmt.Errorf("unknown format %q: use table or json", s)
	}
	return p.f.Set(s)
}

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

// addNowFlag adds --now to flags.
func addNowFlag(flags *pflag.FlagSet, now *nowValue) {
	flags.Var(now, "now", `Plan for this time: RFC 3339, a date, or relative to the clock ("+7d", "-2h") (default the current time)`)
}

const nowForms = "use an RFC 3339 time (2026-11-22T10:00:00Z), a date (2026-11-22) or +DURATION/-DURATION (+7d, -2h)"

// parseNow parses a --now value: an absolute time, or a signed duration.
// The zero time is refused, not taken for "unset".
func parseNow(s string) (abs time.Time, rel time.Duration, relative bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, 0, false, fmt.Errorf("empty time: %s", nowForms)
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
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err == nil {
		if t.Year() < 1970 {
			return time.Time{}, 0, false, fmt.Errorf("invalid time %q: before 1970, no Docker object is that old; %s", s, nowForms)
		}
		return t, 0, false, nil
	}
	if _, err := policy.ParseDuration(s); err == nil {
		return time.Time{}, 0, false, fmt.Errorf("invalid time %q: a duration needs a sign, +%s (later) or -%s (earlier)", s, s, s)
	}
	return time.Time{}, 0, false, fmt.Errorf("invalid time %q: %s", s, nowForms)
}

// durationValue is a flag holding a positive duration written as policies
// write them (Go syntax, plus d and w).
type durationValue time.Duration

func (d *durationValue) String() string { return policy.FormatDuration(time.Duration(*d)) }
func (d *durationValue) Type() string   { return "DURATION" }

func (d *durationValue) Set(s string) error {
	v, err := policy.ParseDuration(s)
	if err != nil {
		return err
	}
	if v <= 0 {
		return fmt.Errorf("%q: the interval must be longer than zero", s)
	}
	*d = durationValue(v)
	return nil
}
