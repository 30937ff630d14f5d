package policy

// Regular expressions that can never match what they are matched against.

import (
	"regexp"
	"regexp/syntax"
)

// hubPrefix is a Docker Hub prefix at the start of a regex, its dots
// escaped or not: references are matched in their familiar form, which
// never has one.
var hubPrefix = regexp.MustCompile(`^\^?(?:(?:(?:index|registry-1)\\?\.)?docker\\?\.io/(?:library/)?|library/)`)

// hubRegex reports whether regex p starts with a Docker Hub prefix
// ("docker.io/library/nginx:.*"), and returns it without the prefix
// ("nginx:.*"), the form that matches what docker image ls shows.
func hubRegex(p string) (string, bool) {
	loc := hubPrefix.FindStringIndex(p)
	if loc == nil {
		return "", false
	}
	return p[loc[1]:], true
}

// regexNeedsAt reports whether every string regex p matches has an '@':
// such a regex matches digest references only, never a tag. It answers
// false when unsure, and for a regex that does not compile.
func regexNeedsAt(p string) bool {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return false
	}
	return mustContain(re.Simplify(), '@')
}

// mustContain reports whether every match of re contains c.
func mustContain(re *syntax.Regexp, c rune) bool {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r == c {
				return true
			}
		}
	case syntax.OpCharClass:
		return len(re.Rune) == 2 && re.Rune[0] == c && re.Rune[1] == c
	case syntax.OpCapture, syntax.OpPlus:
		return mustContain(re.Sub[0], c)
	case syntax.OpRepeat:
		return re.Min >= 1 && mustContain(re.Sub[0], c)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if mustContain(sub, c) {
				return true
			}
		}
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !mustContain(sub, c) {
				return false
			}
		}
		return len(re.Sub) > 0
	}
	return false
}

// maxRegexSize bounds how large a regex may grow once its repetitions are
// expanded, in syntax tree nodes: "(x|y){1000}" is 1000 copies of its
// group, and ten of those in a short regex took 170 ms to compile.
const maxRegexSize = 5000

// regexSize estimates the size of re with its repetitions expanded,
// stopping early once it is over maxRegexSize.
func regexSize(re *syntax.Regexp) int {
	n := 1
	for _, sub := range re.Sub {
		n += regexSize(sub)
		if n > maxRegexSize {
			return n
		}
	}
	if re.Op == syntax.OpRepeat {
		times := max(re.Min, re.Max)
		n = 1 + (n-1)*max(times, 1)
	}
	return n
}
