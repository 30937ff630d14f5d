package main

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/client"
	"github.com/rogpeppe/go-internal/testscript"
)

// Commands for time and for where docker-shaper keeps things. A script
// either dates its fixtures from $NOW and judges them with --now $NOW (or a
// time computed from it with settime), or, when the real clock decides
// (containers, tags, prune, watch), first sets NOW to the real clock with
// settime NOW now. TestScriptShiftedNow runs every script with $NOW far
// from today, so a script that mixes the two fails at once rather than on
// some later day.
func init() {
	registerCommands(map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"settime":   cmdSettime,
		"daemondir": cmdDaemondir,
	})
}

// settime VAR BASE [±DURATION]
//
// sets $VAR to BASE plus or minus DURATION, as RFC 3339 in UTC to the
// second. BASE is an RFC 3339 time (such as $NOW) or "now", the real
// clock. `settime NOW now` makes a script's fixtures and --now count from
// the real clock; `settime LATER $NOW +4d` names a time for --now and for
// expected output.
func cmdSettime(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: settime VAR (now|RFC3339) [+DURATION|-DURATION]")
	}
	var base time.Time
	if args[1] == "now" {
		base = time.Now().UTC().Truncate(time.Second)
	} else {
		var err error
		if base, err = time.Parse(time.RFC3339, args[1]); err != nil {
			ts.Fatalf("settime: %v", err)
		}
	}
	if len(args) == 3 {
		off := args[2]
		if off == "" || off[0] != '+' && off[0] != '-' {
			ts.Fatalf("settime: the offset %q needs a sign", off)
		}
		d, err := policy.ParseDuration(off[1:])
		if err != nil {
			ts.Fatalf("settime: %v", err)
		}
		if off[0] == '-' {
			d = -d
		}
		base = base.Add(d)
	}
	ts.Setenv(args[0], base.UTC().Format(time.RFC3339))
}

// daemondir VAR
//
// sets $VAR to the test daemon's directory in $DOCKER_CONFIG, where
// docker-shaper keeps its state, journal and locks: as documented,
// $DOCKER_CONFIG/shaper/daemons/<daemon ID, with characters other than
// letters, digits, '_', '-', '+' and '.' written '_'>.
func cmdDaemondir(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: daemondir VAR")
	}
	cli := scriptDaemonClient(ts, "daemondir")
	res, err := cli.Info(context.Background(), client.InfoOptions{})
	ts.Check(err)
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '+', r == '.':
			return r
		}
		return '_'
	}, res.Info.ID)
	ts.Setenv(args[0], filepath.Join(ts.Getenv("DOCKER_CONFIG"), "shaper", "daemons", safe))
}
