package policy

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Accepted forms, quoted in every error so the user can fix the value
// without opening the docs.
const (
	durationForms = `a number and a unit, e.g. "90m", "36h", "7d", "2w" or "1d12h" ` +
		`(units: ns, us, ms, s, m, h, d = 24h, w = 7d)`
	sizeForms = `a number and a decimal unit as docker system df prints them, e.g. ` +
		`"500MB", "20GB", "1.5GB" or "0" (units: B, kB, MB, GB, TB, PB; binary KiB, MiB, GiB, TiB, PiB also work)`
)

// durationUnits are the units ParseDuration accepts, in nanoseconds.
var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond,
	"us": time.Microsecond,
	"µs": time.Microsecond, // U+00B5, as time.ParseDuration
	"μs": time.Microsecond, // U+03BC
	"ms": time.Millisecond,
	"s":  time.Second,
	"m":  time.Minute,
	"h":  time.Hour,
	"d":  24 * time.Hour,
	"w":  7 * 24 * time.Hour,
}

// ParseDuration parses Go duration syntax extended with d (24h) and w (7d):
// "90m", "36h", "7d", "2w", "1d12h". Months and years are rejected as
// ambiguous, and so are negative and empty durations. The error says which
// forms are accepted; it is meant for users, flags and policies alike.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration: write %s", durationForms)
	}
	rest := s
	if rest[0] == '+' {
		rest = rest[1:]
	} else if rest[0] == '-' {
		return 0, fmt.Errorf("duration %q is negative: write a positive duration, %s", s, durationForms)
	}
	if rest == "0" {
		return 0, nil
	}
	if rest == "" {
		return 0, fmt.Errorf("invalid duration %q: write %s", s, durationForms)
	}
	var total time.Duration
	for rest != "" {
		// A number: digits with an optional fraction.
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		num := rest[:i]
		if num == "" || num == "." || strings.Count(num, ".") > 1 {
			return 0, fmt.Errorf("invalid duration %q: write %s", s, durationForms)
		}
		rest = rest[i:]
		// A unit: everything up to the next digit.
		j := 0
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		unit := rest[:j]
		rest = rest[j:]
		if unit == "" {
			return 0, fmt.Errorf("invalid duration %q: %q has no unit; write %s", s, num, durationForms)
		}
		if isMonthOrYear(unit) {
			return 0, fmt.Errorf("duration %q: months and years are ambiguous; "+
				"write days or weeks instead, e.g. \"30d\" or \"52w\"", s)
		}
		per, ok := durationUnits[unit]
		if !ok {
			return 0, fmt.Errorf("invalid duration %q: unknown unit %q; write %s", s, unit, durationForms)
		}
		d, err := scaleDuration(num, per)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: %v", s, err)
		}
		if total > math.MaxInt64-d {
			return 0, fmt.Errorf("invalid duration %q: too long (at most about 292 years)", s)
		}
		total += d
	}
	return total, nil
}

// isMonthOrYear reports units people use for months and years: mo, mon,
// month(s), M, y, yr, year(s), in any case but "m" (minutes).
func isMonthOrYear(unit string) bool {
	if unit == "M" {
		return true
	}
	u := strings.ToLower(unit)
	return strings.HasPrefix(u, "mo") || strings.HasPrefix(u, "y")
}

// scaleDuration returns num (a decimal with an optional fraction) times per,
// exactly for whole numbers and to the nanosecond for fractions.
func scaleDuration(num string, per time.Duration) (time.Duration, error) {
	whole, frac, _ := strings.Cut(num, ".")
	var d time.Duration
	if whole != "" {
		w, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || w > math.MaxInt64/int64(per) {
			return 0, errors.New("too long (at most about 292 years)")
		}
		d = time.Duration(w) * per
	}
	if frac != "" {
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return 0, fmt.Errorf("bad number %q", num)
		}
		d += time.Duration(math.Round(f * float64(per)))
	}
	return d, nil
}

// sizeUnits are the units ParseSize accepts, keyed in lower case.
var sizeUnits = map[string]float64{
	"":    1,
	"b":   1,
	"kb":  1e3,
	"mb":  1e6,
	"gb":  1e9,
	"tb":  1e12,
	"pb":  1e15,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
	"pib": 1 << 50,
}

// ParseSize parses a size in decimal units as docker system df prints them:
// "500MB", "20GB", "1.5GB", "0". Binary units (KiB, MiB, …) are accepted
// too. Single-letter units ("500M") are rejected: docker's own flags read
// them as binary, docker system df as decimal. Negative sizes are rejected.
func ParseSize(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty size: write %s", sizeForms)
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("size %q is negative: write %s", s, sizeForms)
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.TrimPrefix(s[i:], " ")
	n, err := strconv.ParseFloat(num, 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	if num == "" || err != nil {
		return 0, fmt.Errorf("invalid size %q: write %s", s, sizeForms)
	}
	per, ok := sizeUnits[strings.ToLower(unit)]
	if !ok {
		if len(unit) == 1 && strings.ContainsAny(unit, "kKmMgGtTpP") {
			return 0, fmt.Errorf("size %q is ambiguous: write %q (decimal, as docker system df prints it) or %q",
				s, num+strings.ToUpper(unit)+"B", num+strings.ToUpper(unit)+"iB")
		}
		return 0, fmt.Errorf("invalid size %q: unknown unit %q; write %s", s, unit, sizeForms)
	}
	v := n * per
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return int64(v), nil
}

// FormatDuration prints a duration compactly for reasons, in days, hours,
// minutes and seconds with zero parts left out: "9d", "3d4h", "1h30m",
// "15m", "45s", "0s". Durations under a second print as Go does ("500ms");
// longer ones drop their fraction of a second.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			d++ // keep -d representable; a nanosecond does not show
		}
		return "-" + FormatDuration(-d)
	}
	if d < time.Second {
		return d.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		per  time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.per; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.name)
			d -= n * u.per
		}
	}
	return b.String()
}
