package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Commands of the status_* scripts: a terminal for the live view (tmux,
// on a server of the script's own, one session of 160×45), and a
// comparison of JSON documents field by field.
func init() {
	for name, f := range map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"tui":        cmdTui,
		"samefields": cmdSamefields,
	} {
		if _, dup := scriptCommands[name]; dup {
			panic("script command " + name + " is defined twice")
		}
		scriptCommands[name] = f
	}
}

// samefields FILE1 FILE2 FIELD...
//
// compares the top-level FIELDs of two JSON documents (stdout is a FILE
// too): a status snapshot carries check's plan, field for field.
func cmdSamefields(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: samefields FILE1 FILE2 FIELD...")
	}
	var a, b map[string]json.RawMessage
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &a))
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &b))
	for _, f := range args[2:] {
		var va, vb any
		ts.Check(json.Unmarshal(a[f], &va))
		ts.Check(json.Unmarshal(b[f], &vb))
		if !reflect.DeepEqual(va, vb) {
			ts.Fatalf("field %q differs:\n%s: %s\n%s: %s", f, args[0], a[f], args[1], b[f])
		}
	}
}

// tuiWait is how long tui wait and tui exit wait for the screen: a
// deadline for a condition, not a timing.
const tuiWait = 60 * time.Second

// tui start CMD [ARG...]
// tui keys KEY...
// tui wait [-o FILE] REGEXP
// tui exit
//
// start runs CMD in a new tmux session of 160×45 (the script's
// environment, $WORK as the directory; when CMD ends, "exited STATUS" is
// printed and the pane stays for tui exit). keys sends each KEY in turn,
// as tmux names them (q, Enter, Escape, Down…), a moment apart as a
// person types. wait reads the screen (capture-pane) until REGEXP matches
// it, failing with the last screen at the deadline; -o writes the screen
// to FILE. exit waits until CMD has ended and checks it exited 0 and gave
// the terminal back (its screen is gone, the pane shows what was there
// before). The server is killed when the script ends.
func cmdTui(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: tui start CMD... | keys KEY... | wait [-o FILE] REGEXP | exit")
	}
	// A socket path must stay short (108 bytes): not in $WORK.
	sock := ts.Getenv("TUI_SOCK")
	if sock == "" {
		dir, err := os.MkdirTemp("", "tui")
		ts.Check(err)
		ts.Defer(func() { os.RemoveAll(dir) })
		sock = filepath.Join(dir, "tmux.sock")
		ts.Setenv("TUI_SOCK", sock)
	}
	tmux := func(args ...string) (string, error) {
		cmd := exec.Command("tmux", append([]string{"-S", sock}, args...)...)
		cmd.Dir = ts.Getenv("WORK")
		cmd.Env = scriptEnv(ts)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	capture := func() string {
		out, err := tmux("capture-pane", "-p", "-t", "tui")
		if err != nil {
			ts.Fatalf("tmux capture-pane: %v\n%s", err, out)
		}
		return out
	}
	switch args[0] {
	case "start":
		if len(args) < 2 {
			ts.Fatalf("usage: tui start CMD [ARG...]")
		}
		quoted := make([]string, len(args)-1)
		for i, a := range args[1:] {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		// Print something first: what the terminal showed before the view
		// took it, and must show again after.
		script := "echo before the view; " + strings.Join(quoted, " ") + "; echo exited $?; sleep 3600"
		if out, err := tmux("new-session", "-d", "-s", "tui", "-x", "160", "-y", "45", "sh", "-c", script); err != nil {
			ts.Fatalf("tmux new-session: %v\n%s", err, out)
		}
		ts.Defer(func() { tmux("kill-server") })
	case "keys":
		for _, k := range args[1:] {
			if out, err := tmux("send-keys", "-t", "tui", k); err != nil {
				ts.Fatalf("tmux send-keys %s: %v\n%s", k, err, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	case "wait":
		fs := newFlagSet("tui wait")
		file := fs.String("o", "", "file for the screen")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
			ts.Fatalf("usage: tui wait [-o FILE] REGEXP")
		}
		re, err := regexp.Compile(fs.Arg(0))
		ts.Check(err)
		screen := waitScreen(capture, re.MatchString)
		if !re.MatchString(screen) {
			ts.Fatalf("the screen does not match %q within %s:\n%s", re, tuiWait, screen)
		}
		ts.Logf("screen:\n%s", screen)
		if *file != "" {
			ts.Check(os.WriteFile(ts.MkAbs(*file), []byte(screen), 0o644))
		}
	case "exit":
		done := regexp.MustCompile(`(?m)^exited (\d+)$`)
		screen := waitScreen(capture, done.MatchString)
		m := done.FindStringSubmatch(screen)
		switch {
		case m == nil:
			ts.Fatalf("the program did not end within %s:\n%s", tuiWait, screen)
		case m[1] != "0":
			ts.Fatalf("the program exited %s:\n%s", m[1], screen)
		case !strings.Contains(screen, "before the view"):
			ts.Fatalf("the terminal was not given back (the alternate screen is still up):\n%s", screen)
		}
	default:
		ts.Fatalf("unknown tui command %q", args[0])
	}
}

// waitScreen captures the screen until ok says it is the one, or the
// deadline passes; it returns the last screen.
func waitScreen(capture func() string, ok func(string) bool) string {
	deadline := time.Now().Add(tuiWait)
	for {
		screen := capture()
		if ok(screen) || time.Now().After(deadline) {
			return screen
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scriptEnv is the script's environment, for commands started outside
// exec.
func scriptEnv(ts *testscript.TestScript) []string {
	var env []string
	for _, name := range []string{"PATH", "HOME", "DOCKER_CONFIG", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
		"DOCKER_API_VERSION", "TMPDIR", "NO_COLOR", "TERM"} {
		if v := ts.Getenv(name); v != "" {
			env = append(env, name+"="+v)
		}
	}
	if ts.Getenv("TERM") == "" {
		env = append(env, "TERM=xterm-256color")
	}
	return env
}
