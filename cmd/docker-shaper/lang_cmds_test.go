package main

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

// Commands for the policy language's tools (fmt, validate, schema).
func init() {
	registerCommands(map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"execstatus": cmdExecstatus,
		"jsonvalid":  cmdJSONValid,
	})
}

// execstatus N PROG [ARGS...]
//
// runs PROG as exec does, keeping its stdout and stderr for the commands
// that follow, and fails unless it exits with status N: `! exec` accepts
// any failure, and fmt --check's 3 is not 1.
func cmdExecstatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: execstatus N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("execstatus: %q is not an exit status", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("execstatus: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// jsonvalid FILE
//
// fails unless FILE (or stdout, stderr) is one JSON document.
func cmdJSONValid(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: jsonvalid FILE")
	}
	data := ts.ReadFile(args[0])
	var v any
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		ts.Fatalf("%s is not a JSON document: %v", args[0], err)
	}
}
