package policy

// Reference globs: REPOSITORY:TAG patterns, matched part by part so that a
// tag pattern never reaches into a registry's port or path.

import (
	"errors"
	"fmt"
	"regexp"
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
	repo *globFn // '/' separated, ** across it
	// tag matches the tag, or the digest for a digest pattern; neither
	// ever contains '/'.
	tag    *globFn
	digest bool // REPOSITORY@DIGEST
}

// Match reports whether the familiar form of ref matches. ref may be a
// tagged reference ("nginx:1.27"), a digest reference ("nginx@sha256:…"),
// or both ("nginx:1.27@sha256:…"). A tag pattern matches the repository
// and the tag, so a reference with a digest and no tag has nothing for it
// to match; a digest pattern matches the repository and the digest.
func (m *refGlob) Match(ref string) bool {
	return m.matchSplit(parseRef(NormalizeRef(ref)))
}

// matchSplit is Match for a reference already normalised and split.
func (m *refGlob) matchSplit(r ref) bool {
	for _, a := range m.alts {
		part := r.tag
		if a.digest {
			part = r.digest
		}
		if part != "" && a.repo.match(r.repo) && a.tag.match(part) {
			return true
		}
	}
	return false
}

// hasDigest reports whether an alternative of the pattern is a digest
// pattern.
func (m *refGlob) hasDigest() bool {
	for _, a := range m.alts {
		if a.digest {
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
//
// A pattern with an '@' is a digest pattern, REPOSITORY@DIGEST
// ("ghcr.io/acme/app@*", "app@sha256:4f*"): it matches digest references,
// not tags. A pattern that no reference docker can hold would match (a
// space in it, an empty tag, a digest that is not ALGORITHM:HEX) is an
// error.
func CompileRefGlob(p string) (Matcher, error) {
	m, _, err := compileRefGlob(p)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// errNoTag reports a reference pattern without a tag part; alt is the
// alternative of its braces that has none, when it has braces.
type errNoTag struct{ pattern, alt string }

func (e *errNoTag) Error() string {
	if e.alt != "" {
		return fmt.Sprintf("pattern %q has an alternative without a tag part, %q: each alternative of its "+
			"braces needs one, or the tag goes after them, e.g. \"{nginx,redis}:*\"", e.pattern, e.alt)
	}
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

// errNeverMatches reports a pattern no reference can match.
type errNeverMatches struct{ pattern, why string }

func (e *errNeverMatches) Error() string {
	return fmt.Sprintf("pattern %q can never match: %s", e.pattern, e.why)
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
	if len(p) > maxPatternLen {
		return nil, p, fmt.Errorf("pattern of %d characters: a pattern is at most %d", len(p), maxPatternLen)
	}
	familiar, err := normalizeRefPattern(p)
	if err != nil {
		return nil, familiar, err
	}
	// Compiling the whole pattern first reports syntax errors with their
	// offset in what the user wrote.
	if _, err := compileGlob(familiar, true); err != nil {
		return nil, familiar, err
	}
	alts, err := expandGlob(familiar)
	if err != nil {
		return nil, familiar, fmt.Errorf("pattern %q: %w", p, err)
	}
	m := &refGlob{src: p}
	for _, alt := range alts {
		t, err := alt.split(p)
		if err != nil {
			return nil, familiar, err
		}
		if t.tagGlobstar {
			if t.digest {
				return nil, familiar, &errNeverMatches{p, "a digest never contains '/', so ** has nothing to " +
					"cross there: write * (\"app@*\" for every digest of app)"}
			}
			return nil, familiar, &errTagGlobstar{pattern: p, alt: t}
		}
		if t.hostLike() {
			return nil, familiar, &errRegistryHost{pattern: p, alt: t}
		}
		if why := t.neverMatches(); why != "" {
			return nil, familiar, &errNeverMatches{p, why}
		}
		repo, err := compileValidGlob(t.repo, true)
		if err != nil {
			return nil, familiar, err
		}
		tag, err := compileValidGlob(t.tag, true)
		if err != nil {
			return nil, familiar, err
		}
		m.alts = append(m.alts, refAlt{repo: repo, tag: tag, digest: t.digest})
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
	re   string // atomClass: the class as a regular expression
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

// refText is an alternative split into repository and tag (or digest),
// as glob sources.
type refText struct {
	repo, tag   string
	digest      bool   // tag is the digest of a REPOSITORY@DIGEST pattern
	repoLit     string // the literal characters of the repository part
	tagLit      string // the literal characters of the tag or digest part
	repoPlain   bool   // the repository part has no wildcard
	tagPlain    bool   // the tag or digest part has no wildcard
	tagGlobstar bool   // the tag or digest part has a **
}

// split splits an alternative of pattern p into repository and tag, at
// the last literal ':' that follows its last literal '/', or into
// repository and digest at its '@'.
func (s globSeq) split(p string) (refText, error) {
	at, atAt := -1, -1
	for i, a := range s {
		if a.kind != atomText {
			continue
		}
		for j := 0; j < len(a.text); j++ {
			if a.text[j] == '@' {
				if at >= 0 {
					return refText{}, &errNeverMatches{p, "a reference has at most one '@', before its digest"}
				}
				at, atAt = i, j
			}
		}
	}
	if at >= 0 {
		repo, digest := s.cut(at, atAt)
		t := newRefText(repo, digest)
		t.digest = true
		if named, err := repo.split(p); err == nil {
			if !strings.Contains(named.repoLit, "/") && (named.repoLit == "localhost" || strings.Contains(named.repoLit, ".")) {
				host := named.repo + ":" + named.tag
				return refText{}, &errNeverMatches{p, fmt.Sprintf("%q before the '@' looks like a registry host, "+
					"which a '/' and a path must follow: write %q for every image of that registry pulled by digest",
					host, host+"/**@"+t.tag)}
			}
			return refText{}, &errNeverMatches{p, fmt.Sprintf("digests belong to repositories, not tags, and "+
				"digest references have no tag: write %q", named.repo+"@"+t.tag)}
		}
		return t, nil
	}
	colonAtom, colonAt := -1, -1
	for i, a := range s {
		if a.kind != atomText {
			continue
		}
		for j := 0; j < len(a.text); j++ {
			switch a.text[j] {
			case '/':
				colonAtom, colonAt = -1, -1
			case ':':
				colonAtom, colonAt = i, j
			}
		}
	}
	if colonAtom < 0 {
		e := &errNoTag{pattern: p}
		if src := source(s); src != p && strings.ContainsAny(p, "{") {
			e.alt = src
		}
		return refText{}, e
	}
	return newRefText(s.cut(colonAtom, colonAt)), nil
}

// cut splits s around the character at text[j] of atom i.
func (s globSeq) cut(i, j int) (globSeq, globSeq) {
	text := s[i].text
	before := append(append(globSeq(nil), s[:i]...), atom{kind: atomText, text: text[:j]})
	after := append(globSeq{{kind: atomText, text: text[j+1:]}}, s[i+1:]...)
	return before, after
}

func newRefText(repo, tag globSeq) refText {
	t := refText{repo: source(repo), tag: source(tag), repoPlain: true, tagPlain: true}
	for _, a := range repo {
		if a.kind == atomText {
			t.repoLit += a.text
		} else {
			t.repoPlain = false
		}
	}
	for _, a := range tag {
		switch a.kind {
		case atomText:
			t.tagLit += a.text
		case atomSuper:
			t.tagGlobstar = true
			t.tagPlain = false
		default:
			t.tagPlain = false
		}
	}
	return t
}

// Characters references are made of: a repository is lower-case path
// components, optionally after a registry host (which may have upper case
// and a :port); a tag is [A-Za-z0-9_.-]; a digest ALGORITHM:ENCODED.
const (
	repoChars   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:"
	tagChars    = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
	digestChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:+._=-"
)

// Digests as docker shows them: sha256 with 64 hex digits, sha512 with
// 128, another algorithm in the OCI grammar.
var (
	sha256Hex   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	sha512Hex   = regexp.MustCompile(`^[0-9a-f]{128}$`)
	otherDigest = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
)

func isDigest(s string) bool {
	algo, hex, _ := strings.Cut(s, ":")
	switch algo {
	case "sha256":
		return sha256Hex.MatchString(hex)
	case "sha512":
		return sha512Hex.MatchString(hex)
	}
	return otherDigest.MatchString(s)
}

// neverMatches says why no reference can match t, or "".
func (t refText) neverMatches() string {
	chars := tagChars
	if t.digest {
		chars = digestChars
	}
	switch {
	case t.repoPlain && t.repoLit == "":
		return "it has an empty repository before its " + map[bool]string{false: "':'", true: "'@'"}[t.digest]
	case t.tagPlain && t.tagLit == "":
		if t.digest {
			return fmt.Sprintf("it has an empty digest: write %q for every digest", t.repo+"@*")
		}
		return fmt.Sprintf("it has an empty tag: write %q for every tag", t.repo+":*")
	}
	if i := strings.IndexFunc(t.repoLit, func(r rune) bool { return !strings.ContainsRune(repoChars, r) }); i >= 0 {
		return fmt.Sprintf("the repository part has %q, and repositories are made of letters, digits, '.', '_', '-', '/' and a registry's ':port'",
			string([]rune(t.repoLit[i:])[0]))
	}
	if i := strings.IndexFunc(t.tagLit, func(r rune) bool { return !strings.ContainsRune(chars, r) }); i >= 0 {
		if t.digest {
			return fmt.Sprintf("the digest part has %q, and a digest is ALGORITHM:HEX, e.g. \"sha256:4f…\"", string([]rune(t.tagLit[i:])[0]))
		}
		return fmt.Sprintf("the tag part has %q, and tags are made of letters, digits, '_', '.' and '-'", string([]rune(t.tagLit[i:])[0]))
	}
	if t.digest && t.tagPlain && !isDigest(t.tagLit) {
		return fmt.Sprintf("%q is not a digest, which is ALGORITHM:HEX as in \"sha256:\" and 64 hex digits; "+
			"write %q for every digest, or %q for one by its first digits", t.tagLit, t.repo+"@*", t.repo+"@sha256:4f9a*")
	}
	return ""
}

// hostLike reports whether the repository part has no '/' and yet looks
// like a registry host, the way docker tells a host from a path component:
// it is "localhost", or has a '.' or a ':'.
func (t refText) hostLike() bool {
	if strings.Contains(t.repoLit, "/") {
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
			src, re := t.src, "["
			x.pos++
			for x.pos < len(x.toks) && x.toks[x.pos].Type != syntax.RangeClose {
				tk := x.toks[x.pos]
				src += tk.src
				switch tk.Type {
				case syntax.Not:
					re += "^"
				case syntax.RangeBetween:
					re += "-"
				default: // RangeLo, RangeHi, or Text: characters
					for _, c := range tk.Data {
						re += classChar(c)
					}
				}
				x.pos++
			}
			if x.pos < len(x.toks) {
				src += x.toks[x.pos].src
				x.pos++
			}
			next = []globSeq{{{kind: atomClass, text: src, re: re + "]"}}}
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
		return atom{kind: atomAny, text: "*"}
	case syntax.Super:
		return atom{kind: atomSuper, text: "**"}
	case syntax.Single:
		return atom{kind: atomSingle, text: "?"}
	}
	return atom{kind: atomText, text: t.Data}
}

// classChar writes c for a regular expression's character class.
func classChar(c rune) string {
	if strings.ContainsRune(`\]-^[`, c) {
		return `\` + string(c)
	}
	return string(c)
}
