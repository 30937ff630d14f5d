package policy

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/gobwas/glob"
)

// globCompiler compiles every glob of a policy: `*` and `?` stop at `/`,
// `**` crosses it, and a whole-segment `**/` also matches no segment at all,
// as in shells and .gitignore, so "**/app:*" matches "app:1" as well as
// "ghcr.io/acme/app:1".
var globCompiler = glob.Compiler{Separators: []rune{'/'}, Globstar: true}

// globMatcher is a compiled glob that prints as the user wrote it.
type globMatcher struct {
	src string
	g   *glob.Pattern
}

func (m *globMatcher) Match(s string) bool { return m.g.Match(s) }

func (m *globMatcher) String() string { return m.src }

// regexMatcher is an anchored regexp that prints as the user wrote it.
type regexMatcher struct {
	src string
	re  *regexp.Regexp
}

func (m *regexMatcher) Match(s string) bool { return m.re.MatchString(s) }
func (m *regexMatcher) String() string      { return m.src }

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
	g, err := compileGlob(p, globCompiler)
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
	g, err := compileGlob(p, glob.Compiler{})
	if err != nil {
		return nil, err
	}
	return &globMatcher{src: p, g: g}, nil
}

func compileGlob(p string, c glob.Compiler) (*glob.Pattern, error) {
	g, err := c.Compile(p)
	if err != nil {
		var se *glob.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid glob %q: %s at offset %d", p, se.Reason, se.Offset)
		}
		return nil, fmt.Errorf("invalid glob %q: %v", p, err)
	}
	return g, nil
}

// CompileRegex compiles an RE2 pattern anchored as ^(?:p)$: it must match
// the whole string.
func CompileRegex(p string) (Matcher, error) {
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
	return &regexMatcher{src: p, re: re}, nil
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
