//go:build unix

package policy_test

import (
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/docker-shaper/docker-shaper/policy"
)

// A FIFO with no writer blocked LoadFile forever; a socket cannot be read.
func TestLoadFileFIFOAndSocket(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "policy.hcl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	sock := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("listen: %v", err)
	}
	defer ln.Close()

	for path, what := range map[string]string{fifo: "a named pipe (FIFO)", sock: "a socket"} {
		done := make(chan hcl.Diagnostics, 1)
		go func() {
			_, diags := policy.NewLoader().LoadFile(path)
			done <- diags
		}()
		select {
		case diags := <-done:
			if !diags.HasErrors() || !strings.Contains(diags[0].Detail, what) {
				t.Errorf("LoadFile(%s) = %v, want an error saying it is %s", path, diags, what)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("LoadFile(%s) blocked", path)
		}
	}
}
