package plugin

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/cli/cli"
)

func TestPolicyPathLookupOrder(t *testing.T) {
	configDir := t.TempDir()
	configPolicy := filepath.Join(configDir, "shaper", "policy.hcl")

	// Nothing anywhere: the embedded default.
	t.Setenv(policyEnv, "")
	assertPolicyPath(t, "", configDir, "")

	// The config dir's policy, once it exists.
	if err := os.MkdirAll(filepath.Dir(configPolicy), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configPolicy, []byte("# empty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	assertPolicyPath(t, "", configDir, configPolicy)

	// The environment wins over the config dir, even when the file is
	// missing: it was asked for, so loading it reports the problem.
	t.Setenv(policyEnv, "/elsewhere/env.hcl")
	assertPolicyPath(t, "", configDir, "/elsewhere/env.hcl")

	// The flag wins over everything.
	assertPolicyPath(t, "ci.hcl", configDir, "ci.hcl")
}

func TestPolicyPathConfigDirUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	configDir := t.TempDir()
	if err := os.Mkdir(filepath.Join(configDir, "shaper"), 0o000); err != nil {
		t.Fatal(err)
	}
	t.Setenv(policyEnv, "")
	if _, err := policyPath("", configDir); err == nil {
		t.Error("policyPath with an unreadable config dir: want an error")
	}
}

func assertPolicyPath(t *testing.T, flag, configDir, want string) {
	t.Helper()
	got, err := policyPath(flag, configDir)
	if err != nil {
		t.Fatalf("policyPath(%q, %q): %v", flag, configDir, err)
	}
	if got != want {
		t.Errorf("policyPath(%q, %q) = %q, want %q", flag, configDir, got, want)
	}
}

func TestEmbeddedDefaultLoadsCleanly(t *testing.T) {
	var errOut bytes.Buffer
	lp, err := loadPolicyFile(&errOut, "")
	if err != nil {
		t.Fatalf("embedded default: %v\n%s", err, errOut.String())
	}
	if len(lp.Diags) > 0 || errOut.Len() > 0 {
		t.Errorf("embedded default has diagnostics: %v\n%s", lp.Diags, errOut.String())
	}
	if lp.Name != embeddedName {
		t.Errorf("Name = %q, want %q", lp.Name, embeddedName)
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

func TestLoadPolicyFileErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.hcl")
	if err := os.WriteFile(path, []byte("image \"x\" {\n  match = [\"nginx\"]\n  kep = 3\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	lp, err := loadPolicyFile(&errOut, path)
	if lp != nil {
		t.Error("a policy with errors was returned")
	}
	var st cli.StatusError
	if !errors.As(err, &st) || st.StatusCode != 1 || !strings.Contains(st.Status, "2 errors: nothing was done") {
		t.Errorf("err = %#v, want a StatusError with exit code 1 counting 2 errors", err)
	}
	for _, want := range []string{"bad.hcl line 2", `match = ["nginx"]`, "bad.hcl line 3", `Did you mean "keep"?`} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("diagnostics lack %q:\n%s", want, errOut.String())
		}
	}
	if strings.Contains(errOut.String(), "\x1b[") {
		t.Errorf("diagnostics to a non-terminal are coloured:\n%q", errOut.String())
	}
}

func TestLoadPolicyFileMissing(t *testing.T) {
	var errOut bytes.Buffer
	_, err := loadPolicyFile(&errOut, filepath.Join(t.TempDir(), "nope.hcl"))
	if err == nil || !strings.Contains(errOut.String(), "nope.hcl") {
		t.Errorf("err = %v, diagnostics %q: want an error naming the file", err, errOut.String())
	}
}
