package plugin

import (
	"os"
	"path/filepath"
	"testing"
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
