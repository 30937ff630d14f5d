// Package policyfile finds the policy a command uses and loads it: the
// --policy flag, then $DOCKER_SHAPER_POLICY, then the config directory's
// policy.hcl, then the embedded default. A policy named explicitly must
// be there: an empty flag or variable, or a file that does not exist or is
// not a regular file, is an error, never a quiet fall back to the default.
package policyfile

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/hashicorp/hcl/v2"
)

const (
	// Env names the environment variable that points at a policy.
	Env = "DOCKER_SHAPER_POLICY"
	// EmbeddedName is how the embedded default policy is shown to users.
	EmbeddedName = "embedded default"
	// embeddedFilename names the embedded default policy in diagnostics.
	embeddedFilename = "default.hcl"
)

//go:embed default.hcl
var defaultPolicy []byte

// Default is the embedded default policy's source.
func Default() []byte { return defaultPolicy }

// Lookup is where a command looks for its policy.
type Lookup struct {
	// Flag is --policy, and FlagSet whether it was given at all (an empty
	// --policy "" is an error, not the lack of one).
	Flag    string
	FlagSet bool
	// Getenv reads the environment (os.LookupEnv).
	Getenv func(string) (string, bool)
	// ConfigDir is the docker CLI's configuration directory.
	ConfigDir string
}

// Source is the policy a lookup found: a file, or the embedded default
// (Path "").
type Source struct {
	Path string
	// Named says the path was asked for (flag or environment), so it must
	// exist; Via says by what, for messages.
	Named bool
	Via   string
}

// Name is the source as users are told about it.
func (s Source) Name() string {
	if s.Path == "" {
		return EmbeddedName
	}
	return s.Path
}

// Find returns the policy to use, in lookup order: the flag, the
// environment variable, <ConfigDir>/shaper/policy.hcl when it exists, the
// embedded default.
func (l Lookup) Find() (Source, error) {
	if l.FlagSet {
		if l.Flag == "" {
			return Source{}, errors.New(`--policy "" names no file: give a policy file, or leave --policy out for the usual lookup`)
		}
		return Source{Path: l.Flag, Named: true, Via: "--policy"}, nil
	}
	if p, ok := l.getenv(Env); ok {
		if p == "" {
			return Source{}, fmt.Errorf("$%s is set but empty: set it to a policy file, or unset it for the usual lookup", Env)
		}
		return Source{Path: p, Named: true, Via: "$" + Env}, nil
	}
	p := filepath.Join(l.ConfigDir, "shaper", "policy.hcl")
	switch _, err := os.Stat(p); {
	case err == nil:
		return Source{Path: p}, nil
	case errors.Is(err, fs.ErrNotExist):
		return Source{}, nil
	default:
		return Source{}, fmt.Errorf("looking for a policy at %s: %w", p, err)
	}
}

func (l Lookup) getenv(name string) (string, bool) {
	if l.Getenv == nil {
		return os.LookupEnv(name)
	}
	return l.Getenv(name)
}

// Loaded is a policy and what users are told about where it came from.
type Loaded struct {
	Policy *policy.Policy
	Source Source
	// Diags are the loader's diagnostics (warnings only when Policy is
	// set); Files renders them with source snippets.
	Diags  hcl.Diagnostics
	loader *policy.Loader
}

// Name is where the policy came from, as users are told.
func (l *Loaded) Name() string { return l.Source.Name() }

// Files are the sources the diagnostics point into.
func (l *Loaded) Files() map[string]*hcl.File { return l.loader.Files() }

// Load loads the policy of src. A policy with errors is never returned:
// the error is a *LoadError, which carries the diagnostics to render.
func Load(src Source) (*Loaded, error) {
	l := &Loaded{Source: src, loader: policy.NewLoader()}
	if src.Path == "" {
		l.Policy, l.Diags = l.loader.Load(embeddedFilename, defaultPolicy)
		if l.Policy != nil {
			l.Policy.QuietUnclaimed = true
		}
	} else {
		l.Policy, l.Diags = l.loader.LoadFile(src.Path)
		if src.Via == "$"+Env && l.Policy == nil && len(l.Diags) == 1 && l.Diags[0].Subject == nil {
			// The file could not be read: say where its name came from,
			// a variable set long ago and forgotten.
			l.Diags[0].Detail += fmt.Sprintf(" $%s names this file: point it at a policy file, or unset it "+
				"for the usual lookup ($DOCKER_CONFIG/shaper/policy.hcl, then the embedded default).", Env)
		}
	}
	if l.Diags.HasErrors() {
		return nil, &LoadError{Loaded: l}
	}
	return l, nil
}

// LoadSource loads a policy given as text, named name in diagnostics: the
// standard input of validate -. Like Load, it never returns a policy with
// errors.
func LoadSource(name string, src []byte) (*Loaded, error) {
	l := &Loaded{Source: Source{Path: name, Named: true}, loader: policy.NewLoader()}
	l.Policy, l.Diags = l.loader.Load(name, src)
	if l.Diags.HasErrors() {
		return nil, &LoadError{Loaded: l}
	}
	return l, nil
}

// LoadError is a policy that did not load: its diagnostics say why.
type LoadError struct{ Loaded *Loaded }

func (e *LoadError) Error() string {
	n := 0
	for _, d := range e.Loaded.Diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	count := fmt.Sprintf("%d errors", n)
	if n == 1 {
		count = "1 error"
	}
	msg := fmt.Sprintf("policy %s has %s: nothing was done", e.Loaded.Name(), count)
	if e.Loaded.Source.Via != "" && e.Loaded.Source.Via != "--policy" {
		msg = fmt.Sprintf("policy %s (from %s) has %s: nothing was done", e.Loaded.Name(), e.Loaded.Source.Via, count)
	}
	return msg
}

// RuleCount is the number of rules in p (protect blocks are not rules).
func RuleCount(p *policy.Policy) int {
	n := len(p.Images) + len(p.Containers) + len(p.Volumes) + len(p.Networks)
	if p.BuildCache != nil {
		n++
	}
	return n
}
