package policy_test

import (
	"testing"

	"github.com/docker-shaper/docker-shaper/policy"
)

func TestShortID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"sha256:669bec68257575a9d3899da028e933c9d7aa2682c11300c70ee9827fc15d427d": "669bec682575",
		"0ecabaa1e6aa659613ae34aa36e8ef5d227a04c46076aee60ca57d3c28bb4b89":        "0ecabaa1e6aa",
		"abc": "abc",
		"":    "",
	} {
		if got := policy.ShortID(in); got != want {
			t.Errorf("ShortID(%q) = %q, want %q", in, got, want)
		}
	}
}
