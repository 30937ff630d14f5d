package policy_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"

	"github.com/docker-shaper/docker-shaper/policy"
)

// pat stands for a compiled pattern in expected values: matchers compare by
// the text the user wrote.
type pat string

func (p pat) Match(string) bool { return false }
func (p pat) String() string    { return string(p) }

func pats(ps ...string) []policy.Matcher {
	ms := make([]policy.Matcher, len(ps))
	for i, p := range ps {
		ms[i] = pat(p)
	}
	return ms
}

var policyCmp = []cmp.Option{
	cmp.Comparer(func(a, b policy.Matcher) bool { return a.String() == b.String() }),
	cmpopts.IgnoreTypes(hcl.Range{}),
	cmpopts.EquateEmpty(),
}

// The example of the design document (policy.md §2) loads cleanly, and
// every value in it lands where the engine expects it.
func TestLoadDesignExample(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	l := policy.NewLoader()
	got, diags := l.LoadFile("testdata/policy-md.hcl")
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", render(l, diags))
	}
	want := &policy.Policy{
		Filename:      "testdata/policy-md.hcl",
		ProtectLatest: true,
		AgeBasis:      policy.BasisSeen,
		Protects: []*policy.Protect{{
			Label:      "base images",
			Images:     pats("python:*", "debian:*", "**:stable"),
			Labels:     []policy.LabelSelector{{Key: "shaper.keep", Value: pat("true")}},
			Containers: pats("buildkitd*"),
			Volumes:    pats("pgdata"),
		}},
		Images: []*policy.ImageRule{
			{
				Label:     "pull requests",
				Match:     pats("ghcr.io/acme/**:pr-*"),
				Exclude:   pats("ghcr.io/acme/**:pr-keep-*"),
				Keep:      3,
				HasKeep:   true,
				OlderThan: 7 * day,
				AgeBasis:  policy.BasisSeen,
				OrderBy:   policy.OrderAge,
			},
			{
				Label:    "releases",
				Match:    pats(`registry.example.com/app:v\d+\.\d+\.\d+`),
				Keep:     5,
				HasKeep:  true,
				AgeBasis: policy.BasisSeen,
				OrderBy:  policy.OrderVersion,
			},
			{
				Label:     "everything else",
				Match:     pats("**:*"),
				UnusedFor: 14 * day,
				MaxSize:   30_000_000_000,
				AgeBasis:  policy.BasisSeen,
				OrderBy:   policy.OrderAge,
			},
			{
				Label:     "dangling",
				Dangling:  true,
				OlderThan: day,
				AgeBasis:  policy.BasisSeen,
				OrderBy:   policy.OrderAge,
			},
		},
		Containers: []*policy.ContainerRule{
			{
				Label:         "finished jobs",
				Status:        []string{"exited", "dead", "created"},
				OlderThan:     6 * time.Hour,
				ExcludeLabels: []policy.LabelSelector{{Key: "com.docker.compose.project", Value: pat("*")}},
			},
			{
				Label:     "runaway ci jobs",
				Status:    []string{"running"},
				Names:     pats("ci-*"),
				OlderThan: 12 * time.Hour,
			},
		},
		Volumes: []*policy.VolumeRule{{Label: "anonymous", OlderThan: 3 * day}},
		Networks: []*policy.NetworkRule{{
			Label:     "leftovers",
			Names:     pats("ci_*", "*_default"),
			OlderThan: day,
		}},
		BuildCache: &policy.BuildCacheRule{UnusedFor: 7 * day, KeepStorage: 20_000_000_000},
	}
	if diff := cmp.Diff(want, got, policyCmp...); diff != "" {
		t.Errorf("decoded policy (-want +got):\n%s", diff)
	}

	// Rules point at their headers, for plans and explain.
	if r := got.Images[1].DeclRange; r.Start.Line != 19 || r.Filename != "testdata/policy-md.hcl" {
		t.Errorf("image.releases DeclRange = %v, want line 19", r)
	}
	if r := got.BuildCache.DeclRange; r.Start.Line != 57 {
		t.Errorf("build_cache DeclRange = %v, want line 57", r)
	}
	// The compiled patterns match what the design says they do.
	pr := got.Images[0]
	if !pr.Match[0].Match("ghcr.io/acme/api:pr-12") || !pr.Exclude[0].Match("ghcr.io/acme/api:pr-keep-1") {
		t.Error("pull requests patterns do not match their references")
	}
	if !got.Images[1].Match[0].Match("registry.example.com/app:v1.2.3") ||
		got.Images[1].Match[0].Match("registry.example.com/app:v1.2.3-rc1") {
		t.Error("the releases regex is not anchored")
	}
}

// Rules inherit the top-level age_basis unless they set their own.
func TestLoadAgeBasisDefault(t *testing.T) {
	t.Parallel()
	src := `
protect_latest = false
age_basis      = "created"
image "a" {
  match = ["a:*"]
}
image "b" {
  match     = ["b:*"]
  age_basis = "last_used"
  keep      = 0
}
`
	p, diags := policy.NewLoader().Load("p.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if p.ProtectLatest || p.AgeBasis != policy.BasisCreated {
		t.Errorf("top level = %v, %v", p.ProtectLatest, p.AgeBasis)
	}
	if p.Images[0].AgeBasis != policy.BasisCreated || p.Images[1].AgeBasis != policy.BasisLastUsed {
		t.Errorf("rule bases = %v, %v", p.Images[0].AgeBasis, p.Images[1].AgeBasis)
	}
	if p.Images[0].HasKeep || !p.Images[1].HasKeep || p.Images[1].Keep != 0 {
		t.Errorf("keep = %v/%v, %v/%v", p.Images[0].Keep, p.Images[0].HasKeep, p.Images[1].Keep, p.Images[1].HasKeep)
	}
}

// The diagnostics corpus: each testdata/load/NAME.hcl has the diagnostics
// it must produce, rendered as users see them, in NAME.golden. The comment
// at the top of each file says what it shows; refresh with -update after
// reading the new output.
func TestLoadDiagnostics(t *testing.T) {
	files, err := filepath.Glob("testdata/load/*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("only %d diagnostics cases", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".hcl")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			l := policy.NewLoader()
			p, diags := l.Load(filepath.Base(file), src)
			checkLoadInvariants(t, p, diags)

			got := renderLocated(l, diags)
			if p == nil {
				got += "policy: not loaded\n"
			} else {
				got += fmt.Sprintf("policy: loaded with %d warnings\n", len(p.Warnings))
			}
			golden := strings.TrimSuffix(file, ".hcl") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v; run go test ./policy -run TestLoadDiagnostics -update", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics differ from %s (run with -update after checking):\n%s",
					golden, cmp.Diff(string(want), got))
			}
		})
	}
}

// checkLoadInvariants checks what every Load result promises: no policy
// with errors, and every warning both in diags and in Policy.Warnings,
// with its position.
func checkLoadInvariants(t *testing.T, p *policy.Policy, diags hcl.Diagnostics) {
	t.Helper()
	if (p == nil) != diags.HasErrors() {
		t.Fatalf("policy is nil = %v but diags.HasErrors() = %v", p == nil, diags.HasErrors())
	}
	for _, d := range diags {
		if d.Subject == nil && d.Summary != "Cannot read policy file" {
			t.Errorf("diagnostic %q has no range", d.Summary)
		}
		if d.Detail == "" {
			t.Errorf("diagnostic %q has no detail saying how to fix it", d.Summary)
		}
	}
	if p == nil {
		return
	}
	var want []policy.Warning
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			want = append(want, policy.Warning{
				Filename: d.Subject.Filename,
				Line:     d.Subject.Start.Line,
				Column:   d.Subject.Start.Column,
			})
		}
	}
	got := make([]policy.Warning, len(p.Warnings))
	for i, w := range p.Warnings {
		if w.Message == "" {
			t.Errorf("warning %d has no message", i)
		}
		w.Message = ""
		got[i] = w
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Policy.Warnings do not mirror the warning diagnostics (-want +got):\n%s", diff)
	}
}

// renderLocated renders diagnostics as users see them, each preceded by the
// exact range of its subject (file:line,column-column, as hcl.Range prints
// it), so a golden records where every diagnostic points, not only its line.
func renderLocated(l *policy.Loader, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	for _, d := range diags {
		if d.Subject != nil {
			fmt.Fprintf(&buf, "@ %s\n", d.Subject)
		} else {
			buf.WriteString("@ (no range)\n")
		}
		buf.WriteString(render(l, hcl.Diagnostics{d}))
	}
	return buf.String()
}

func render(l *policy.Loader, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	if err := hcl.NewDiagnosticTextWriter(&buf, l.Files(), 0, false).WriteDiagnostics(diags); err != nil {
		panic(err)
	}
	return buf.String()
}

// A file with three different mistakes yields three errors, each on its
// own line: loading does not stop at the first.
func TestLoadCollectsEveryError(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/load/three-mistakes.hcl")
	if err != nil {
		t.Fatal(err)
	}
	p, diags := policy.NewLoader().Load("three-mistakes.hcl", src)
	if p != nil {
		t.Fatal("a policy with errors was returned")
	}
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%d:%d %s", d.Subject.Start.Line, d.Subject.Start.Column, d.Summary))
	}
	want := []string{
		"3:25 Pattern has no tag",
		"9:16 Invalid duration",
		"13:23 Invalid status",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestLoadFileErrors(t *testing.T) {
	t.Parallel()
	_, diags := policy.NewLoader().LoadFile("testdata/no-such-policy.hcl")
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "testdata/no-such-policy.hcl") {
		t.Errorf("missing file: %v, want an error naming the path", diags)
	}
}

// Loading a changed file under the same name renders diagnostics from the
// new source, so a long-running watch can reuse its Loader.
func TestLoadSameNameTwice(t *testing.T) {
	t.Parallel()
	l := policy.NewLoader()
	if _, diags := l.Load("p.hcl", []byte(`image "a" { match = ["a:*"] }`)); diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := l.Load("p.hcl", []byte("image \"a\" {\n  match = [\"a\"]\n}\n"))
	if p != nil || !diags.HasErrors() {
		t.Fatal("the second, broken version was not loaded")
	}
	if out := render(l, diags); !strings.Contains(out, `2:   match = ["a"]`) {
		t.Errorf("diagnostics rendered from a stale source:\n%s", out)
	}
}

// What a policy value may be: literals. Escapes are literal text, bare
// names are fine as map keys, and a minus on a number is left for the
// attribute's own check ("Negative keep").
func TestLoadLiteralValues(t *testing.T) {
	src := `
protect_latest = false
image "a" {
  match  = ["a:*", "b:1.2"]
  labels = { ci = "$${HOME}", "com.acme/x" = "%%{x}*" }
  keep   = 0
}
container "c" {
  status         = ["exited"]
  exclude_labels = { keep = "*" }
  remove_volumes = true
}
`
	p, diags := policy.NewLoader().Load("p.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatalf("literals refused: %v", diags)
	}
	sel := p.Images[0].Labels
	if len(sel) != 2 || sel[0].Key != "ci" || sel[0].Value.String() != "${HOME}" ||
		sel[1].Key != "com.acme/x" || sel[1].Value.String() != "%{x}*" {
		t.Errorf("labels = %v", sel)
	}

	_, diags = policy.NewLoader().Load("p.hcl", []byte("image \"a\" {\n  match = [\"a:*\"]\n  keep = -1\n}\n"))
	if len(diags) != 1 || diags[0].Summary != "Negative keep" {
		t.Errorf("keep = -1: %v", diags)
	}
}
