package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// Commands for the policy language's tools (fmt, validate, schema).
func init() {
	registerCommands(map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"execstatus": cmdExecstatus,
		"jsonvalid":  cmdJSONValid,
		"rules":      cmdRules,
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

// rules FILE
//
// checks that FILE (or stdout), is a check --rules --format json
// document and prints it as one line per rule (and one per overlap) on
// stdout, so scripts compare it with cmp whatever the daemon's ID:
//
//	<rule> <kind> claimed=N due=N bytes=N protected=N
//	  overlap <object> also <rule>,<rule>
func cmdRules(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: rules FILE")
	}
	data := ts.ReadFile(args[0])
	var doc struct {
		Policy *string `json:"policy"`
		Now    *string `json:"now"`
		Rules  []struct {
			Rule      string `json:"rule"`
			Kind      string `json:"kind"`
			Claimed   *int   `json:"claimed"`
			Due       *int   `json:"due"`
			BytesDue  *int64 `json:"bytes_due"`
			Protected *int   `json:"protected"`
			Overlaps  []struct {
				Object string   `json:"object"`
				Also   []string `json:"also"`
			} `json:"overlaps"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		ts.Fatalf("rules: %s is not a JSON document: %v\n%s", args[0], err, data)
	}
	if doc.Policy == nil || doc.Now == nil || doc.Rules == nil {
		ts.Fatalf("rules: policy, now or rules missing:\n%s", data)
	}
	var b strings.Builder
	for _, r := range doc.Rules {
		if r.Claimed == nil || r.Due == nil || r.BytesDue == nil || r.Protected == nil || r.Overlaps == nil {
			ts.Fatalf("rules: a field of %s is missing (overlaps must be [] when empty)", r.Rule)
		}
		fmt.Fprintf(&b, "%s %s claimed=%d due=%d bytes=%d protected=%d\n", r.Rule, r.Kind, *r.Claimed, *r.Due, *r.BytesDue, *r.Protected)
		for _, o := range r.Overlaps {
			fmt.Fprintf(&b, "  overlap %s also %s\n", o.Object, strings.Join(o.Also, ","))
		}
	}
	fmt.Fprint(ts.Stdout(), b.String())
}
