package render

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

// The plan writer writes what encoding/json writes for the plan (indented
// as JSON does), byte for byte, whatever the plan holds: every kind of
// action, omitted and present optional fields, and strings that need
// escaping (quotes, control characters, HTML characters left as they are,
// U+2028, invalid UTF-8).
func TestPlanJSONIsEncodingJSON(t *testing.T) {
	t.Parallel()
	strs := []string{"", "app:1", `q"uote\back`, "ctl\x00\x01\b\f\n\r\t\x1f", "<&>", "seen ≥ 3d ago", "sep\u2028\u2029",
		"bad\xff\xfeutf8", "ghcr.io/acme/api:pr-12", "sha256:0123456789abcdef"}
	kinds := []string{policy.KindImage, policy.KindContainer, policy.KindVolume, policy.KindNetwork, policy.KindBuildCache}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 1))
		s := func() string { return strs[r.IntN(len(strs))] }
		n := func() int { return []int{0, 0, 1, 7, -1, 1 << 40}[r.IntN(6)] }
		p := policy.Plan{Version: 1, Policy: s(), Now: time.Date(2026, 12, 2, 13, 0, r.IntN(60), r.IntN(2)*123456789, time.UTC)}
		if r.IntN(2) == 0 {
			p.Daemon = &policy.Daemon{ID: s(), Context: s(), Engine: s(), Version: s(), API: s(), Instance: s()}
		}
		for range r.IntN(4) {
			p.Actions = append(p.Actions, policy.Action{Kind: kinds[r.IntN(len(kinds))], Action: s(), Ref: s(), ID: s(), Name: s(),
				Rule: s(), Reason: s(), Bytes: int64(n()), Basis: s(), Rank: n()})
		}
		for range r.IntN(4) {
			p.Kept = append(p.Kept, policy.Kept{Kind: kinds[r.IntN(len(kinds))], Ref: s(), ID: s(), Name: s(), Rule: s(), Reason: s(), Rank: n()})
		}
		for range r.IntN(3) {
			p.Warnings = append(p.Warnings, policy.Warning{Message: s(), Filename: s(), Line: n(), Column: n()})
		}
		p.Summary = policy.Summary{Actions: n(), ReclaimableBytes: int64(n()), UnknownBytes: n()}

		var got bytes.Buffer
		if err := PlanJSON(&got, p); err != nil {
			t.Fatal(err)
		}
		want := encodingJSON(t, p)
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("seed %d: the plan writer differs from encoding/json:\n got %s\nwant %s", seed, got.Bytes(), want)
		}
	}
}

// encodingJSON is the plan document as encoding/json writes it, but for
// the HTML escaping policy.Action.MarshalJSON's json.Marshal applies (and
// the encoder keeps) to the actions' strings alone: the plan writer
// leaves '<', '>' and '&' as they are everywhere, as JSON says.
func encodingJSON(t *testing.T, p policy.Plan) []byte {
	t.Helper()
	if p.Actions == nil {
		p.Actions = []policy.Action{}
	}
	if p.Kept == nil {
		p.Kept = []policy.Kept{}
	}
	if p.Warnings == nil {
		p.Warnings = []policy.Warning{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	return bytes.NewBufferString(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(b.String())).Bytes()
}
