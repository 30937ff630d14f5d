package policy

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"0s", 0},
		{"45s", 45 * time.Second},
		{"90m", 90 * time.Minute},
		{"36h", 36 * time.Hour},
		{"7d", 7 * day},
		{"2w", 14 * day},
		{"1d12h", 36 * time.Hour},
		{"1w2d3h4m5s", 9*day + 3*time.Hour + 4*time.Minute + 5*time.Second},
		{"1.5h", 90 * time.Minute},
		{"0.5d", 12 * time.Hour},
		{"1.5w", 10*day + 12*time.Hour},
		{"500ms", 500 * time.Millisecond},
		{"10us", 10 * time.Microsecond},
		{"10µs", 10 * time.Microsecond},
		{"3ns", 3},
		{"+6h", 6 * time.Hour},
		{"100000d", 100000 * day},
	} {
		got, err := ParseDuration(tt.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want string // in the error
	}{
		{"", "empty duration"},
		{"-1h", "negative"},
		{"-0s", "negative"},
		{"7", `"7" has no unit`},
		{"7x", `unknown unit "x"`},
		{"7D", `unknown unit "D"`},
		{"7 d", `unknown unit " d"`},
		{"1mo", "months and years are ambiguous"},
		{"1month", "months and years are ambiguous"},
		{"1M", "months and years are ambiguous"},
		{"1y", "months and years are ambiguous"},
		{"2years", "months and years are ambiguous"},
		{"1d1y", "months and years are ambiguous"},
		{"d", "invalid duration"},
		{".h", "invalid duration"},
		{"1.2.3h", "invalid duration"},
		{"+", "invalid duration"},
		{"1000000w", "too long"},
		{"200000d200000d", "too long"},
	} {
		_, err := ParseDuration(tt.in)
		if err == nil {
			t.Errorf("ParseDuration(%q) succeeded, want an error", tt.in)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDuration(%q) error %q does not say %q", tt.in, err, tt.want)
		}
	}
	// Every error but the ambiguity one lists the accepted forms.
	_, err := ParseDuration("7x")
	for _, form := range []string{`"90m"`, `"7d"`, `"2w"`, "d = 24h", "w = 7d"} {
		if !strings.Contains(err.Error(), form) {
			t.Errorf("error %q does not list %s", err, form)
		}
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"0B", 0},
		{"512", 512},
		{"512B", 512},
		{"1kB", 1000},
		{"1KB", 1000},
		{"500MB", 500_000_000},
		{"500mb", 500_000_000},
		{"20GB", 20_000_000_000},
		{"1.5GB", 1_500_000_000},
		{"2TB", 2_000_000_000_000},
		{"1PB", 1_000_000_000_000_000},
		{"10 GB", 10_000_000_000},
		{"1KiB", 1024},
		{"1MiB", 1 << 20},
		{"1.5GiB", 3 << 29},
		{"1TiB", 1 << 40},
	} {
		got, err := ParseSize(tt.in)
		if err != nil {
			t.Errorf("ParseSize(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want string
	}{
		{"", "empty size"},
		{"-1GB", "negative"},
		{"GB", "invalid size"},
		{"1.2.3GB", "invalid size"},
		{"20G", `write "20GB"`},
		{"500m", `write "500MB"`},
		{"500M", `or "500MiB"`},
		{"5XB", `unknown unit "XB"`},
		{"2" + strings.Repeat("0", 400) + "GB", "too large"}, // found by FuzzParseSize: beyond float64
		{"5  GB", `unknown unit " GB"`},
		{"1e9", `unknown unit "e9"`},
		{"10000PB", "too large"},
	} {
		_, err := ParseSize(tt.in)
		if err == nil {
			t.Errorf("ParseSize(%q) succeeded, want an error", tt.in)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSize(%q) error %q does not say %q", tt.in, err, tt.want)
		}
	}
	_, err := ParseSize("5XB")
	for _, form := range []string{`"500MB"`, `"20GB"`, "docker system df", "MiB"} {
		if !strings.Contains(err.Error(), form) {
			t.Errorf("error %q does not list %s", err, form)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	for _, tt := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{500 * time.Millisecond, "500ms"},
		{45 * time.Second, "45s"},
		{15 * time.Minute, "15m"},
		{90 * time.Minute, "1h30m"},
		{6 * time.Hour, "6h"},
		{36 * time.Hour, "1d12h"},
		{7 * day, "7d"},
		{14 * day, "14d"},
		{9 * day, "9d"},
		{3*day + 4*time.Hour, "3d4h"},
		{day + 5*time.Second, "1d5s"},
		{2*time.Minute + 1500*time.Millisecond, "2m1s"},
		{-36 * time.Hour, "-1d12h"},
	} {
		if got := FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FormatDuration's output always parses back to the same duration, for
// whole seconds.
func TestFormatDurationRoundTrip(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{time.Second, 59 * time.Second, 3601 * time.Second, 1000 * time.Hour, 123456789 * time.Second} {
		s := FormatDuration(d)
		back, err := ParseDuration(s)
		if err != nil || back != d {
			t.Errorf("ParseDuration(FormatDuration(%v) = %q) = %v, %v", d, s, back, err)
		}
	}
}
