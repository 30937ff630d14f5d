package plugin

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli/config"
	"github.com/hashicorp/hcl/v2"
)

const (
	// policyEnv names the environment variable that points at a policy.
	policyEnv = "DOCKER_SHAPER_POLICY"
	// embeddedName is how the embedded default policy is shown to users.
	embeddedName = "embedded default"
	// embeddedFilename names the embedded default policy in diagnostics.
	embeddedFilename = "default.hcl"
)

//go:embed default.hcl
var defaultPolicy []byte

// policyPath returns the policy file to use, in lookup order: the --policy
// flag, $DOCKER_SHAPER_POLICY, then <configDir>/shaper/policy.hcl when it
// exists. It returns "" when none applies: the embedded default is used. A
// file named explicitly (flag or environment) must exist.
func policyPath(flagValue, configDir string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := os.Getenv(policyEnv); p != "" {
		return p, nil
	}
	p := filepath.Join(configDir, "shaper", "policy.hcl")
	switch _, err := os.Stat(p); {
	case err == nil:
		return p, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	default:
		return "", fmt.Errorf("looking for a policy: %w", err)
	}
}

// loadedPolicy is a policy and what users are told about where it came from.
type loadedPolicy struct {
	Policy *policy.Policy
	// Name is the file's path, or "embedded default".
	Name string
	// Diags are the loader's diagnostics (warnings only when Policy is set).
	Diags  hcl.Diagnostics
	loader *policy.Loader
}

// loadPolicy finds and loads the policy (see policyPath; config.Dir honours
// DOCKER_CONFIG and docker --config). A policy with errors is never used:
// its diagnostics are rendered to errOut and the error is a StatusError with
// exit code 1. Warnings are left to the caller, in Diags.
func loadPolicy(errOut io.Writer, flagValue string) (*loadedPolicy, error) {
	path, err := policyPath(flagValue, config.Dir())
	if err != nil {
		return nil, err
	}
	return loadPolicyFile(errOut, path)
}

// loadPolicyFile loads the policy at path, or the embedded default when path
// is "", as loadPolicy does.
func loadPolicyFile(errOut io.Writer, path string) (*loadedPolicy, error) {
	lp := &loadedPolicy{loader: policy.NewLoader()}
	if path == "" {
		lp.Name = embeddedName
		lp.Policy, lp.Diags = lp.loader.Load(embeddedFilename, defaultPolicy)
	} else {
		lp.Name = path
		lp.Policy, lp.Diags = lp.loader.LoadFile(path)
	}
	if lp.Diags.HasErrors() {
		if err := lp.renderDiagnostics(errOut); err != nil {
			return nil, err
		}
		return nil, cli.StatusError{
			StatusCode: 1,
			Status:     fmt.Sprintf("policy %s has %s: nothing was done", lp.Name, countErrors(lp.Diags)),
		}
	}
	return lp, nil
}

// renderDiagnostics writes the policy's diagnostics to w, with source snippets.
func (lp *loadedPolicy) renderDiagnostics(w io.Writer) error {
	return renderDiagnostics(w, lp.loader.Files(), lp.Diags)
}

// ruleCount is the number of rules in p (protect blocks are not rules).
func ruleCount(p *policy.Policy) int {
	n := len(p.Images) + len(p.Containers) + len(p.Volumes) + len(p.Networks)
	if p.BuildCache != nil {
		n++
	}
	return n
}

// countErrors says how many errors diags has: "1 error", "3 errors".
func countErrors(diags hcl.Diagnostics) string {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	return plural(n, "error", "errors")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
