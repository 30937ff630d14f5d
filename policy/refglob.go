package policy

// Reference globs: REPOSITORY:TAG patterns, matched part by part so that a
// tag pattern never reaches into a registry's port or path.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gobwas/glob"
	"github.com/gobwas/glob/syntax"
)

// refGlob is a compiled reference glob: one alternative per expansion of
// its braces, each split into a repository glob and a tag glob.
type refGlob struct {
	src  string
	alts []refAlt
}

// refAlt is one brace-free alternative of a reference glob.
type refAlt struct {
	repo *glob.Pattern // '/' separated, ** across it
	tag  *glob.Pattern // never matches '/': a tag has none
}

// Match reports whether the familiar form of ref matches. ref may be a
// tagged reference ("nginx:1.27"), possibly with a digest
// ("nginx:1.27@sha256:…"), whose repository and tag are matched; a
// reference with a digest and no tag has no tag to match.
func (m *refGlob) Match(ref string) bool {
	r := parseRef(NormalizeRef(ref))
	if r.tag == "" {
		return false
	}
	for _, a := range m.alts {
		if a.repo.Match(r.repo) && a.tag.Match(r.tag) {
			return true
		}
	}
	return false
}

func (m *refGlob) String() string { return m.src }

// ref is a reference split into its parts; tag and digest are "" when
// absent.
type ref struct{ repo, tag, digest string }

// parseRef splits "host:5000/app:v1@sha256:…" into repository
// "host:5000/app", tag "v1" and digest "sha256:…". The tag is what follows
// the last ':' after the last '/' of the name.
func parseRef(s string) ref {
	name, digest, _ := strings.Cut(s, "@")
	p := splitTag(name)
	return ref{repo: p.repo, tag: p.tag, digest: digest}
}

// CompileRefGlob compiles a REPOSITORY:TAG glob, matched against familiar
// references as docker image ls shows them ("nginx:1.27",
// "ghcr.io/acme/api:pr-12", "localhost:5000/app:dev"). The tag part is what
// follows the pattern's last ':' after its last '/'; it is matched against
// the reference's tag alone, so it never matches '/' and ** is refused in
// it. Braces may hold whole references ("{nginx:1,redis:7}"): each
// alternative is split on its own. A pattern written with a docker.io/
// prefix is matched in its familiar form ("docker.io/library/nginx:*" as
// "nginx:*"); String still returns it as written.
func CompileRefGlob(p string) (Matcher, error) {
	m, _, err := compileRefGlob(p)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// errNoTag reports a reference pattern without a tag part.
type errNoTag struct{ pattern string }

func (e *errNoTag) Error() string {
	return fmt.Sprintf("pattern %q has no tag part: write REPOSITORY:TAG, e.g. %q for every tag or %q for one",
		e.pattern, e.pattern+":*", e.pattern+":latest")
}

// errTagGlobstar reports ** in the tag part of a pattern, where it could
// only mean *.
type errTagGlobstar struct {
	pattern string
	alt     refText // the alternative it was found in
}

func (e *errTagGlobstar) Error() string {
	star := e.alt.repo + ":" + strings.ReplaceAll(e.alt.tag, "**", "*")
	msg := fmt.Sprintf("pattern %q has ** in the tag part (after its last ':'), where it can only mean *: "+
		"a tag never contains '/'. Write %q", e.pattern, star)
	if !strings.Contains(e.alt.repo, "/") {
		msg += fmt.Sprintf(" for the tags of the image %q, or %q or %q for every image of a registry host",
			e.alt.repo, e.alt.repo+"/**:*", e.alt.repo+":5000/**:*")
	}
	return msg
}

// errRegistryHost reports a pattern whose repository part has no '/' and
// looks like a registry host ("localhost:5000", "registry.example.com:*"):
// docker reads it as an image name, its author probably meant the
// registry.
type errRegistryHost struct {
	pattern string
	alt     refText
}

func (e *errRegistryHost) Error() string {
	repo, tag := e.alt.repo, e.alt.tag
	if strings.Contains(repo, ":") {
		return fmt.Sprintf("pattern %q has a registry host and port %q with no '/' after it: a repository "+
			"has a ':' only in a registry host, followed by a path. Write %q for every image of that registry",
			e.pattern, repo, repo+"/**:*")
	}
	host := repo
	if isDigits(tag) {
		host = repo + ":" + tag
		return fmt.Sprintf("pattern %q names the image %q with tag %q, as docker reads it, but looks like the "+
			"registry host %q. Write %q for every image of that registry, or %q for one repository; "+
			"if you do mean that image, write a character of its name as a class: %q",
			e.pattern, repo, tag, host, host+"/**:*", host+"/app:*", classHint(repo)+":"+tag)
	}
	return fmt.Sprintf("pattern %q names images called %q, as docker reads it, but %q looks like a registry "+
		"host. Write %q for every image of that registry; if you do mean images of that name, write a "+
		"character of it as a class: %q", e.pattern, repo, repo, host+"/**:*", classHint(repo)+":"+tag)
}

// classHint writes each '.' of a repository as "[.]" (or the last letter of
// "localhost" as "[t]"), which matches the same names without looking like
// a registry host.
func classHint(repo string) string {
	if strings.Contains(repo, ".") {
		return strings.ReplaceAll(repo, ".", "[.]")
	}
	return repo[:len(repo)-1] + "[" + repo[len(repo)-1:] + "]"
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// maxAlternatives bounds how many brace-free patterns one pattern expands
// to, so "{a,b}{a,b}{a,b}…" cannot make compiling or matching explode.
const maxAlternatives = 64

// compileRefGlob compiles a reference glob and also returns the familiar
// pattern it matches with, which differs from p when p was normalised.
func compileRefGlob(p string) (*refGlob, string, error) {
	if p == "" {
		return nil, "", errors.New("empty pattern: write REPOSITORY:TAG, e.g. \"nginx:*\"")
	}
	familiar, err := normalizeRefPattern(p)
	if err != nil {
		return nil, familiar, err
	}
	// Compiling the whole pattern first reports syntax errors with their
	// offset in what the user wrote.
	if _, err := compileGlob(familiar, globCompiler); err != nil {
		return nil, familiar, err
	}
	alts, err := expandGlob(familiar)
	if err != nil {
		return nil, familiar, fmt.Errorf("pattern %q: %w", p, err)
	}
	m := &refGlob{src: p}
	for _, alt := range alts {
		t, ok := alt.splitTag()
		if !ok {
			return nil, familiar, &errNoTag{pattern: p}
		}
		if t.tagGlobstar {
			return nil, familiar, &errTagGlobstar{pattern: p, alt: t}
		}
		if t.hostLike() {
			return nil, familiar, &errRegistryHost{pattern: p, alt: t}
		}
		repo, err := compileGlob(t.repo, globCompiler)
		if err != nil {
			return nil, familiar, err
		}
		tag, err := compileGlob(t.tag, glob.Compiler{Separators: []rune{'/'}})
		if err != nil {
			return nil, familiar, err
		}
		m.alts = append(m.alts, refAlt{repo: repo, tag: tag})
	}
	return m, familiar, nil
}

// A glob as a sequence of atoms, for splitting it into its parts.
type atomKind int

const (
	atomText   atomKind = iota // literal characters, escapes resolved
	atomAny                    // *
	atomSuper                  // **
	atomSingle                 // ?
	atomClass                  // [...]
)

type atom struct {
	kind atomKind
	text string // atomText: the characters; others: the glob source
}

// globSeq is one brace-free alternative of a glob.
type globSeq []atom

// source returns the glob text of atoms.
func source(atoms []atom) string {
	var b strings.Builder
	for _, a := range atoms {
		if a.kind == atomText {
			b.WriteString(glob.QuoteMeta(a.text))
		} else {
			b.WriteString(a.text)
		}
	}
	return b.String()
}

// refText is an alternative split at its tag separator, as glob sources.
type refText struct {
	repo, tag   string
	repoLit     string // the literal characters of the repository part
	repoPlain   bool   // the repository part has no wildcard
	tagGlobstar bool   // the tag part has a **
}

// splitTag splits an alternative at the last literal ':' that follows its
// last literal '/'. ok is false when there is none: the pattern has no tag.
func (s globSeq) splitTag() (refText, bool) {
	slashAtom := -1
	colonAtom, colonAt := -1, -1
	for i, a := range s {
		if a.kind != atomText {
			continue
		}
		for j := 0; j < len(a.text); j++ {
			switch a.text[j] {
			case '/':
				slashAtom = i
				colonAtom, colonAt = -1, -1
			case ':':
				colonAtom, colonAt = i, j
			}
		}
	}
	if colonAtom < 0 || slashAtom > colonAtom {
		return refText{}, false
	}
	text := s[colonAtom].text
	repo := append(append([]atom(nil), s[:colonAtom]...), atom{atomText, text[:colonAt]})
	tag := append([]atom{{atomText, text[colonAt+1:]}}, s[colonAtom+1:]...)
	t := refText{repo: source(repo), tag: source(tag), repoPlain: true}
	for _, a := range repo {
		if a.kind == atomText {
			t.repoLit += a.text
		} else {
			t.repoPlain = false
		}
	}
	for _, a := range tag {
		if a.kind == atomSuper {
			t.tagGlobstar = true
		}
	}
	return t, true
}

// hostLike reports whether the repository part has no '/' and yet looks
// like a registry host, the way docker tells a host from a path component:
// it is "localhost", or has a '.' or a ':'.
func (t refText) hostLike() bool {
	if strings.Contains(t.repoLit, "/") || strings.Contains(t.repo, "**") {
		return false
	}
	return t.repoPlain && t.repoLit == "localhost" || strings.ContainsAny(t.repoLit, ".:")
}

// expandGlob returns the brace-free alternatives of a glob whose syntax is
// known to be valid: "{a,b}:{1,2}" is "a:1", "a:2", "b:1" and "b:2".
func expandGlob(p string) ([]globSeq, error) {
	lx := syntax.NewLexer(p)
	var toks []lexed
	prev := 0
	for {
		t := lx.Next()
		if t.Type == syntax.EOF {
			break
		}
		if t.Type == syntax.Error {
			return nil, errors.New(t.Data)
		}
		toks = append(toks, lexed{t, p[prev:lx.Offset()]})
		prev = lx.Offset()
	}
	x := &expander{toks: toks}
	alts, err := x.seq()
	if err != nil {
		return nil, err
	}
	return alts, nil
}

// lexed is a glob token and the source it was read from; for the tokens of
// a character class the source of the whole class is on RangeOpen, which
// the lexer reads in one go.
type lexed struct {
	syntax.Token
	src string
}

type expander struct {
	toks []lexed
	pos  int
}

// seq expands a sequence up to the end of its group ('}' or ',' of an
// enclosing group, or the end of the pattern).
func (x *expander) seq() ([]globSeq, error) {
	alts := []globSeq{nil}
	for x.pos < len(x.toks) {
		t := x.toks[x.pos]
		var next []globSeq
		switch t.Type {
		case syntax.TermSeparator, syntax.TermsClose:
			return alts, nil
		case syntax.TermsOpen:
			x.pos++
			var group []globSeq
			for {
				g, err := x.seq()
				if err != nil {
					return nil, err
				}
				group = append(group, g...)
				if x.pos >= len(x.toks) {
					return nil, errors.New("unclosed {")
				}
				sep := x.toks[x.pos]
				x.pos++
				if sep.Type == syntax.TermsClose {
					break
				}
			}
			next = group
		case syntax.RangeOpen:
			src := t.src
			x.pos++
			for x.pos < len(x.toks) && x.toks[x.pos].Type != syntax.RangeClose {
				src += x.toks[x.pos].src
				x.pos++
			}
			if x.pos < len(x.toks) {
				src += x.toks[x.pos].src
				x.pos++
			}
			next = []globSeq{{{atomClass, src}}}
		default:
			next = []globSeq{{x.atom(t)}}
			x.pos++
		}
		if len(alts)*len(next) > maxAlternatives {
			return nil, fmt.Errorf("more than %d alternatives once its braces are expanded: split it into several patterns", maxAlternatives)
		}
		var out []globSeq
		for _, a := range alts {
			for _, n := range next {
				out = append(out, append(append(globSeq(nil), a...), n...))
			}
		}
		alts = out
	}
	return alts, nil
}

func (x *expander) atom(t lexed) atom {
	switch t.Type {
	case syntax.Any:
		return atom{atomAny, "*"}
	case syntax.Super:
		return atom{atomSuper, "**"}
	case syntax.Single:
		return atom{atomSingle, "?"}
	}
	return atom{atomText, t.Data}
}
