// Command mkfixtures writes fixture images as one docker-archive tar on
// stdout, for `docker load`: what scripts/bench.sh loads into its throwaway
// daemon. It deals tags over images the way the CLI scripts' mkimages does:
// -tags T tags round-robin over N images (tag k goes to image k mod N),
// image i in repository <prefix><i mod repos>, tags named t<k> zero-padded
// to 4 digits, image i created -age plus i times -step before -now.
//
// -style ci names the tags the way a CI host's are, in turn pr-<k>,
// v<a>.<b>.<c>, main-<k> and t<k>, so that a CI policy's pull-request,
// release and catch-all rules each claim some (image i's first tag is
// always tag i).
//
//	go run ./scripts/mkfixtures -images 300 -tags 2000 -repos 20 | docker load
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mkfixtures:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		n        = flag.Int("images", 300, "images")
		tags     = flag.Int("tags", 0, "tags in all (default: one per image)")
		repos    = flag.Int("repos", 1, "repositories")
		prefix   = flag.String("prefix", "bulk", "repository name prefix")
		nowS     = flag.String("now", "", "the time ages count back from, RFC 3339 (default: now)")
		age      = flag.Duration("age", 24*time.Hour, "age of the newest image")
		step     = flag.Duration("step", time.Hour, "age step between images")
		runnable = flag.Bool("run", false, "make the images runnable (docker run IMG sleep|true|false)")
		style    = flag.String("style", "plain", "tag names: plain (t0042) or ci (pr-42, v0.4.2, main-42, t0042 in turn)")
	)
	flag.Parse()
	if flag.NArg() != 0 {
		return fmt.Errorf("no arguments expected")
	}
	if *tags == 0 {
		*tags = *n
	}
	if *style != "plain" && *style != "ci" {
		return fmt.Errorf("-style: want plain or ci, not %q", *style)
	}
	if *n < 1 || *tags < *n || *repos < 1 {
		return fmt.Errorf("need -images >= 1, -tags >= -images and -repos >= 1")
	}
	now := clock.Real()
	if *nowS != "" {
		t, err := time.Parse(time.RFC3339, *nowS)
		if err != nil {
			return fmt.Errorf("-now: %w", err)
		}
		now = t
	}
	images := fixture.Deal{
		Images: *n, Tags: *tags, Newest: now.Add(-*age), Step: *step, Runnable: *runnable,
		Name: func(i, k int) string { return fmt.Sprintf("%s%d:%s", *prefix, i%*repos, tagName(*style, k)) },
	}.Deal()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if _, err := fixture.Archive(w, images...); err != nil {
		return err
	}
	return w.Flush()
}

// tagName is the name of tag k in a style: "ci" tags look like a CI
// registry's (fixture.CITag), others are t<k>.
func tagName(style string, k int) string {
	if style == "ci" {
		return fixture.CITag(k)
	}
	return fmt.Sprintf("t%04d", k)
}
