package plugin

import (
	"path/filepath"
	"strings"
)

// contextDir is where docker-shaper keeps what belongs to one Docker
// context (the prune lock, the journal, the watcher's state):
// <configDir>/shaper/<context>. The context name is made safe for a path:
// characters other than letters, digits, '_', '-', '+' and '.' become '_',
// and a name that is empty or made only of dots is prefixed, so a context
// can never point outside the shaper directory.
func contextDir(configDir, context string) string {
	return filepath.Join(configDir, "shaper", safeContextName(context))
}

func safeContextName(name string) string {
	if name == "" {
		return "default"
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '_', r == '-', r == '+', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if strings.Trim(s, ".") == "" {
		s = "_" + s
	}
	return s
}
