package main

import (
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Commands the watch_* scripts use.
func init() {
	registerCommands(map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"logwait": cmdLogwait,
	})
}

// logwait FILE REGEXP [N]
//
// waits until FILE (a log a background command writes) has N lines (default
// 1) matching REGEXP, failing after 60 seconds: a script waits for what a
// watcher logs, never for a fixed time.
func cmdLogwait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: logwait FILE REGEXP [N]")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	n := 1
	if len(args) == 3 {
		n, err = strconv.Atoi(args[2])
		ts.Check(err)
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(60 * time.Second)
	for {
		data, _ := os.ReadFile(path)
		if len(re.FindAllIndex(data, -1)) >= n {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("logwait: %s has not %d lines matching %q after 60s:\n%s", args[0], n, args[1], data)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
