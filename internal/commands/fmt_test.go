package commands

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// fmt through a symbolic link rewrites the file it points to, keeping the
// link, and the file keeps its mode; no temporary file is left behind.
func TestFmtThroughSymlinkKeepsModeAndLink(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links and modes")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "real.hcl")
	if err := os.WriteFile(target, []byte("volume \"v\"{\nolder_than=\"7d\" # week\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "policy.hcl")
	if err := os.Symlink("real.hcl", link); err != nil {
		t.Fatal(err)
	}
	d, out, errOut := testCli(t)
	if err := runFmt(context.Background(), d, fmtOptions{files: []string{link}}); err != nil {
		t.Fatalf("fmt: %v\n%s", err, errOut)
	}
	if out.String() != link+"\n" {
		t.Errorf("stdout = %q, want the file named", out.String())
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	got, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if want := "volume \"v\" {\n  older_than = \"7d\" # week\n}\n"; string(got) != want {
		t.Errorf("formatted = %q, want %q", got, want)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files left in the directory: %v", entries)
	}
}
