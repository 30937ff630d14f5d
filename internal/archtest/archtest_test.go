package archtest

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/docker-shaper/docker-shaper"

// allowed lists, for each package of the module, the module's packages it
// may import (besides itself). Dependencies point one way: cmd, then
// commands, then the packages that do the work, then policy.
var allowed = map[string][]string{
	"cmd/docker-shaper":   {"internal/commands"},
	"internal/commands":   {"internal/apply", "internal/clock", "internal/docker", "internal/logging", "internal/metrics", "internal/policyfile", "internal/render", "internal/status", "internal/store", "internal/watch", "policy"},
	"internal/metrics":    {"internal/apply", "internal/clock", "internal/store", "internal/watch", "policy"},
	"internal/status":     {"internal/apply", "internal/clock", "internal/docker", "internal/logging", "internal/policyfile", "internal/render", "internal/store", "policy"},
	"internal/watch":      {"internal/apply", "internal/clock", "internal/docker", "internal/logging", "internal/policyfile", "internal/render", "internal/store", "policy"},
	"internal/docker":     {"internal/apply", "internal/clock", "internal/logging", "policy"},
	"internal/apply":      {"internal/clock", "internal/logging", "policy"},
	"internal/store":      {"internal/logging", "policy"},
	"internal/render":     {"internal/apply", "policy"},
	"internal/policyfile": {"policy"},
	"internal/logging":    {},
	"internal/clock":      {},
	"internal/archtest":   {},
	"policy":              {},
	// Test support, never linked into the plugin (checked below).
	"internal/fixture":      {},
	"internal/fixture/idle": {},
	"scripts/mkfixtures":    {"internal/clock", "internal/fixture"},
	// Tests of the deployment files, no code of their own.
	"contrib": {},
}

// The Docker API's packages: only internal/docker may import them (and the
// fixture package that makes test images through the API).
var mobyPrefixes = []string{"github.com/moby/moby/", "github.com/docker/docker/"}

var mayImportMoby = []string{"internal/docker", "internal/fixture"}

// policy is pure: what it may import from outside the standard library,
// and the standard packages it may not (no network, no processes, no
// logging: reading the policy file is its only I/O).
var (
	policyThirdParty = []string{
		"github.com/hashicorp/hcl/v2", "github.com/zclconf/go-cty/", "github.com/gobwas/glob",
		"github.com/hashicorp/go-version", "github.com/docker/go-units", "github.com/agext/levenshtein",
	}
	// (syscall is allowed: opening the policy file without blocking on a FIFO.)
	policyForbiddenStd = []string{"net", "os/exec", "os/signal", "log", "log/slog", "database/", "plugin"}
)

type pkg struct {
	ImportPath   string
	Dir          string
	GoFiles      []string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
}

func listPackages(t *testing.T, args ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }

func TestImportsPointOneWay(t *testing.T) {
	for _, p := range listPackages(t, "./...") {
		name := rel(p.ImportPath)
		allow, known := allowed[name]
		if !known {
			t.Errorf("%s: a package the architecture does not know: add it to allowed, and to docs/architecture.md", name)
			continue
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) && !slices.Contains(allow, rel(imp)) {
				t.Errorf("%s imports %s: not one of %v", name, rel(imp), allow)
			}
			for _, moby := range mobyPrefixes {
				if strings.HasPrefix(imp, moby) && !slices.Contains(mayImportMoby, name) {
					t.Errorf("%s imports %s: only internal/docker talks to the Docker API", name, imp)
				}
			}
		}
	}
}

func TestPolicyIsPure(t *testing.T) {
	for _, p := range listPackages(t, "./policy") {
		for _, imp := range p.Imports {
			std := !strings.Contains(strings.Split(imp, "/")[0], ".")
			switch {
			case std:
				for _, bad := range policyForbiddenStd {
					if imp == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(imp, bad) || strings.HasPrefix(imp, bad+"/") {
						t.Errorf("policy imports %s: the engine does no I/O but reading the policy file", imp)
					}
				}
			case !slices.ContainsFunc(policyThirdParty, func(a string) bool { return strings.HasPrefix(imp, a) }):
				t.Errorf("policy imports %s: not one of %v", imp, policyThirdParty)
			}
		}
	}
}

// The fixture package is test support: the plugin never links it.
func TestPluginLinksNoTestSupport(t *testing.T) {
	for _, p := range listPackages(t, "-deps", "./cmd/docker-shaper") {
		if strings.HasPrefix(p.ImportPath, module+"/internal/fixture") {
			t.Errorf("the plugin links %s", p.ImportPath)
		}
	}
}

// Only internal/clock reads the wall clock; everything else is given a
// clock, so tests choose the time and run in parallel.
func TestOnlyClockReadsTheClock(t *testing.T) {
	for _, p := range listPackages(t, "./...") {
		if rel(p.ImportPath) == "internal/clock" {
			continue
		}
		fset := token.NewFileSet()
		for _, name := range p.GoFiles {
			path := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			timeName := ""
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == "time" {
					timeName = "time"
					if imp.Name != nil {
						timeName = imp.Name.Name
					}
				}
			}
			if timeName == "" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == timeName && slices.Contains([]string{"Now", "Since", "Until"}, sel.Sel.Name) {
					t.Errorf("%s: time.%s reads the wall clock: take a clock.Clock", fset.Position(sel.Pos()), sel.Sel.Name)
				}
				return true
			})
		}
	}
}
