package docker

import (
	"context"
	"errors"
	"fmt"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker-shaper/docker-shaper/internal/apply"
)

// The daemon's refusals are classified by its words: a removal refused
// because the object came into use or is being removed is a race with the
// daemon's other users (apply skips it); anything else is a failure.
func TestClassify(t *testing.T) {
	t.Parallel()
	conflict := func(msg string) error {
		return fmt.Errorf("Error response from daemon: %s: %w", msg, cerrdefs.ErrConflict)
	}
	for _, tt := range []struct {
		err  error
		kind error // nil: neither apply kind
		msg  string
	}{
		{fmt.Errorf("Error response from daemon: No such image: x: %w", cerrdefs.ErrNotFound), apply.ErrNotFound, "No such image: x: not found"},
		{conflict("volume is in use"), apply.ErrChanged, "volume is in use: conflict"},
		{conflict("unable to delete abc (cannot be forced) - image has dependent child images"), apply.ErrChanged, ""},
		{conflict("You cannot remove a running container abc. Stop the container before attempting removal or force remove"), apply.ErrChanged, ""},
		{fmt.Errorf("error while removing network: network n id x has active endpoints: %w", cerrdefs.ErrPermissionDenied), apply.ErrChanged, ""},
		{conflict("unable to delete abc (must be forced) - image is referenced in multiple repositories"), nil, ""},
		{errors.New("boom"), nil, "boom"},
	} {
		got := classify(tt.err)
		for _, kind := range []error{apply.ErrNotFound, apply.ErrChanged} {
			if errors.Is(got, kind) != (kind == tt.kind) {
				t.Errorf("%v: errors.Is(%v) = %v", tt.err, kind, !(kind == tt.kind))
			}
		}
		if tt.msg != "" && got.Error() != tt.msg {
			t.Errorf("%v: message %q, want %q", tt.err, got, tt.msg)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("%v: the original error is lost", tt.err)
		}
	}
	if err := classify(context.Canceled); err != context.Canceled {
		t.Errorf("a cancellation is classified as %v", err)
	}
}
