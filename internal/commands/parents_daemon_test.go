package commands

// Parents and dangling images against the real test daemon, on Docker and
// on Podman (scripts/test.sh runs this against both): a legacy build FROM a
// local image leaves untagged intermediate images under the one it tags.
// They have children, so no dangling rule may ever take them, and the base
// they are built on can only be untagged. A rebuild leaves the previous
// image dangling: that one goes, and is reported removed, not untagged.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"
)

const parentsPolicy = `
image "built" {
  match = ["built:*"]
  keep  = 1
}
image "dangling" {
  dangling = true
}
image "bases" {
  match = ["base:*"]
}
`

// build builds files (Dockerfile and what it copies) with the legacy
// builder, tagged tag, and returns the image's ID.
func (e *pruneEnv) build(tag string, files map[string]string) string {
	e.t.Helper()
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)}); err != nil {
			e.t.Fatal(err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		e.t.Fatal(err)
	}
	ctx := context.Background()
	res, err := e.api.ImageBuild(ctx, &ctxTar, client.ImageBuildOptions{Tags: []string{tag}, Version: build.BuilderV1, Remove: true})
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var msg struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			e.t.Fatalf("build output: %v", err)
		}
		if msg.Error != "" {
			e.t.Fatalf("build: %s", msg.Error)
		}
	}
	img, err := e.api.ImageInspect(ctx, tag)
	if err != nil {
		e.t.Fatal(err)
	}
	return docker.FullImageID(img.ID)
}

// untaggedImages are the IDs of the images without tags, intermediate or
// dangling.
func (e *pruneEnv) untaggedImages() map[string]bool {
	e.t.Helper()
	imgs, err := e.api.ImageList(context.Background(), client.ImageListOptions{All: true})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, im := range imgs.Items {
		if len(im.RepoTags) == 0 || len(im.RepoTags) == 1 && im.RepoTags[0] == "<none>:<none>" {
			out[docker.FullImageID(im.ID)] = true
		}
	}
	return out
}

func TestDanglingNeverTakesAParent(t *testing.T) {
	e := newPruneEnv(t, parentsPolicy)
	e.load(fixture.Image{Refs: []string{"base:1"}, Runnable: true, Created: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
	dockerfile := "FROM base:1\nCOPY a.txt /a.txt\nRUN [\"true\"]\nCOPY b.txt /b.txt\nLABEL stage=final\n"
	first := e.build("built:1", map[string]string{"Dockerfile": dockerfile, "a.txt": "hello\n", "b.txt": "world\n"})
	intermediates := e.untaggedImages()
	if len(intermediates) == 0 {
		t.Fatal("the build left no intermediate images: nothing to guard")
	}

	// Only the base's tag: the intermediates have children, the base too.
	res := e.plan()
	for _, a := range res.Plan.Actions {
		if a.Ref == "" {
			t.Errorf("planned %s of the intermediate image %s (rule %s): a parent of a tagged image", a.Action, policy.ShortID(a.ID), a.Rule)
		}
	}
	if len(res.Plan.Actions) != 1 || res.Plan.Actions[0].Ref != "base:1" || res.Plan.Actions[0].Action != policy.ActionUntag ||
		!strings.Contains(res.Plan.Actions[0].Reason, "other images are built on it, so it is only untagged") {
		t.Errorf("plan %+v: want only base:1 untagged, as images are built on it", res.Plan.Actions)
	}

	// A rebuild with b.txt changed: the first image is dangling now, and
	// the only untagged image the plan may take.
	second := e.build("built:1", map[string]string{"Dockerfile": dockerfile, "a.txt": "hello\n", "b.txt": "world, again\n"})
	if second == first {
		t.Fatal("the rebuild made the same image")
	}
	res = e.plan()
	var dangling []policy.Action
	for _, a := range res.Plan.Actions {
		if a.Ref == "" {
			dangling = append(dangling, a)
		}
	}
	if len(dangling) != 1 || dangling[0].ID != first || dangling[0].Action != policy.ActionRemove || dangling[0].Rule != "image.dangling" {
		t.Fatalf("untagged images planned %+v: want only the first build %s, removed by the dangling rule", dangling, policy.ShortID(first))
	}
	if got, engine := dangling[0].Bytes, e.engine(); engine == docker.EngineDocker && got <= 0 || engine == docker.EnginePodman && got != -1 {
		t.Errorf("%s: planned bytes %d: want the bytes only it holds on Docker, unknown (-1) on Podman, which does not report them", engine, got)
	}

	// prune reports it removed, with its bytes, and journals it so.
	e.policySource("image \"dangling\" {\n  dangling = true\n}\n")
	out, stderr, err := e.run("prune", "-f", "--format", "json")
	if err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	doc := decodePrune(t, out)
	if len(doc.Results) != 1 || doc.Results[0].ID != first || doc.Results[0].Outcome != apply.OutcomeRemoved || doc.Summary.Removed != 1 || doc.Summary.Untagged != 0 {
		t.Errorf("results %+v, summary %+v: want the first build removed", doc.Results, doc.Summary)
	}
	if imageExists(t, e.api, first) {
		t.Error("the first build is still there")
	}
	for _, ref := range []string{second, "built:1", "base:1"} {
		if !imageExists(t, e.api, ref) {
			t.Errorf("%s was removed", ref)
		}
	}
	entries, err := journalOutcomes(e.journalPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].ID != first || entries[0].Outcome != apply.OutcomeRemoved {
		t.Errorf("journal %+v: want the first build, removed", entries)
	}
}
