package commands

import (
	"strings"
	"testing"
	"time"
)

func TestNowFlag(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-29T10:00:00Z", time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)},
		{"2026-11-29T12:00:00+02:00", time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)},
		{"2026-12-01", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"+7d", clock.Add(7 * 24 * time.Hour)},
		{"-2h", clock.Add(-2 * time.Hour)},
		{"+1w", clock.Add(7 * 24 * time.Hour)},
		{"+90m", clock.Add(90 * time.Minute)},
	}
	for _, tt := range tests {
		var v nowValue
		if err := v.Set(tt.in); err != nil {
			t.Errorf("Set(%q): %v", tt.in, err)
			continue
		}
		if got := v.at(clock); !got.Equal(tt.want) {
			t.Errorf("Set(%q).at(clock) = %v, want %v", tt.in, got, tt.want)
		}
		if v.String() != tt.in {
			t.Errorf("String() = %q, want %q", v.String(), tt.in)
		}
	}
}

func TestNowFlagUnsetIsClock(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var v nowValue
	if got := v.at(clock); !got.Equal(clock) {
		t.Errorf("unset at(clock) = %v, want the clock", got)
	}
}

func TestNowFlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "empty time"},
		{"7d", "needs a sign, +7d (later) or -7d (earlier)"},
		{"+3mo", "invalid relative time"},
		{"+", "invalid relative time"},
		{"yesterday", "use an RFC 3339 time"},
		{"2026-13-01", "use an RFC 3339 time"},
		// The zero time is refused, not taken for "unset": it once meant
		// the real clock, silently.
		{"0001-01-01T00:00:00Z", "before 1970"},
		{"0001-01-01", "before 1970"},
	}
	for _, tt := range tests {
		var v nowValue
		err := v.Set(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Set(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}
