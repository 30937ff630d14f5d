package policy

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/gobwas/glob"
)

// globCompiler checks the syntax of every glob of a policy: `*` and `?`
// stop at `/`, `**` crosses it, and a whole-segment `**/` also matches no
// segment at all, as in shells and .gitignore, so "**/app:*" matches
// "app:1" as well as "ghcr.io/acme/app:1". Globs are matched as RE2
// regular expressions (globRegexp), in time linear in the pattern and the
// name: the glob library's own matcher backtracks, and "*a*a*a*a*b*" took
// 48s to fail against a name of 255 characters.
var globCompiler = glob.Compiler{Separators: []rune{'/'}, Globstar: true}

// maxPatternLen bounds every pattern of a policy, glob or regex: a
// reference is shorter, and matching costs its length for every name.
const maxPatternLen = 1024

// globMatcher is a compiled glob that prints as the user wrote it.
type globMatcher struct {
	src string
	g   *globFn
}

func (m *globMatcher) Match(s string) bool { return m.g.match(s) }

// globFn matches one compiled glob: a literal, a literal followed by one *,
// or else a regular expression.
type globFn struct {
	exact, prefix string
	star          bool // prefix then any characters ('/' excepted with segments)
	segments      bool
	re            *regexp.Regexp
	// lit is what every match of re begins with: names without it are
	// told apart without running the expression.
	lit string
}

func (g *globFn) match(s string) bool {
	switch {
	case g.re != nil:
		return strings.HasPrefix(s, g.lit) && g.re.MatchString(s)
	case g.star:
		rest, ok := strings.CutPrefix(s, g.prefix)
		return ok && !(g.segments && strings.Contains(rest, "/"))
	}
	return s == g.exact
}

func (m *globMatcher) String() string { return m.src }

// regexMatcher is an anchored regexp that prints as the user wrote it.
type regexMatcher struct {
	src string
	re  *regexp.Regexp
	lit string // what every match begins with (see globFn.lit)
	// inner is a literal every match contains (".*:nightly-\d{8}" has
	// ":nightly-"): names without it are told apart by a substring
	// search, not by the expression's backtracking.
	inner string
	// tail, when set, matches the expression (which begins with .*) in
	// its stead: see dotStarTail.
	tail *dotStarTail
}

func (m *regexMatcher) Match(s string) bool {
	if !strings.HasPrefix(s, m.lit) || !strings.Contains(s, m.inner) {
		return false
	}
	if m.tail != nil {
		return m.tail.match(s)
	}
	return m.re.MatchString(s)
}

// dotStarTail matches an expression that begins with .* and then a
// literal (".*:nightly-\d{8}", ".*-rc\d+"), a common way to write "ends
// with": Go has no one-pass program for it and backtracks over every
// prefix, which made it the costliest pattern of a large host's policy.
// Such an expression matches a string exactly when the rest of it matches
// a suffix that begins at an occurrence of the literal, with no newline
// before it when the . does not match one (the literal begins a rune, so
// the prefix is whole runes); the rest alone has a one-pass program.
type dotStarTail struct {
	lit       string
	rest      *regexp.Regexp // ^(?:rest)$
	newlineOK bool           // the . matches a newline too: (?s)
}

func (t *dotStarTail) match(s string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], t.lit)
		if i < 0 {
			return false
		}
		i += from
		if !t.newlineOK && strings.Contains(s[:i], "\n") {
			return false // every later occurrence has this newline before it
		}
		if t.rest.MatchString(s[i:]) {
			return true
		}
		from = i + 1
	}
}

// newDotStarTail returns the dotStarTail of re (parsed and simplified),
// or nil when re does not begin with .* and a case-sensitive literal.
func newDotStarTail(re *syntax.Regexp) *dotStarTail {
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return nil
	}
	star, lit := re.Sub[0], re.Sub[1]
	if star.Op != syntax.OpStar || star.Sub[0].Op != syntax.OpAnyChar && star.Sub[0].Op != syntax.OpAnyCharNotNL {
		return nil
	}
	if lit.Op != syntax.OpLiteral || lit.Flags&syntax.FoldCase != 0 {
		return nil
	}
	rest := &syntax.Regexp{Op: syntax.OpConcat, Flags: re.Flags, Sub: re.Sub[1:]}
	restRe, err := regexp.Compile(`^(?:` + rest.String() + `)$`)
	if err != nil {
		return nil
	}
	return &dotStarTail{lit: string(lit.Rune), rest: restRe, newlineOK: star.Sub[0].Op == syntax.OpAnyChar}
}

// requiredLiteral returns the longest literal that every string re
// matches contains: a case-sensitive literal part of its top-level
// concatenation (or the whole expression, when it is one literal). ""
// when there is none.
func requiredLiteral(re *syntax.Regexp) string {
	lit := func(r *syntax.Regexp) string {
		if r.Op != syntax.OpLiteral || r.Flags&syntax.FoldCase != 0 {
			return ""
		}
		return string(r.Rune)
	}
	if re.Op != syntax.OpConcat {
		return lit(re)
	}
	best := ""
	for _, sub := range re.Sub {
		if l := lit(sub); len(l) > len(best) {
			best = l
		}
	}
	return best
}
func (m *regexMatcher) String() string { return m.src }

// anyValue matches every label value; it is what a label selector "*"
// compiles to.
type anyValue struct{}

func (anyValue) Match(string) bool { return true }
func (anyValue) String() string    { return "*" }

// CompileNameGlob compiles a container, volume or network name glob; it
// follows the same rules as reference globs, without the tag part.
func CompileNameGlob(p string) (Matcher, error) {
	if p == "" {
		return nil, errors.New("empty pattern: write a name or a glob such as \"ci-*\"")
	}
	g, err := compileGlob(p, true)
	if err != nil {
		return nil, err
	}
	return &globMatcher{src: p, g: g}, nil
}

// compileLabelValue compiles the value glob of a label selector. Label
// values are free text (paths, URLs), so `*` crosses '/' there; "*" alone
// accepts any value, the empty one included.
func compileLabelValue(p string) (Matcher, error) {
	if p == "*" {
		return anyValue{}, nil
	}
	g, err := compileGlob(p, false)
	if err != nil {
		return nil, err
	}
	return &globMatcher{src: p, g: g}, nil
}

// compileGlob compiles glob p. With segments, '/' separates path segments
// as globCompiler says; without, it is an ordinary character. The glob
// library checks the syntax first, for its error messages.
func compileGlob(p string, segments bool) (*globFn, error) {
	if len(p) > maxPatternLen {
		return nil, fmt.Errorf("pattern of %d characters: a pattern is at most %d", len(p), maxPatternLen)
	}
	c := glob.Compiler{}
	if segments {
		c = globCompiler
	}
	if _, err := c.Compile(p); err != nil {
		var se *glob.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid glob %q: %s at offset %d", p, se.Reason, se.Offset)
		}
		return nil, fmt.Errorf("invalid glob %q: %v", p, err)
	}
	return compileValidGlob(p, segments)
}

// compileValidGlob compiles a glob whose syntax is known to be valid, to
// a literal, a literal and one trailing *, or an anchored regular
// expression.
func compileValidGlob(p string, segments bool) (*globFn, error) {
	alts, err := expandGlob(p)
	if err != nil {
		return nil, fmt.Errorf("invalid glob %q: %v", p, err)
	}
	if len(alts) == 1 {
		seq := alts[0]
		switch n := len(seq); {
		case n == 0:
			return &globFn{}, nil
		case n == 1 && seq[0].kind == atomText:
			return &globFn{exact: seq[0].text}, nil
		case n == 1 && seq[0].kind == atomAny:
			return &globFn{star: true, segments: segments}, nil
		case n == 2 && seq[0].kind == atomText && seq[1].kind == atomAny:
			return &globFn{prefix: seq[0].text, star: true, segments: segments}, nil
		// A ** alone, or after a literal, crosses '/': any characters
		// ("**:*" claims every tag, "ghcr.io/acme/**" a whole registry
		// path).
		case n == 1 && seq[0].kind == atomSuper:
			return &globFn{star: true}, nil
		case n == 2 && seq[0].kind == atomText && seq[1].kind == atomSuper:
			return &globFn{prefix: seq[0].text, star: true}, nil
		}
	}
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i, alt := range alts {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(globRegexp(alt, segments))
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("invalid glob %q: %v", p, err)
	}
	lit, _ := re.LiteralPrefix()
	return &globFn{re: re, lit: lit}, nil
}

// globRegexp translates a brace-free glob into a regular expression:
// * is [^/]* (.* without segments), ? is [^/] (.), ** is .*, a run of
// stars with a ** in it is one **, and a ** that is a whole segment and
// followed by '/' is (?:.*/)?, which also matches no segment at all.
func globRegexp(seq globSeq, segments bool) string {
	var b strings.Builder
	skipSlash := false
	for i := 0; i < len(seq); i++ {
		a := seq[i]
		switch a.kind {
		case atomText:
			text := a.text
			if skipSlash {
				text, skipSlash = text[1:], false
			}
			b.WriteString(regexp.QuoteMeta(text))
		case atomSingle:
			b.WriteString(map[bool]string{true: `[^/]`, false: `.`}[segments])
		case atomClass:
			b.WriteString(a.re)
		case atomAny, atomSuper:
			super := a.kind == atomSuper
			for i+1 < len(seq) && (seq[i+1].kind == atomAny || seq[i+1].kind == atomSuper) {
				i++
				super = super || seq[i].kind == atomSuper
			}
			switch {
			case !super && segments:
				b.WriteString(`[^/]*`)
			case super && segments && segmentStart(seq, i-runLen(seq, i)) && i+1 < len(seq) &&
				seq[i+1].kind == atomText && strings.HasPrefix(seq[i+1].text, "/"):
				b.WriteString(`(?:.*/)?`)
				skipSlash = true
				if seq[i+1].text == "/" {
					i++
					skipSlash = false
				}
			default:
				b.WriteString(`.*`)
			}
		}
	}
	return b.String()
}

// runLen is how many atoms before seq[i] belong to the run of stars that
// ends at i.
func runLen(seq globSeq, i int) int {
	n := 0
	for i-n-1 >= 0 && (seq[i-n-1].kind == atomAny || seq[i-n-1].kind == atomSuper) {
		n++
	}
	return n
}

// segmentStart reports whether seq[i] starts a path segment.
func segmentStart(seq globSeq, i int) bool {
	return i == 0 || seq[i-1].kind == atomText && strings.HasSuffix(seq[i-1].text, "/")
}

// CompileRegex compiles an RE2 pattern anchored as ^(?:p)$: it must match
// the whole string.
func CompileRegex(p string) (Matcher, error) {
	if len(p) > maxPatternLen {
		return nil, fmt.Errorf("invalid regular expression of %d characters: a pattern is at most %d", len(p), maxPatternLen)
	}
	if re, err := syntax.Parse(p, syntax.Perl); err == nil && regexSize(re) > maxRegexSize {
		return nil, fmt.Errorf("invalid regular expression %q: too large once its repetitions are expanded "+
			"(at most %d parts; compiling it would take long): write a shorter one", p, maxRegexSize)
	}
	// Compiling p alone first both quotes the user's text in errors and
	// makes sure p cannot close the group it is wrapped in ("a)|(b").
	_, err := regexp.Compile(p)
	var re *regexp.Regexp
	if err == nil {
		re, err = regexp.Compile(`^(?:` + p + `)$`)
	}
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid regular expression %q: %s in %q", p, se.Code, se.Expr)
		}
		return nil, fmt.Errorf("invalid regular expression %q: %v", p, err)
	}
	lit, _ := re.LiteralPrefix()
	m := &regexMatcher{src: p, re: re, lit: lit}
	if parsed, err := syntax.Parse(p, syntax.Perl); err == nil {
		simple := parsed.Simplify()
		m.inner = requiredLiteral(simple)
		m.tail = newDotStarTail(simple)
	}
	return m, nil
}

// hubDomains are the Docker Hub names docker image ls never shows.
var hubDomains = []string{"docker.io/", "index.docker.io/", "registry-1.docker.io/"}

// NormalizeRef turns a reference into its familiar form, as docker image ls
// shows it: "docker.io/library/nginx:1" is "nginx:1", "docker.io/acme/x:1"
// is "acme/x:1", and "library/nginx:1" is "nginx:1". Other references are
// returned unchanged.
func NormalizeRef(ref string) string {
	for _, d := range hubDomains {
		if rest, ok := strings.CutPrefix(ref, d); ok && rest != "" {
			ref = rest
			break
		}
	}
	if rest, ok := strings.CutPrefix(ref, "library/"); ok && rest != "" && !strings.Contains(rest, "/") {
		ref = rest
	}
	return ref
}

// errBroadHub reports a Docker Hub pattern whose familiar form would also
// match images of other registries.
type errBroadHub struct{ pattern, familiar string }

func (e *errBroadHub) Error() string {
	return fmt.Sprintf("pattern %q cannot be normalised: docker image ls shows Docker Hub images "+
		"without docker.io/, but %q would also match images of other registries; write the familiar "+
		"form you mean, e.g. \"*:*\" for official images or \"acme/**:*\" for one organisation",
		e.pattern, e.familiar)
}

// normalizeRefPattern is NormalizeRef for patterns. Stripping docker.io/ is
// only exact when the rest cannot reach into another registry: a first path
// component that has a wildcard (and is followed by more path, or is a **)
// or looks like a registry could match other registries' references once the
// prefix is gone, so such patterns are refused.
func normalizeRefPattern(p string) (string, error) {
	familiar := NormalizeRef(p)
	if familiar == p {
		return familiar, nil
	}
	repo := familiar
	if i := strings.LastIndexByte(familiar, ':'); i > strings.LastIndexByte(familiar, '/') {
		repo = familiar[:i]
	}
	first, _, nested := strings.Cut(repo, "/")
	wild := strings.ContainsAny(first, `*?[{\`)
	registry := nested && (strings.ContainsAny(first, ".:") || first == "localhost")
	if wild && (nested || strings.Contains(first, "**")) || registry {
		return familiar, &errBroadHub{pattern: p, familiar: familiar}
	}
	return familiar, nil
}
