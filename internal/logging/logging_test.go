package logging

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/charmbracelet/log"
)

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		level string
		debug bool
		want  log.Level
	}{
		{"", false, log.InfoLevel},
		{"", true, log.DebugLevel},
		{"warn", true, log.WarnLevel}, // the flag wins over docker -D
		{"error", false, log.ErrorLevel},
		{"debug", false, log.DebugLevel},
	}
	for _, tt := range tests {
		l, err := New(&bytes.Buffer{}, tt.level, tt.debug)
		if err != nil {
			t.Errorf("New(%q, %v): %v", tt.level, tt.debug, err)
			continue
		}
		if l.GetLevel() != tt.want {
			t.Errorf("New(%q, %v) level = %v, want %v", tt.level, tt.debug, l.GetLevel(), tt.want)
		}
	}
	if _, err := New(&bytes.Buffer{}, "fatal", false); err == nil {
		t.Error(`New("fatal"): want an error`)
	}
}

func TestThroughContext(t *testing.T) {
	t.Parallel()
	if From(context.Background()) == nil {
		t.Fatal("no logger without one in the context")
	}
	var buf bytes.Buffer
	From(With(context.Background(), log.New(&buf))).Info("hello")
	if !strings.Contains(buf.String(), "hello") {
		t.Errorf("the context's logger was not used: %q", buf.String())
	}
}
