package policy_test

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/docker-shaper/docker-shaper/policy"
)

// loadBounded loads src and checks what every hostile input must give: no
// policy, at most a few diagnostics (so rendering them is cheap), each with
// a range and a detail, and a rendering that works.
func loadBounded(t *testing.T, src []byte, maxDiags int) hcl.Diagnostics {
	t.Helper()
	l := policy.NewLoader()
	p, diags := l.Load("hostile.hcl", src)
	if p != nil || !diags.HasErrors() {
		t.Fatalf("loaded: policy %v, diags %v", p != nil, diags)
	}
	if len(diags) > maxDiags {
		t.Fatalf("%d diagnostics, want at most %d; the first: %v", len(diags), maxDiags, diags[0])
	}
	checkLoadInvariants(t, p, diags)
	if out := render(l, diags); len(out) > len(diags)*4096 {
		t.Errorf("rendering the diagnostics takes %d bytes", len(out))
	}
	return diags
}

func wantDiag(t *testing.T, diags hcl.Diagnostics, summary string, line, column int, detail ...string) {
	t.Helper()
	for _, d := range diags {
		if d.Summary != summary {
			continue
		}
		if d.Subject.Start.Line != line || d.Subject.Start.Column != column {
			t.Errorf("%q at %d:%d, want %d:%d", summary, d.Subject.Start.Line, d.Subject.Start.Column, line, column)
		}
		for _, w := range detail {
			if !strings.Contains(d.Detail, w) {
				t.Errorf("%q detail %q does not say %q", summary, d.Detail, w)
			}
		}
		return
	}
	t.Errorf("no %q diagnostic in %v", summary, diags)
}

// Deep nesting is refused before the parser, which recurses once per
// level, sees it: 100,000 brackets in 200 KB crashed the process with a Go
// stack overflow. The diagnostic points at the first bracket too many.
func TestLoadNestingTooDeep(t *testing.T) {
	for _, tt := range []struct {
		name      string
		src       string
		line, col int
	}{
		{"brackets", "a = " + strings.Repeat("[", 200_000), 1, 5 + 32},
		{"braces", "a = " + strings.Repeat("{", 200_000), 1, 5 + 32},
		{"parentheses", "\n\nkeep = " + strings.Repeat("(", 200_000) + "1", 3, 8 + 32},
		{"blocks", strings.Repeat("a {\n", 100_000), 33, 3},
		{"mixed", "a = " + strings.Repeat("[{(", 70_000), 1, 5 + 32},
		// Inside strings, templates nest: each "${ opens two levels.
		{"templates", `a = ` + strings.Repeat(`"${`, 70_000), 1, 5 + 16*3},
		// Operators recurse without brackets.
		{"negations", "keep = " + strings.Repeat("-", 200_000) + "1", 1, 8 + 32},
		{"nots", "all = " + strings.Repeat("!", 200_000) + "true", 1, 7 + 32},
		{"conditionals", "keep = " + strings.Repeat("true ? 1 : ", 30_000) + "1", 1, 8 + 32*len("true ? 1 : ") + 5},
		{"directives", `a = "` + strings.Repeat("%{if true}", 30_000) + `"`, 1, 6 + 30*len("%{if true}")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			diags := loadBounded(t, []byte(tt.src), 1)
			wantDiag(t, diags, "Nesting too deep", tt.line, tt.col, "32 levels")
		})
	}
	// Brackets in strings and comments are text, not nesting.
	src := `# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
/* {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{ */
image "a" {
  match_regex = ["` + strings.Repeat(`[(]`, 40) + `:x"]
}
`
	if _, diags := policy.NewLoader().Load("p.hcl", []byte(src)); diags.HasErrors() {
		t.Errorf("brackets in strings and comments: %v", diags)
	}
}

// Random bytes are not a policy: one located diagnostic, not thousands.
func TestLoadRandomBytes(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	src := make([]byte, 256<<10)
	r.Read(src)
	src[0], src[1], src[2] = 'a', '\n', 'b' // the first bad byte is past them
	diags := loadBounded(t, src, 1)
	if diags[0].Subject.Start.Line != 2 || diags[0].Subject.Start.Column < 2 {
		t.Errorf("not located at the first bad byte: %v", diags[0].Subject)
	}
	if !strings.Contains(diags[0].Summary, "UTF-8") && !strings.Contains(diags[0].Summary, "NUL") {
		t.Errorf("summary %q", diags[0].Summary)
	}

	nul := []byte("image \"a\" {\n  match = [\"a:*\x00\"]\n}\n")
	wantDiag(t, loadBounded(t, nul, 1), "NUL byte in policy", 2, 16, "not a policy")
	latin1 := []byte("# caf\xe9\nimage \"a\" {}\n")
	wantDiag(t, loadBounded(t, latin1, 1), "Not UTF-8", 1, 6, "UTF-8")
}

// Text that is not a policy gives many errors; only the first 20 are
// returned, with one more that says how many were left out, so rendering
// them stays cheap.
func TestLoadManyErrors(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	const alphabet = " \n\"abc=,.:*0123456789" // no brackets: they nest too deep at once
	src := make([]byte, 256<<10)
	for i := range src {
		src[i] = alphabet[r.Intn(len(alphabet))]
	}
	diags := loadBounded(t, src, 21)
	if len(diags) != 21 {
		t.Fatalf("%d diagnostics, want 20 and a summary", len(diags))
	}
	last := diags[20]
	if !strings.HasSuffix(last.Summary, "more errors not shown") {
		t.Errorf("last diagnostic %q", last.Summary)
	}

	// The same with errors the decoder finds, block after block.
	var b bytes.Buffer
	for range 10_000 {
		b.WriteString("image \"x\" {\n  nope = 1\n}\n")
	}
	diags = loadBounded(t, b.Bytes(), 21)
	if got := diags[20].Summary; got != "19979 more errors not shown" {
		t.Errorf("last diagnostic %q", got)
	}
}

// A policy is small: Load refuses more than 1 MiB, without parsing it.
func TestLoadTooLarge(t *testing.T) {
	src := bytes.Repeat([]byte("# a comment line that goes on and on.\n"), 10<<20/38)
	diags := loadBounded(t, src, 1)
	wantDiag(t, diags, "Policy too large", 27595, 5, "1 MiB")

	// 1 MiB exactly is fine.
	ok := bytes.Repeat([]byte("#"), 1<<20)
	if _, diags := policy.NewLoader().Load("p.hcl", ok); diags.HasErrors() {
		t.Errorf("1 MiB: %v", diags)
	}
}

// LoadFile reads regular files only, and at most 1 MiB of them: a
// directory, a device (/dev/zero ran out of memory), a FIFO (which blocked
// forever) or a socket is refused with what it is.
func TestLoadFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{dir: "a directory"}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases["/dev/zero"] = "a device"
	}
	for path, what := range cases {
		_, diags := policy.NewLoader().LoadFile(path)
		if !diags.HasErrors() || !strings.Contains(diags[0].Detail, what) || !strings.Contains(diags[0].Detail, path) {
			t.Errorf("LoadFile(%s) = %v, want an error saying it is %s", path, diags, what)
		}
	}

	big := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#"), 1<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := policy.NewLoader().LoadFile(big)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "1 MiB") {
		t.Errorf("LoadFile of 1 MiB + 1 byte = %v", diags)
	}
	exact := filepath.Join(dir, "exact.hcl")
	if err := os.WriteFile(exact, bytes.Repeat([]byte("#"), 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, diags := policy.NewLoader().LoadFile(exact); diags.HasErrors() {
		t.Errorf("LoadFile of 1 MiB: %v", diags)
	}
}
