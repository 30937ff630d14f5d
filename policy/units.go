package policy

import "time"

// ParseDuration parses Go duration syntax extended with d (24h) and w (7d).
func ParseDuration(s string) (time.Duration, error) { panic("STUB") }

// ParseSize parses a decimal size such as "500MB" or "20GB".
func ParseSize(s string) (int64, error) { panic("STUB") }

// FormatDuration prints a duration compactly for reasons: "90m", "36h", "7d".
func FormatDuration(d time.Duration) string { panic("STUB") }
