package docker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/moby/moby/client"
)

// IsConnectionError says whether err means the daemon could not be
// reached.
func IsConnectionError(err error) bool { return client.IsErrConnectionFailed(err) }

// ConnectionError is the client's own error in err, which says where it
// tried to connect and why it could not, without what docker-shaper was
// doing at the time; nil when err is not a connection error.
func ConnectionError(err error) error {
	var found error
	for e := err; e != nil; e = errors.Unwrap(e) {
		if client.IsErrConnectionFailed(e) {
			found = e
		}
	}
	return found
}

// IsNotFound says whether err means the object is gone.
func IsNotFound(err error) bool {
	return cerrdefs.IsNotFound(err) || errors.Is(err, apply.ErrNotFound)
}

func wrapAPIError(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// apiError is an error of the API as apply sees it: the daemon's message
// without the client's prefix, classified into one of apply's kinds.
type apiError struct {
	msg  string
	kind error // apply.ErrNotFound, apply.ErrChanged, or nil
	err  error
}

func (e *apiError) Error() string { return e.msg }

func (e *apiError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

// classify turns an error of a call apply made into one apply understands:
// gone (apply.ErrNotFound), refused because the object changed since the
// plan (apply.ErrChanged: it came into use, or someone else is removing
// it), or anything else; cancellations stay what they are.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := strings.TrimPrefix(err.Error(), "Error response from daemon: ")
	var kind error
	switch {
	case cerrdefs.IsNotFound(err):
		kind = apply.ErrNotFound
	case (cerrdefs.IsConflict(err) || cerrdefs.IsPermissionDenied(err)) && safeRace(msg):
		kind = apply.ErrChanged
	}
	return &apiError{msg: msg, kind: kind, err: err}
}

// safeConflicts are the daemon's words for a removal refused because the
// object came into use, or is being removed by someone else: races with
// other users of the daemon, not failures.
var safeConflicts = []string{
	"in use",
	"is using",
	"being used",
	"has dependent child images",
	"already in progress",
	"active endpoints",
	"cannot remove a running container",
	"stop the container before",
}

func safeRace(msg string) bool {
	msg = strings.ToLower(msg)
	for _, s := range safeConflicts {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
