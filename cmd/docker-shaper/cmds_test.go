package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCommands are the commands scripts get besides testscript's own.
var scriptCommands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"mkimage":  cmdMkimage,
	"mkimages": cmdMkimages,
	"plan":     cmdPlan,
}

// scriptDaemonClient returns the test daemon, failing the script without one.
func scriptDaemonClient(ts *testscript.TestScript, cmd string) *client.Client {
	cli, _ := ts.Value(daemonKey{}).(*client.Client)
	if cli == nil {
		ts.Fatalf("%s needs the test daemon: start the script with [!daemon] skip", cmd)
	}
	return cli
}

// scriptNowTime is $NOW as a time.
func scriptNowTime(ts *testscript.TestScript) time.Time {
	now, err := time.Parse(time.RFC3339, ts.Getenv("NOW"))
	if err != nil {
		ts.Fatalf("$NOW: %v", err)
	}
	return now
}

// parseAge parses an age as policies write durations: Go syntax plus d
// (days) and w (weeks), e.g. 30d, 2w, 36h, 1d12h.
func parseAge(s string) (time.Duration, error) { return policy.ParseDuration(s) }

type labelsFlag map[string]string

func (l labelsFlag) String() string { return fmt.Sprint(map[string]string(l)) }
func (l labelsFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("label %q: want key=value", s)
	}
	l[k] = v
	return nil
}

type sizeFlag int

func (s *sizeFlag) String() string { return strconv.Itoa(int(*s)) }
func (s *sizeFlag) Set(v string) error {
	n, err := units.FromHumanSize(v)
	if err != nil {
		return err
	}
	*s = sizeFlag(n)
	return nil
}

// ageFlags are the -created and -age options of mkimage and mkimages.
type ageFlags struct {
	created string
	age     string
}

func (a *ageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.created, "created", "", "Created date, RFC 3339")
	fs.StringVar(&a.age, "age", "", "Created this long before $NOW (30d, 2w, 36h)")
}

// at returns the Created date the flags ask for; zero for the default.
func (a *ageFlags) at(ts *testscript.TestScript) time.Time {
	switch {
	case a.created != "" && a.age != "":
		ts.Fatalf("use -created or -age, not both")
	case a.created != "":
		t, err := time.Parse(time.RFC3339, a.created)
		if err != nil {
			ts.Fatalf("-created: %v", err)
		}
		return t
	case a.age != "":
		d, err := parseAge(a.age)
		if err != nil {
			ts.Fatalf("-age: %v", err)
		}
		return scriptNowTime(ts).Add(-d)
	}
	return time.Time{}
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// mkimage [-created RFC3339 | -age 30d] [-label k=v]... [-size BYTES] [-run]
//
//	[-base NAME [-base-size BYTES]] [-seed S] [-id VAR] [ref...]
//
// loads one new image into the test daemon, with every ref as a tag (none:
// an untagged image). -size gives it a layer of its own with that many
// payload bytes (10MB and the like work); -run makes it runnable (docker run
// IMG sleep 600 | true | false); -base shares a base layer with the other
// images of that base; -seed makes the ID reproducible; -id VAR stores the
// image ID in $VAR.
func cmdMkimage(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! mkimage")
	}
	const usage = "usage: mkimage [-created RFC3339 | -age 30d] [-label k=v]... [-size BYTES] [-run] [-base NAME [-base-size BYTES]] [-seed S] [-id VAR] [ref...]"
	fs := newFlagSet("mkimage")
	var (
		age      ageFlags
		labels   = labelsFlag{}
		size     sizeFlag
		baseSize sizeFlag
		run      = fs.Bool("run", false, "runnable")
		base     = fs.String("base", "", "shared base layer")
		seed     = fs.String("seed", "", "seed")
		idVar    = fs.String("id", "", "env var for the ID")
	)
	age.register(fs)
	fs.Var(labels, "label", "k=v")
	fs.Var(&size, "size", "payload bytes")
	fs.Var(&baseSize, "base-size", "base layer payload bytes")
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("mkimage: %v\n%s", err, usage)
	}
	img := fixture.Image{
		Refs:     fs.Args(),
		Created:  age.at(ts),
		Size:     int(size),
		Runnable: *run,
		Seed:     *seed,
		Base:     *base,
		BaseSize: int(baseSize),
	}
	if len(labels) > 0 {
		img.Labels = labels
	}
	cli := scriptDaemonClient(ts, "mkimage")
	ids, err := fixture.Load(context.Background(), cli, img)
	ts.Check(err)
	if *idVar != "" {
		ts.Setenv(*idVar, ids[0])
	}
}

// mkimages [-repos R] [-tags T] [-prefix P] [-age D] [-step D] [-run] N
//
// loads N new images in one go: T tags (default N) dealt round-robin over
// the images (tag k goes to image k mod N), image i in repository P<i mod R>
// (P defaults to bulk, R to 1), tags named t<k> zero-padded to 4 digits.
// Image i is created -age (default 1d) plus i times -step (default 1h)
// before $NOW, so image 0 is the newest.
func cmdMkimages(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! mkimages")
	}
	const usage = "usage: mkimages [-repos R] [-tags T] [-prefix P] [-age D] [-step D] [-run] N"
	fs := newFlagSet("mkimages")
	var (
		repos  = fs.Int("repos", 1, "repositories")
		tags   = fs.Int("tags", 0, "tags in all (default N)")
		prefix = fs.String("prefix", "bulk", "repository name prefix")
		ageS   = fs.String("age", "1d", "age of the newest image")
		stepS  = fs.String("step", "1h", "age step between images")
		run    = fs.Bool("run", false, "runnable")
	)
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		ts.Fatalf("mkimages: %v\n%s", err, usage)
	}
	n, err := strconv.Atoi(fs.Arg(0))
	if err != nil || n < 1 {
		ts.Fatalf("mkimages: N must be a positive number\n%s", usage)
	}
	if *tags == 0 {
		*tags = n
	}
	if *tags < n || *repos < 1 {
		ts.Fatalf("mkimages: need -tags >= N and -repos >= 1\n%s", usage)
	}
	age, err := parseAge(*ageS)
	ts.Check(err)
	step, err := parseAge(*stepS)
	ts.Check(err)
	images := fixture.Deal{
		Images: n, Tags: *tags, Newest: scriptNowTime(ts).Add(-age), Step: step, Runnable: *run,
		Name: func(i, k int) string { return fmt.Sprintf("%s%d:t%04d", *prefix, i%*repos, k) },
	}.Deal()
	cli := scriptDaemonClient(ts, "mkimages")
	start := time.Now()
	_, err = fixture.Load(context.Background(), cli, images...)
	ts.Check(err)
	ts.Logf("loaded %d images, %d tags in %v", n, *tags, time.Since(start).Round(time.Millisecond))
}

// planKinds is the contract's execution order of action kinds, and the
// fields each kind's actions carry. Volume actions add "bytes" to the
// design's example, because the summary's reclaimable_bytes counts them
// (docs/policy.md).
var planKinds = []struct {
	kind   string
	fields []string
}{
	{"container", []string{"kind", "action", "id", "name", "rule", "reason", "bytes"}},
	{"image", []string{"kind", "action", "ref", "id", "rule", "reason", "bytes"}},
	{"volume", []string{"kind", "action", "name", "rule", "reason", "bytes"}},
	{"network", []string{"kind", "action", "name", "id", "rule", "reason"}},
	{"build_cache", []string{"kind", "action", "rule", "reason", "bytes"}},
}

// plan [-kept] [-warnings] FILE
//
// checks that FILE (or stdout/stderr) is a plan as `check --format json`
// prints it (the contract of policy.md §4: top-level fields, each action's
// fields for its kind, actions in execution order, summary.actions equal to
// the number of actions) and prints one line per action:
//
//	<kind> <action> <ref or name> <rule>
//
// sorted within each kind, so scripts compare them with cmp. An untagged
// image's ref prints as <none>. -kept adds "kept <kind> <ref or name>
// <rule>" lines, -warnings "warning <message>" lines.
func cmdPlan(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! plan")
	}
	fs := newFlagSet("plan")
	kept := fs.Bool("kept", false, "print kept objects")
	warnings := fs.Bool("warnings", false, "print warnings")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		ts.Fatalf("usage: plan [-kept] [-warnings] FILE")
	}
	data := ts.ReadFile(fs.Arg(0))

	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		ts.Fatalf("plan: %s is not a JSON document: %v\n%s", fs.Arg(0), err, data)
	}
	for _, f := range []string{"version", "policy", "now", "actions", "kept", "warnings", "summary"} {
		if _, ok := doc[f]; !ok {
			ts.Fatalf("plan: no %q field", f)
		}
	}
	var plan struct {
		Version  int                          `json:"version"`
		Policy   string                       `json:"policy"`
		Now      time.Time                    `json:"now"`
		Actions  []map[string]json.RawMessage `json:"actions"`
		Kept     []map[string]any             `json:"kept"`
		Warnings []struct {
			Message string `json:"message"`
		} `json:"warnings"`
		Summary struct {
			Actions          *int   `json:"actions"`
			ReclaimableBytes *int64 `json:"reclaimable_bytes"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(data), &plan); err != nil {
		ts.Fatalf("plan: %v", err)
	}
	if plan.Version != 1 {
		ts.Fatalf("plan: version %d, want 1", plan.Version)
	}
	if plan.Policy == "" || plan.Now.IsZero() {
		ts.Fatalf("plan: empty policy or now")
	}
	// The daemon the plan is for: always there, every field set.
	var daemon map[string]string
	if err := json.Unmarshal(doc["daemon"], &daemon); err != nil {
		ts.Fatalf("plan: daemon: %v", err)
	}
	for _, f := range []string{"id", "context", "engine", "version", "api"} {
		if daemon[f] == "" {
			ts.Fatalf("plan: daemon.%s is empty: %s", f, doc["daemon"])
		}
	}
	for _, f := range []string{"actions", "kept", "warnings"} {
		if string(doc[f]) == "null" {
			ts.Fatalf("plan: %q is null; the contract has a list (an empty one when there is nothing)", f)
		}
	}
	if plan.Summary.Actions == nil || plan.Summary.ReclaimableBytes == nil {
		ts.Fatalf("plan: summary lacks actions or reclaimable_bytes")
	}
	if *plan.Summary.Actions != len(plan.Actions) {
		ts.Fatalf("plan: summary.actions is %d for %d actions", *plan.Summary.Actions, len(plan.Actions))
	}

	order := map[string]int{}
	for i, k := range planKinds {
		order[k.kind] = i
	}
	str := func(a map[string]json.RawMessage, f string) string {
		var s string
		if err := json.Unmarshal(a[f], &s); err != nil {
			ts.Fatalf("plan: action field %q is not a string: %s", f, a[f])
		}
		return s
	}
	lines := make([][]string, len(planKinds))
	last := 0
	for i, a := range plan.Actions {
		kind := str(a, "kind")
		k, ok := order[kind]
		if !ok {
			ts.Fatalf("plan: action %d has unknown kind %q", i, kind)
		}
		if k < last {
			ts.Fatalf("plan: action %d (%s) comes after a %s action; the order is containers, images, volumes, networks, build cache", i, kind, planKinds[last].kind)
		}
		last = k
		for _, f := range planKinds[k].fields {
			if _, ok := a[f]; !ok {
				ts.Fatalf("plan: %s action %d has no %q field", kind, i, f)
			}
		}
		if len(a) != len(planKinds[k].fields) {
			ts.Fatalf("plan: %s action %d has fields beyond the contract's %v", kind, i, planKinds[k].fields)
		}
		var what string
		switch kind {
		case "image":
			what = str(a, "ref")
			if what == "" {
				what = "<none>"
			}
			if !strings.HasPrefix(str(a, "id"), "sha256:") {
				ts.Fatalf("plan: image action %d: id %s", i, a["id"])
			}
		case "build_cache":
			what = "-"
		default:
			what = str(a, "name")
		}
		lines[k] = append(lines[k], fmt.Sprintf("%s %s %s %s", kind, str(a, "action"), what, str(a, "rule")))
	}
	out := ts.Stdout()
	for _, l := range lines {
		sort.Strings(l)
		for _, s := range l {
			fmt.Fprintln(out, s)
		}
	}
	if *kept {
		var ks []string
		for _, k := range plan.Kept {
			what, _ := k["ref"].(string)
			if what == "" {
				what, _ = k["name"].(string)
			}
			if what == "" {
				what = "<none>"
			}
			ks = append(ks, fmt.Sprintf("kept %v %s %v", k["kind"], what, k["rule"]))
		}
		sort.Strings(ks)
		for _, s := range ks {
			fmt.Fprintln(out, s)
		}
	}
	if *warnings {
		for _, w := range plan.Warnings {
			fmt.Fprintln(out, "warning", w.Message)
		}
	}
}
