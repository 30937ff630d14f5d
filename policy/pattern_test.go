package policy

import (
	"strings"
	"testing"
)

func TestRefGlobMatch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pattern string
		ref     string
		want    bool
	}{
		// * stays within a path segment; ** crosses '/'.
		{"*:*", "nginx:1.27", true},
		{"*:*", "acme/api:1", false},
		{"*/*:*", "acme/api:1", true},
		{"**:*", "nginx:1.27", true},
		{"**:*", "acme/api:1", true},
		{"**:*", "ghcr.io/acme/team/api:pr-12", true},
		{"**:*", "localhost:5000/app:dev", true},
		{"nginx:*", "nginx:1.27", true},
		{"nginx:*", "nginx:1.27-alpine", true},
		{"nginx:*", "acme/nginx:1", false},
		{"nginx:*", "nginxx:1", false},
		{"**/nginx:*", "acme/nginx:1", true},
		{"**/nginx:*", "nginx:1", true}, // a whole-segment **/ matches no segment too
		{"**nginx:*", "acme/nginx:1", true},
		{"ghcr.io/acme/*:*", "ghcr.io/acme/api:1", true},
		{"ghcr.io/acme/*:*", "ghcr.io/acme/team/api:1", false},
		{"ghcr.io/acme/**:pr-*", "ghcr.io/acme/api:pr-12", true},
		{"ghcr.io/acme/**:pr-*", "ghcr.io/acme/team/api:pr-12", true},
		{"ghcr.io/acme/**:pr-*", "ghcr.io/acme/api:v1", false},
		{"ghcr.io/acme/**:pr-*", "ghcr.io/other/api:pr-1", false},
		// ?, classes and braces.
		{"app:v?", "app:v1", true},
		{"app:v?", "app:v10", false},
		{"app?x:1", "app/x:1", false}, // ? does not match '/'
		{"app:v[0-9]", "app:v7", true},
		{"app:v[0-9]", "app:vx", false},
		{"app:[!0-9]*", "app:latest", true},
		{"app:[!0-9]*", "app:1", false},
		{"{nginx,redis}:*", "redis:7", true},
		{"{nginx,redis}:*", "postgres:16", false},
		{"app:{dev,staging}-*", "app:staging-3", true},
		// Registries with a port.
		{"localhost:5000/app:dev", "localhost:5000/app:dev", true},
		{"localhost:5000/app:*", "localhost:5000/app:dev", true},
		{"localhost:5000/*:*", "localhost:5000/app:dev", true},
		{"localhost:*/app:*", "localhost:5000/app:dev", true},
		{"*:*", "localhost:5000/app:dev", false},
		// The tag part is everything after the last ':' that follows the
		// last '/', in the pattern and in the reference, and it never
		// matches '/': a pattern cannot reach from a tag into a registry's
		// port and path.
		{"registry:*", "registry:5000/x:y", false},
		{"registry:5000", "registry:5000", true}, // the image "registry", tag "5000", as docker reads it
		{"registry:5000", "registry:5000/x:y", false},
		{"registry:5000*", "registry:5000/x:y", false},
		{"**:*", "registry:5000/x:y", true},
		{"registry:*/**:*", "registry:5000/x:y", true},
		// Braces may hold whole references, tags and paths.
		{"{nginx:1,redis:2}", "redis:2", true},
		{"{nginx:1,redis:2}", "redis:1", false},
		{"{nginx:1,redis:2}", "nginx:2", false},
		{"{acme/api,api}:1", "acme/api:1", true},
		{"{acme/api,api}:1", "api:1", true},
		{"{ghcr.io/acme/**,quay.io/acme/*}:v*", "quay.io/acme/x:v2", true},
		{"{ghcr.io/acme/**,quay.io/acme/*}:v*", "quay.io/acme/x/y:v2", false},
		// A container created from NAME:TAG@DIGEST is matched by its tag; one
		// created from a digest alone has no tag to match.
		{"nginx:*", "nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
		{"**:*", "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
		// Escapes.
		{`a\pp:\1`, "app:1", true},
		{`app:\1`, "app:x", false},
		// The input is compared in its familiar form.
		{"nginx:*", "docker.io/library/nginx:1", true},
		{"acme/api:*", "docker.io/acme/api:1", true},
	} {
		m, err := CompileRefGlob(tt.pattern)
		if err != nil {
			t.Errorf("CompileRefGlob(%q): %v", tt.pattern, err)
			continue
		}
		if got := m.Match(tt.ref); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.ref, got, tt.want)
		}
		if m.String() != tt.pattern {
			t.Errorf("CompileRefGlob(%q).String() = %q", tt.pattern, m.String())
		}
	}
}

func TestRefGlobNormalised(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pattern, familiar string
		matches           string
	}{
		{"docker.io/library/nginx:*", "nginx:*", "nginx:1"},
		{"docker.io/acme/api:*", "acme/api:*", "acme/api:1"},
		{"index.docker.io/library/redis:7*", "redis:7*", "redis:7.2"},
		{"library/postgres:*", "postgres:*", "postgres:16"},
		{"docker.io/library/*:*", "*:*", "nginx:1"},
		{"docker.io/acme/**:*", "acme/**:*", "acme/a/b:1"},
		{"docker.io/library/ngin?:*", "ngin?:*", "nginx:1"},
	} {
		m, familiar, err := compileRefGlob(tt.pattern)
		if err != nil {
			t.Errorf("compileRefGlob(%q): %v", tt.pattern, err)
			continue
		}
		if familiar != tt.familiar {
			t.Errorf("compileRefGlob(%q) normalised to %q, want %q", tt.pattern, familiar, tt.familiar)
		}
		if !m.Match(tt.matches) {
			t.Errorf("%q does not match %q", tt.pattern, tt.matches)
		}
		if m.String() != tt.pattern {
			t.Errorf("String() = %q, want the pattern as written", m.String())
		}
	}
}

func TestRefGlobErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pattern string
		want    []string // in the error
	}{
		{"nginx", []string{"no tag part", `"nginx:*"`, `"nginx:latest"`}},
		{"**", []string{"no tag part", `"**:*"`}},
		{"localhost:5000/app", []string{"no tag part", `"localhost:5000/app:*"`, `"localhost:5000/app:latest"`}},
		{"ghcr.io/acme/api", []string{`"ghcr.io/acme/api:*"`}},
		{"", []string{"empty pattern"}},
		{"app:{a,b", []string{"invalid glob", "unclosed"}},
		{"app:[", []string{"invalid glob"}},
		{"docker.io/**:*", []string{"other registries", `"**:*"`}},
		{"docker.io/library/**:*", []string{"other registries"}},
		{"docker.io/*/app:*", []string{"other registries"}},
		{"docker.io/{a,b}*/x:*", []string{"other registries"}},
		{"docker.io/ghcr.io/x:*", []string{"other registries"}},
		// ** in the tag part could only mean *: it is refused, with the
		// forms the author may have meant.
		{"registry:**", []string{"** in the tag", `"registry:*"`, `"registry/**:*"`, `"registry:5000/**:*"`}},
		{"localhost:**", []string{"** in the tag"}},
		{"ghcr.io/acme/app:pr-**", []string{"** in the tag", `"ghcr.io/acme/app:pr-*"`}},
		{"{a,b}:x**", []string{"** in the tag", `"a:x*"`}},
		// A repository with no '/' that looks like a registry host is
		// ambiguous: docker reads it as an image name.
		{"localhost:5000", []string{"registry host", `"localhost:5000/**:*"`, `"localhost:5000/app:*"`}},
		{"localhost:*", []string{"registry host", `"localhost/**:*"`}},
		{"registry.example.com:443", []string{"registry host", `"registry.example.com:443/**:*"`}},
		{"registry.example.com:*", []string{"registry host", `"registry.example.com/**:*"`, `"registry[.]example[.]com:*"`}},
		{"{nginx,my.registry}:*", []string{"registry host", `"my.registry/**:*"`}},
		{"localhost:5000:*", []string{"registry host", `"localhost:5000/**:*"`}},
		{"registry:5000[/]x:y", []string{"registry host"}},
		{"registry:5000?x:y", []string{"registry host"}},
		{"a:aaaa**:1", []string{"registry host"}}, // found by FuzzRefGlob
		{"registry.example.com**:*", []string{"registry host"}},
		{"{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}:*", []string{"more than 64 alternatives"}},
	} {
		_, err := CompileRefGlob(tt.pattern)
		if err == nil {
			t.Errorf("CompileRefGlob(%q) succeeded, want an error", tt.pattern)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("CompileRefGlob(%q) error %q does not say %s", tt.pattern, err, w)
			}
		}
	}
	// The way out the hints offer does compile, and matches the image name.
	for _, tt := range []struct{ pattern, ref string }{
		{"registry[.]example[.]com:*", "registry.example.com:1"},
		{"localhos[t]:5000", "localhost:5000"},
	} {
		m, err := CompileRefGlob(tt.pattern)
		if err != nil {
			t.Errorf("CompileRefGlob(%q): %v", tt.pattern, err)
			continue
		}
		if !m.Match(tt.ref) {
			t.Errorf("%q does not match %q", tt.pattern, tt.ref)
		}
	}
}

func TestNameGlob(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pattern, name string
		want          bool
	}{
		{"ci-*", "ci-job-17", true},
		{"ci-*", "build-ci-1", false},
		{"*_default", "myapp_default", true},
		{"buildkitd*", "buildkitd", true},
		{"job-[0-9][0-9]", "job-42", true},
		{"job-[0-9][0-9]", "job-4", false},
		{"{a,b}-?", "b-1", true},
		{"pgdata", "pgdata", true},
		{"pgdata", "pgdata2", false},
	} {
		m, err := CompileNameGlob(tt.pattern)
		if err != nil {
			t.Errorf("CompileNameGlob(%q): %v", tt.pattern, err)
			continue
		}
		if got := m.Match(tt.name); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
	for _, p := range []string{"", "a{b", "[x"} {
		if _, err := CompileNameGlob(p); err == nil {
			t.Errorf("CompileNameGlob(%q) succeeded, want an error", p)
		}
	}
}

func TestLabelValueGlob(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pattern, value string
		want           bool
	}{
		{"*", "", true},
		{"*", "/home/ci/project", true},
		{"true", "true", true},
		{"true", "yes", false},
		{"/home/*", "/home/ci/project", true}, // label values are text, not paths
		{"v1.*", "v1.2", true},
	} {
		m, err := compileLabelValue(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Match(tt.value); got != tt.want {
			t.Errorf("label value %q matches %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
		if m.String() != tt.pattern {
			t.Errorf("String() = %q, want %q", m.String(), tt.pattern)
		}
	}
}

func TestRegex(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		// Anchored at both ends.
		{`app:v\d+`, "app:v12", true},
		{`app:v\d+`, "app:v12-rc", false},
		{`app:v\d+`, "acme/app:v12", false},
		{`registry.example.com/app:v\d+\.\d+\.\d+`, "registry.example.com/app:v1.2.3", true},
		{`registry.example.com/app:v\d+\.\d+\.\d+`, "registry.example.com/app:v1.2.3-rc1", false},
		// Alternation stays inside the anchors.
		{`a:1|b:2`, "a:1", true},
		{`a:1|b:2`, "a:1x", false},
		{`a:1|b:2`, "xb:2", false},
		{`.*`, "anything/at:all", true},
		{`.*:pr-\d+`, "ghcr.io/acme/api:pr-7", true},
	} {
		m, err := CompileRegex(tt.pattern)
		if err != nil {
			t.Errorf("CompileRegex(%q): %v", tt.pattern, err)
			continue
		}
		if got := m.Match(tt.s); got != tt.want {
			t.Errorf("regex %q matches %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
		if m.String() != tt.pattern {
			t.Errorf("String() = %q, want %q", m.String(), tt.pattern)
		}
	}
	for _, p := range []string{"(abc", "a**", `\p{Nope}`, "x)|(y", `[a-z]{1000}` + strings.Repeat(`(x|y){1000}`, 10)} {
		_, err := CompileRegex(p)
		if err == nil {
			t.Errorf("CompileRegex(%q) succeeded, want an error", p)
			continue
		}
		if !strings.Contains(err.Error(), "invalid regular expression") {
			t.Errorf("CompileRegex(%q) error %q", p, err)
		}
	}
}

func TestNormalizeRef(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"docker.io/library/nginx:1":            "nginx:1",
		"docker.io/acme/x:1":                   "acme/x:1",
		"index.docker.io/library/nginx:1":      "nginx:1",
		"index.docker.io/acme/x:1":             "acme/x:1",
		"registry-1.docker.io/library/redis:7": "redis:7",
		"library/nginx:1":                      "nginx:1",
		"docker.io/library/a/b:1":              "library/a/b:1",
		"nginx:1":                              "nginx:1",
		"acme/x:1":                             "acme/x:1",
		"ghcr.io/acme/api:pr-12":               "ghcr.io/acme/api:pr-12",
		"localhost:5000/app:dev":               "localhost:5000/app:dev",
		"docker.io.example.com/app:1":          "docker.io.example.com/app:1",
		"docker.io/":                           "docker.io/",
		"":                                     "",
	} {
		if got := NormalizeRef(in); got != want {
			t.Errorf("NormalizeRef(%q) = %q, want %q", in, got, want)
		}
	}
}

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// Digest patterns, REPOSITORY@DIGEST, match digest references: those of an
// image (policy.Image.Digests) and the reference a container was created
// from; tag references have no digest to match.
func TestDigestGlob(t *testing.T) {
	for _, tt := range []struct {
		pattern, ref string
		want         bool
	}{
		{"ghcr.io/acme/app@*", "ghcr.io/acme/app@" + testDigest, true},
		{"ghcr.io/acme/app@*", "ghcr.io/acme/app:1", false},
		{"ghcr.io/acme/app@*", "ghcr.io/acme/other@" + testDigest, false},
		{"ghcr.io/acme/*@*", "ghcr.io/acme/other@" + testDigest, true},
		{"ghcr.io/acme/**@*", "ghcr.io/acme/team/app@" + testDigest, true},
		{"app@sha256:*", "app@" + testDigest, true},
		{"app@sha256:0123*", "app@" + testDigest, true},
		{"app@sha256:f*", "app@" + testDigest, false},
		{"app@" + testDigest, "app@" + testDigest, true},
		{"**@*", "localhost:5000/x@" + testDigest, true},
		{"nginx@*", "nginx:1.27@" + testDigest, true}, // a container's NAME:TAG@DIGEST
		{"nginx@*", "docker.io/library/nginx@" + testDigest, true},
		{"docker.io/library/nginx@*", "nginx@" + testDigest, true},
		{"{nginx:*,nginx@*}", "nginx@" + testDigest, true},
		{"{nginx:*,nginx@*}", "nginx:1", true},
	} {
		m, err := CompileRefGlob(tt.pattern)
		if err != nil {
			t.Errorf("CompileRefGlob(%q): %v", tt.pattern, err)
			continue
		}
		if got := m.Match(tt.ref); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.ref, got, tt.want)
		}
	}
}

// Patterns that no reference docker can hold would match are refused:
// their author believes they select (or protect) something.
func TestRefGlobNeverMatches(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		want    []string // in the error
	}{
		{"app:v 1", []string{"can never match", `" "`, "tag"}},
		{"app:v1~", []string{"can never match", `"~"`}},
		{"my app:*", []string{"can never match", `" "`, "repository"}},
		{"app:", []string{"can never match", "empty tag"}},
		{":*", []string{"can never match", "empty repository"}},
		{"app@latest", []string{"can never match", "digest", "sha256:"}},
		{"app@sha256:xyz", []string{"can never match", "digest"}},
		{"app@sha256", []string{"can never match", "digest"}},
		{"app@**", []string{"can never match", "**"}},
		{"app@sha256:*@x", []string{"can never match", "one '@'"}},
		{"app:1@sha256:*", []string{"can never match", `"app@sha256:*"`}},
		{"@*", []string{"can never match", "empty repository"}},
		{"localhost:5000@*", []string{"registry host"}},
	} {
		_, err := CompileRefGlob(tt.pattern)
		if err == nil {
			t.Errorf("CompileRefGlob(%q) succeeded, want an error", tt.pattern)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("CompileRefGlob(%q) error %q does not say %s", tt.pattern, err, w)
			}
		}
	}
}

// Regexes are matched against familiar references, so one that starts
// with a Docker Hub prefix can never match; the error shows the form to
// write. One that needs an '@' matches only digest references.
func TestRegexProblems(t *testing.T) {
	for _, tt := range []struct {
		pattern  string
		familiar string // "" when the regex is fine
		digest   bool
	}{
		{`docker.io/library/nginx:.*`, `nginx:.*`, false},
		{`docker\.io/library/nginx:.*`, `nginx:.*`, false},
		{`^docker\.io/acme/app:v\d+`, `acme/app:v\d+`, false},
		{`index.docker.io/library/redis:7.*`, `redis:7.*`, false},
		{`registry-1\.docker\.io/acme/x:.*`, `acme/x:.*`, false},
		{`library/postgres:.*`, `postgres:.*`, false},
		{`docker.io/.*`, `.*`, false},
		{`nginx:.*`, ``, false},
		{`(docker\.io/)?nginx:.*`, ``, false},
		{`docker.io.example.com/app:.*`, ``, false},
		{`app@sha256:.*`, ``, true},
		{`app(@sha256)+:.*`, ``, true},
		{`app(@sha256)?:.*`, ``, false},
		{`app[@]x:.*`, ``, true},
		{`app(:1|@sha256:.*)`, ``, false},
		{`app@x|y@z`, ``, true},
	} {
		familiar, ok := hubRegex(tt.pattern)
		if ok != (tt.familiar != "") || familiar != tt.familiar {
			t.Errorf("hubRegex(%q) = %q, %v; want %q", tt.pattern, familiar, ok, tt.familiar)
		}
		if got := regexNeedsAt(tt.pattern); got != tt.digest {
			t.Errorf("regexNeedsAt(%q) = %v, want %v", tt.pattern, got, tt.digest)
		}
	}
}

// Matching takes time linear in the pattern and the name: the glob
// library's backtracking took 48s for "*a*a*a*a*b*" against 255 a's, and
// more with every star. A pattern is also at most 1024 characters.
func TestGlobsMatchInLinearTime(t *testing.T) {
	name := strings.Repeat("a", 255)
	path := strings.Repeat("a/", 127) + "a"
	for _, k := range []int{4, 16, 200} {
		stars := strings.Repeat("*a", k) + "*b*"
		supers := strings.Repeat("**a", k) + "**b**"
		for _, c := range []struct {
			kind    string
			compile func(string) (Matcher, error)
			p, s    string
		}{
			{"name", CompileNameGlob, stars, name},
			{"name", CompileNameGlob, supers, path},
			{"reference", CompileRefGlob, stars + ":*", name + ":1"},
			{"reference", CompileRefGlob, "x/" + supers + ":*", "x/" + path + ":1"},
			{"reference", CompileRefGlob, "a:" + stars, "a:" + name[:127]},
			{"label value", compileLabelValue, stars, name},
		} {
			m, err := c.compile(c.p)
			if err != nil {
				t.Errorf("%s glob %q: %v", c.kind, c.p, err)
				continue
			}
			if m.Match(c.s) {
				t.Errorf("%s glob %q matches %q", c.kind, c.p, c.s)
			}
		}
	}
	long := strings.Repeat("a", 1025) + ":*"
	for _, compile := range []func(string) (Matcher, error){CompileRefGlob, CompileNameGlob, compileLabelValue, CompileRegex} {
		if _, err := compile(long); err == nil || !strings.Contains(err.Error(), "1024") {
			t.Errorf("a pattern of %d characters: %v", len(long), err)
		}
	}
}
