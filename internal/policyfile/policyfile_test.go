package policyfile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// env is an environment for Lookup.Getenv.
type env map[string]string

func (e env) get(name string) (string, bool) {
	v, ok := e[name]
	return v, ok
}

func TestLookupOrder(t *testing.T) {
	t.Parallel()
	configDir := t.TempDir()
	configPolicy := filepath.Join(configDir, "shaper", "policy.hcl")
	find := func(l Lookup) string {
		t.Helper()
		l.ConfigDir = configDir
		if l.Getenv == nil {
			l.Getenv = env{}.get
		}
		src, err := l.Find()
		if err != nil {
			t.Fatalf("Find(%+v): %v", l, err)
		}
		return src.Path
	}

	// Nothing anywhere: the embedded default.
	if got := find(Lookup{}); got != "" {
		t.Errorf("nothing anywhere: %q, want the embedded default", got)
	}
	// The config dir's policy, once it exists.
	if err := os.MkdirAll(filepath.Dir(configPolicy), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configPolicy, []byte("# empty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := find(Lookup{}); got != configPolicy {
		t.Errorf("with a config policy: %q", got)
	}
	// The environment wins over the config dir, even when the file is
	// missing: it was asked for, so loading it reports the problem.
	withEnv := env{Env: "/elsewhere/env.hcl"}.get
	if got := find(Lookup{Getenv: withEnv}); got != "/elsewhere/env.hcl" {
		t.Errorf("with the variable: %q", got)
	}
	// The flag wins over everything.
	if got := find(Lookup{Flag: "ci.hcl", FlagSet: true, Getenv: withEnv}); got != "ci.hcl" {
		t.Errorf("with the flag: %q", got)
	}
}

// An explicitly empty policy path is an error, never the embedded
// default: `prune -f --policy "$UNSET"` once removed 402 objects that way.
func TestEmptyPolicyPathIsAnError(t *testing.T) {
	t.Parallel()
	for name, l := range map[string]Lookup{
		"flag":     {Flag: "", FlagSet: true, Getenv: env{}.get},
		"variable": {Getenv: env{Env: ""}.get},
		"both":     {Flag: "", FlagSet: true, Getenv: env{Env: ""}.get},
	} {
		l.ConfigDir = t.TempDir()
		if src, err := l.Find(); err == nil {
			t.Errorf("%s: Find = %+v, want an error", name, src)
		}
	}
}

// A config directory that cannot be looked into is an error, not "no
// policy there". A plain file where the directory should be fails the
// same way for root, which is how CI runs.
func TestLookupConfigDirUnreadable(t *testing.T) {
	t.Parallel()
	configDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(configDir, "shaper"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l := Lookup{ConfigDir: configDir, Getenv: env{}.get}
	if src, err := l.Find(); err == nil {
		t.Errorf("Find with a file in the way = %+v, want an error", src)
	}
}

func TestEmbeddedDefaultLoadsCleanly(t *testing.T) {
	t.Parallel()
	lp, err := Load(Source{})
	if err != nil {
		t.Fatalf("embedded default: %v", err)
	}
	if len(lp.Diags) > 0 {
		t.Errorf("embedded default has diagnostics: %v", lp.Diags)
	}
	if lp.Name() != EmbeddedName {
		t.Errorf("Name = %q, want %q", lp.Name(), EmbeddedName)
	}
	p := lp.Policy
	// Conservative: no volume rule, nothing removed young, compose left alone.
	if len(p.Volumes) != 0 {
		t.Errorf("the default has %d volume rules; volumes hold data, want none", len(p.Volumes))
	}
	if len(p.Containers) != 1 || len(p.Containers[0].ExcludeLabels) != 1 ||
		p.Containers[0].ExcludeLabels[0].Key != "com.docker.compose.project" {
		t.Errorf("container rules = %+v, want one that leaves compose projects alone", p.Containers)
	}
	for _, r := range p.Containers {
		if slices.Contains(r.Status, "running") {
			t.Errorf("rule %s claims running containers", r.Name())
		}
	}
	if n := len(p.Images); n == 0 || p.Images[n-1].Match == nil || !p.Images[n-1].HasKeep {
		t.Errorf("image rules = %+v, want a last catch-all with keep", p.Images)
	}
	if p.BuildCache == nil || len(p.Networks) != 1 || len(p.Protects) != 1 {
		t.Errorf("want a build_cache rule, one network rule and one protect block: %+v", p)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.hcl")
	if err := os.WriteFile(path, []byte("image \"x\" {\n  match = [\"nginx\"]\n  kep = 3\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lp, err := Load(Source{Path: path, Named: true, Via: "--policy"})
	if lp != nil {
		t.Error("a policy with errors was returned")
	}
	var le *LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "2 errors: nothing was done") || len(le.Loaded.Diags) != 2 {
		t.Errorf("err = %v, want a LoadError counting 2 errors", err)
	}

	// A missing file named by the variable says so.
	_, err = Load(Source{Path: filepath.Join(t.TempDir(), "nope.hcl"), Named: true, Via: "$" + Env})
	if err == nil || !strings.Contains(err.Error(), "nope.hcl (from $DOCKER_SHAPER_POLICY)") {
		t.Errorf("err = %v: want an error naming the file and the variable", err)
	}
	if errors.As(err, &le) {
		if d := le.Loaded.Diags[0].Detail; !strings.Contains(d, "$DOCKER_SHAPER_POLICY names this file") {
			t.Errorf("detail = %q: want it to name the variable and say what to do", d)
		}
	}
}

// The embedded default's rules are written for any host: on one where they
// have nothing to do, that is not the user's mistake to be warned about.
func TestEmbeddedDefaultQuietUnclaimed(t *testing.T) {
	t.Parallel()
	lp, err := Load(Source{})
	if err != nil {
		t.Fatal(err)
	}
	if !lp.Policy.QuietUnclaimed {
		t.Error("the embedded default warns about rules that claim nothing")
	}
	path := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(path, Default(), 0o644); err != nil {
		t.Fatal(err)
	}
	if lp, err = Load(Source{Path: path}); err != nil || lp.Policy.QuietUnclaimed {
		t.Errorf("a user's file (the default's text) is quiet about unclaimed rules: %v", err)
	}
}

func TestLoadSource(t *testing.T) {
	t.Parallel()
	lp, err := LoadSource("<stdin>", []byte("volume \"v\" {\n  older_than = \"7d\"\n}\n"))
	if err != nil || lp.Name() != "<stdin>" || RuleCount(lp.Policy) != 1 || lp.Policy.QuietUnclaimed {
		t.Fatalf("LoadSource: %v, %+v", err, lp)
	}
	_, err = LoadSource("<stdin>", []byte("volume \"v\" {\n  older_than = 7\n}\n"))
	var le *LoadError
	if !errors.As(err, &le) || le.Loaded.Diags[0].Subject.Filename != "<stdin>" {
		t.Errorf("err = %v, want a LoadError located in <stdin>", err)
	}
}
