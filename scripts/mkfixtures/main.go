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
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
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
		more     = flag.String("more-tags", "", "put only each image's first tag in the archive, and write the others to this file (REF ID a line) for -add-tags")
		addTags  = flag.String("add-tags", "", "instead of writing an archive, add the tags of this file (from -more-tags) to -repositories")
		repoFile = flag.String("repositories", "", "with -add-tags: the stopped daemon's image/<driver>/repositories.json")
	)
	flag.Parse()
	if flag.NArg() != 0 {
		return fmt.Errorf("no arguments expected")
	}
	if *addTags != "" {
		return addToRepositories(*addTags, *repoFile)
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
	// The daemon saves its whole reference store for every tag a load
	// adds, so a load's time grows with the square of its tags (10,000
	// tags: minutes). With -more-tags the archive carries one tag per
	// image and the rest are written into the stopped daemon's store at
	// once (-add-tags): seconds.
	var rest [][]string
	if *more != "" {
		rest = make([][]string, len(images))
		for i := range images {
			if len(images[i].Refs) > 1 {
				rest[i] = images[i].Refs[1:]
				images[i].Refs = images[i].Refs[:1]
			}
		}
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	ids, err := fixture.Archive(w, images...)
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if *more == "" {
		return nil
	}
	var b strings.Builder
	for i, refs := range rest {
		for _, r := range refs {
			fmt.Fprintf(&b, "%s %s\n", r, ids[i])
		}
	}
	return os.WriteFile(*more, []byte(b.String()), 0o644)
}

// addToRepositories adds the tags of file (REF ID a line) to the
// daemon's reference store, repositories.json, which the daemon reads
// when it starts: the daemon must be stopped. The references are keyed as
// the daemon keys them (in their familiar form, as a load names them):
// Docker Hub names would need their familiar form, the bench's all name a
// registry.
func addToRepositories(file, repositories string) error {
	if repositories == "" {
		return fmt.Errorf("-add-tags needs -repositories")
	}
	lines, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(repositories)
	if err != nil {
		return err
	}
	var store struct {
		Repositories map[string]map[string]string
	}
	if err := json.Unmarshal(data, &store); err != nil {
		return fmt.Errorf("%s: %w", repositories, err)
	}
	if store.Repositories == nil {
		store.Repositories = map[string]map[string]string{}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(lines)), "\n") {
		ref, id, ok := strings.Cut(line, " ")
		slash := strings.LastIndex(ref, "/")
		colon := strings.LastIndex(ref, ":")
		if !ok || colon < 0 || colon < slash || !strings.HasPrefix(id, "sha256:") {
			return fmt.Errorf("%s: want REPOSITORY:TAG and an image ID, not %q", file, line)
		}
		repo := ref[:colon]
		if store.Repositories[repo] == nil {
			store.Repositories[repo] = map[string]string{}
		}
		store.Repositories[repo][ref] = id
	}
	out, err := json.Marshal(store)
	if err != nil {
		return err
	}
	return os.WriteFile(repositories, out, 0o600)
}

// tagName is the name of tag k in a style: "ci" tags look like a CI
// registry's (fixture.CITag), others are t<k>.
func tagName(style string, k int) string {
	if style == "ci" {
		return fixture.CITag(k)
	}
	return fmt.Sprintf("t%04d", k)
}
