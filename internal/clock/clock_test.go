package clock

import (
	"testing"
	"time"
)

func TestSecondsIsWholeSecondsUTC(t *testing.T) {
	t.Parallel()
	c := Seconds()
	if c.Location() != time.UTC || c.Nanosecond() != 0 {
		t.Errorf("Seconds() = %v, want whole seconds in UTC", c)
	}
}

func TestFixed(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	c := Fixed(at)
	if !c().Equal(at) || c.Since(at.Add(-time.Hour)) != time.Hour {
		t.Errorf("Fixed: %v, since an hour before: %v", c(), c.Since(at.Add(-time.Hour)))
	}
}
