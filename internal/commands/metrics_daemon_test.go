package commands

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
)

// scrape reads the metrics at url into name{labels} -> value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// The watcher's metrics, scraped over loopback during real enforcements,
// agree with its journal; /healthz answers while it runs.
func TestWatchServesMetrics(t *testing.T) {
	e := newPruneEnv(t, idlePolicy+"image \"doomed\" {\n  match = [\"wm-doomed:*\"]\n}\n")
	cli, _, _ := e.cli("", false)
	e.load(
		fixture.Image{Refs: []string{"wm-doomed:1", "wm-doomed:2"}, Size: 2000},
		fixture.Image{Refs: []string{"wm-doomed:3"}, Size: 3000},
		fixture.Image{Refs: []string{"wm-keep:1"}},
	)
	bound := make(chan string, 1)
	w := startWatcher(t, cli, watchOptions{policy: policyFlag{path: e.policy, set: true},
		interval: durationValue(time.Hour), metricsAddr: "127.0.0.1:0", metricsBound: bound})
	var addr string
	select {
	case addr = <-bound:
	case <-time.After(30 * time.Second):
		t.Fatal("metrics were not served")
	}
	w.waitLog("INFO enforced", 1, 30*time.Second)

	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ok" {
		t.Errorf("/healthz: %d %q", res.StatusCode, body)
	}

	m := scrape(t, "http://"+addr+"/metrics")
	entries, err := journalOutcomes(e.journalPath())
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	var freed float64
	for _, en := range entries {
		counts[en.Kind+"|"+en.Outcome]++
		if en.Outcome == apply.OutcomeRemoved {
			freed += float64(en.Bytes)
		}
	}
	if len(entries) != 3 {
		t.Fatalf("journal: %d outcomes, want 3 (two tags and an image)", len(entries))
	}
	for k, want := range counts {
		kind, outcome, _ := strings.Cut(k, "|")
		name := fmt.Sprintf(`docker_shaper_removals_total{kind="%s",outcome="%s"}`, kind, outcome)
		if m[name] != want {
			t.Errorf("%s = %v, the journal says %v", name, m[name], want)
		}
	}
	if got := m[`docker_shaper_reclaimed_bytes_total{kind="image"}`]; got != freed || freed == 0 {
		t.Errorf("reclaimed bytes %v, the journal says %v", got, freed)
	}
	for name, want := range map[string]float64{
		`docker_shaper_enforcements_total{outcome="ok"}`:              1,
		`docker_shaper_daemon_up`:                                     1,
		`docker_shaper_objects_due{kind="image",rule="image.doomed"}`: 3,
	} {
		if m[name] != want {
			t.Errorf("%s = %v, want %v", name, m[name], want)
		}
	}
	if m["docker_shaper_last_success_timestamp_seconds"] == 0 {
		t.Error("no last success")
	}
	// The removals' own events reach the watcher a moment later.
	waitFor(t, 20*time.Second, "the removals' events in the metrics", func() bool {
		return scrape(t, "http://"+addr+"/metrics")[`docker_shaper_events_total{action="delete",type="image"}`] > 0
	})
}
