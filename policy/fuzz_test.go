package policy

// Native fuzz targets. scripts/fuzz.sh runs each for a while; docs/fuzzing.md
// says what to do with a finding. Without -fuzz, go test runs their seeds.

import (
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// FuzzLoadEvaluate loads arbitrary bytes as a policy. Loading never
// panics and returns a bounded number of located diagnostics; a policy
// that loads is evaluated against a fixed host and one derived from the
// input, twice each: the plans are equal and keep the safety invariants.
func FuzzLoadEvaluate(f *testing.F) {
	for _, glob := range []string{"testdata/load/*.hcl", "../examples/policies/*.hcl", "../plugin/default.hcl", "testdata/policy-md.hcl"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if src, err := os.ReadFile(file); err == nil {
				f.Add(src)
			}
		}
	}
	for seed := range uint64(40) {
		f.Add([]byte(randomPolicy(rand.New(rand.NewPCG(seed, 1)))))
	}
	fixed := randomSnapshot(rand.New(rand.NewPCG(7, 7)))
	for len(fixed.Images) < 8 { // a host with something on it
		fixed = randomSnapshot(rand.New(rand.NewPCG(uint64(len(fixed.Images)), 8)))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, diags := NewLoader().Load("fuzz.hcl", src)
		if (p == nil) != diags.HasErrors() {
			t.Fatalf("policy %v with diagnostics %v", p != nil, diags)
		}
		var errs, warns int
		for _, d := range diags {
			if d.Subject == nil {
				t.Errorf("diagnostic %q has no range", d.Summary)
			}
			if d.Severity == hcl.DiagError {
				errs++
			} else {
				warns++
			}
		}
		if errs > maxShown+1 || warns > maxShown+1 {
			t.Errorf("%d errors and %d warnings returned", errs, warns)
		}
		if p == nil {
			return
		}
		h := fnv.New64a()
		h.Write(src)
		for _, s := range []Snapshot{fixed, randomSnapshot(rand.New(rand.NewPCG(h.Sum64(), 0)))} {
			plan := Evaluate(p, s)
			if again := Evaluate(p, s); !reflect.DeepEqual(plan, again) {
				t.Fatalf("two evaluations differ")
			}
			for _, v := range planViolations(p, s, plan) {
				t.Errorf("%s", v)
			}
		}
	})
}

// FuzzRefGlob compares CompileRefGlob with refModel, a small independent
// model of the documented reference glob language, on patterns and
// references built from the bytes: which patterns are refused, and what
// the others match.
func FuzzRefGlob(f *testing.F) {
	for _, seed := range []string{"\x04\x00\x04\x07\x01\x00\x04\x01", "\x03\x08\x04\x07\x00\x04\x01", "\x05\x0c\x02\x04\x07\x00\x03\x02\x04\x00",
		"\x06\x08\x03\x08\x04\x07\x00\x00\x03\x00\x04\x00", "\x02\x0d\x07\x00\x04\x01", "\x04\x00\x03\x09\x04\x0a\x00\x04\x02"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pattern, ref := refGlobCase(data)
		if r := parseRef(ref); r.repo == "" || r.tag == "" {
			ref = "" // not a reference: only check which patterns are refused
		}
		alts, valid := refModel(pattern)
		m, err := CompileRefGlob(pattern)
		if valid != (err == nil) {
			t.Fatalf("CompileRefGlob(%q): error %v, the model says valid = %v", pattern, err, valid)
		}
		if err != nil {
			return
		}
		if ref == "" {
			return
		}
		want := false
		for _, alt := range alts {
			want = want || alt.match(ref)
		}
		if got := m.Match(ref); got != want {
			t.Fatalf("%q matches %q = %v, the model says %v", pattern, ref, got, want)
		}
	})
}

// The pieces patterns and references are built from: the subset of the
// language the model implements (no escapes, no negated classes, braces
// not nested, no digests, nothing Docker Hub normalises).
var (
	patternPieces = []string{"a", "b", "1", "/", ":", "-", ".", "*", "**", "?", "[0-9]", "[ab]", "{a,b}", "{a/b,c}", "{:1,:a}", "_"}
	refPieces     = []string{"a", "b", "1", "/", ":", "-", ".", "_"}
)

// refGlobCase builds a pattern and a reference: the first byte says how
// many of the following bytes pick pattern pieces, the rest pick
// reference pieces.
func refGlobCase(data []byte) (pattern, ref string) {
	if len(data) == 0 {
		return "", ""
	}
	n := min(int(data[0])%12, len(data)-1)
	var p, r strings.Builder
	for _, b := range data[1 : 1+n] {
		p.WriteString(patternPieces[int(b)%len(patternPieces)])
	}
	for _, b := range data[1+n:] {
		r.WriteString(refPieces[int(b)%len(refPieces)])
	}
	return p.String(), r.String()
}

// globTok is a token of the model: a literal byte, *, **, ? or a class.
type globTok struct {
	kind  byte // 'l' literal, '*', 'S' (**), '?', '['
	c     byte
	class string
}

// modelAlt is one brace-free alternative, split into repository and tag.
type modelAlt struct{ repo, tag []globTok }

// refModel says whether pattern is valid, as documented, and returns its
// alternatives. The documented rules: braces expand to at most 64
// alternatives; each is split at its last ':' after its last '/' (none:
// no tag, refused); ** in the tag part is refused; a repository part with
// no '/' that has a '.' or ':' looks like a registry host and is refused;
// an empty repository or tag is refused.
func refModel(pattern string) ([]modelAlt, bool) {
	if pattern == "" {
		return nil, false
	}
	texts := []string{""}
	for i := 0; i < len(pattern); {
		if pattern[i] != '{' {
			j := i + 1
			if pattern[i] == '[' {
				j = strings.IndexByte(pattern[i:], ']') + i + 1
			}
			for k := range texts {
				texts[k] += pattern[i:j]
			}
			i = j
			continue
		}
		end := strings.IndexByte(pattern[i:], '}') + i
		var out []string
		for _, t := range texts {
			for _, choice := range strings.Split(pattern[i+1:end], ",") {
				out = append(out, t+choice)
			}
		}
		texts, i = out, end+1
		if len(texts) > 64 {
			return nil, false
		}
	}
	var alts []modelAlt
	for _, text := range texts {
		toks := lexModel(text)
		slash, colon := -1, -1
		for i, tk := range toks {
			switch {
			case tk.kind == 'l' && tk.c == '/':
				slash, colon = i, -1
			case tk.kind == 'l' && tk.c == ':':
				colon = i
			}
		}
		if colon < 0 {
			return nil, false
		}
		a := modelAlt{repo: toks[:colon], tag: toks[colon+1:]}
		lit, wild := "", false
		for _, tk := range a.repo {
			if tk.kind == 'l' {
				lit += string(tk.c)
			} else {
				wild = true
			}
		}
		if slash < 0 && strings.ContainsAny(lit, ".:") || len(a.repo) == 0 && !wild || len(a.tag) == 0 {
			return nil, false
		}
		for _, tk := range a.tag {
			if tk.kind == 'S' {
				return nil, false
			}
		}
		alts = append(alts, a)
	}
	return alts, true
}

func lexModel(s string) []globTok {
	var toks []globTok
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*':
			// A run of two or more stars is one **: any sequence.
			j := i
			for j+1 < len(s) && s[j+1] == '*' {
				j++
			}
			if j > i {
				toks = append(toks, globTok{kind: 'S'})
			} else {
				toks = append(toks, globTok{kind: '*'})
			}
			i = j
		case '?':
			toks = append(toks, globTok{kind: '?'})
		case '[':
			end := strings.IndexByte(s[i:], ']') + i
			toks = append(toks, globTok{kind: '[', class: s[i+1 : end]})
			i = end
		default:
			toks = append(toks, globTok{kind: 'l', c: c})
		}
	}
	return toks
}

// match matches a reference: its repository against the repository part,
// its tag (what follows its last ':' after its last '/') against the tag
// part. A reference without a tag, or with an empty one, matches nothing.
func (a modelAlt) match(ref string) bool {
	slash := strings.LastIndexByte(ref, '/')
	colon := strings.LastIndexByte(ref, ':')
	if colon <= slash || colon == len(ref)-1 {
		return false
	}
	return globModel(a.repo, ref[:colon], true, true) && globModel(a.tag, ref[colon+1:], false, true)
}

// globModel is a backtracking matcher: * and ? never match '/', ** matches
// anything, and with globstar a ** that is a whole segment (at the start,
// or after '/') followed by '/' also matches no segment at all: "**/app"
// matches "app". atStart says p starts a segment.
func globModel(p []globTok, s string, globstar, atStart bool) bool {
	if len(p) == 0 {
		return s == ""
	}
	tk := p[0]
	slash := tk.kind == 'l' && tk.c == '/'
	switch tk.kind {
	case 'l':
		return s != "" && s[0] == tk.c && globModel(p[1:], s[1:], globstar, slash)
	case '?':
		return s != "" && s[0] != '/' && globModel(p[1:], s[1:], globstar, false)
	case '[':
		return s != "" && inClass(tk.class, s[0]) && globModel(p[1:], s[1:], globstar, false)
	case '*':
		for i := 0; i <= len(s); i++ {
			if globModel(p[1:], s[i:], globstar, false) {
				return true
			}
			if i < len(s) && s[i] == '/' {
				return false
			}
		}
		return false
	}
	// **
	if globstar && atStart && len(p) > 1 && p[1].kind == 'l' && p[1].c == '/' && globModel(p[2:], s, globstar, true) {
		return true
	}
	for i := 0; i <= len(s); i++ {
		if globModel(p[1:], s[i:], globstar, false) {
			return true
		}
	}
	return false
}

func inClass(class string, c byte) bool {
	for i := 0; i < len(class); i++ {
		if i+2 < len(class) && class[i+1] == '-' {
			if class[i] <= c && c <= class[i+2] {
				return true
			}
			i += 2
		} else if class[i] == c {
			return true
		}
	}
	return false
}

// durationForm is the documented duration syntax: "0", or numbers with
// units, optionally after a '+'.
var durationForm = regexp.MustCompile(`^\+?(0|((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w))+)$`)

// FuzzParseDuration: never panics, accepts exactly the documented forms
// (refusing only those too long to represent), never returns a negative
// duration, and reads back what FormatDuration prints (whole seconds;
// under a second, exactly).
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "+0", "7d", "1d12h", "1.5h", ".5d", "1.h", "500ms", "10µs", "1w2d3h4m5s", "-1h", "1mo", "7", "", "1000000w", "9223372036s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		documented := durationForm.MatchString(s)
		switch {
		case err == nil && !documented:
			t.Fatalf("ParseDuration(%q) = %v, but that is not a documented form", s, d)
		case err != nil && documented && !strings.Contains(err.Error(), "too long"):
			t.Fatalf("ParseDuration(%q): %v, but it is a documented form", s, err)
		case err != nil:
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
		text := FormatDuration(d)
		back, err := ParseDuration(text)
		want := d
		if d >= time.Second {
			want = d.Truncate(time.Second)
		}
		if err != nil || back != want {
			t.Fatalf("ParseDuration(%q) = %v, printed %q, read back as %v (%v), want %v", s, d, text, back, err, want)
		}
	})
}

// sizeForm is the documented size syntax: a number, an optional space and
// a unit, in any case.
var sizeForm = regexp.MustCompile(`^(\d+\.?\d*|\.\d+) ?(?i:b|kb|mb|gb|tb|pb|kib|mib|gib|tib|pib)?$`)

// FuzzParseSize: never panics, accepts exactly the documented forms
// (refusing only sizes too large), never returns a negative size, and
// ignores the case of units.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "500MB", "20GB", "1.5GB", "2GiB", "20G", "-1GB", "", "GB", "1e3GB", "99999999PB", "5 kb", ".5TB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize(s)
		documented := sizeForm.MatchString(s)
		switch {
		case err == nil && !documented:
			t.Fatalf("ParseSize(%q) = %d, but that is not a documented form", s, v)
		case err != nil && documented && !strings.Contains(err.Error(), "too large"):
			t.Fatalf("ParseSize(%q): %v, but it is a documented form", s, err)
		case err != nil:
			return
		}
		if v < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, v)
		}
		if up, err := ParseSize(strings.ToUpper(s)); err != nil || up != v {
			t.Fatalf("ParseSize(%q) = %d, ParseSize(%q) = %d, %v", s, v, strings.ToUpper(s), up, err)
		}
	})
}

// FuzzVersionOrder: order_by = "version" ranks tags by a strict weak
// order (sort needs one): irreflexive, asymmetric, transitive, and
// "neither before the other" is transitive too.
func FuzzVersionOrder(f *testing.F) {
	for _, s := range [][3]string{
		{"1.2.3", "1.10.0", "v1.9"}, {"1.0.0-rc.1", "1.0.0", "1.0.0+build.7"}, {"latest", "1.0", "nightly"},
		{"1.0", "1.0.0", "v1"}, {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta"}, {"2", "2.0.0-0", "2.0.0-a"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		tags := []string{a, b, c}
		before := func(x, y string) bool { return versionBefore(parseVersion(x), parseVersion(y)) }
		tied := func(x, y string) bool { return !before(x, y) && !before(y, x) }
		for _, x := range tags {
			if before(x, x) {
				t.Fatalf("%q before itself", x)
			}
			for _, y := range tags {
				if before(x, y) && before(y, x) {
					t.Fatalf("%q and %q are each before the other", x, y)
				}
				for _, z := range tags {
					if before(x, y) && before(y, z) && !before(x, z) {
						t.Fatalf("%q before %q before %q, but not %q before %q", x, y, z, x, z)
					}
					if tied(x, y) && tied(y, z) && !tied(x, z) {
						t.Fatalf("%q ties %q ties %q, but %q does not tie %q", x, y, z, x, z)
					}
				}
			}
		}
	})
}

// versionBefore is how rank orders two tags by version: versions before
// non-versions, higher versions first; two non-versions, or two equal
// versions, tie (rank then looks at their ages).
func versionBefore(a, b *versionKey) bool {
	switch {
	case a != nil && b == nil:
		return true
	case a == nil || b == nil:
		return false
	case a.equal(b):
		return false
	}
	return a.greater(b)
}
