package apply

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

// lookAgain says what became of act, by looking at the daemon now: after a
// removal call that failed in a way that leaves it open whether it took
// effect, and for a journal's intents that a killed run left without
// outcomes. The result's Outcome is "" when the object is as the plan saw
// it (the action did not take effect); the error is for a daemon that
// cannot be asked, or an action whose effect cannot be seen.
func lookAgain(ctx context.Context, d Daemon, act policy.Action) (Result, error) {
	gone := Result{Outcome: OutcomeRemoved, Bytes: max(act.Bytes, 0)}
	switch act.Kind {
	case policy.KindContainer:
		_, err := d.InspectContainer(ctx, act.ID)
		return settled(err, gone, "the container is gone")
	case policy.KindVolume:
		_, err := d.InspectVolume(ctx, act.Name)
		return settled(err, gone, "the volume is gone")
	case policy.KindNetwork:
		return settled(d.InspectNetwork(ctx, act.ID), Result{Outcome: OutcomeRemoved}, "the network is gone")
	case policy.KindImage:
		img, err := d.InspectImage(ctx, act.ID)
		if err != nil {
			if act.Action != policy.ActionRemove {
				gone.Bytes = 0
			}
			return settled(err, gone, "the image is gone")
		}
		if act.Ref != "" && !slices.Contains(img.Tags, act.Ref) {
			return Result{Outcome: OutcomeUntagged, Detail: "the tag is gone, the image stays"}, nil
		}
		return Result{}, nil
	}
	return Result{}, errors.New("what a " + act.Kind + " " + act.Action + " did cannot be seen afterwards")
}

// settled turns the error of a look at an object into what it shows: gone
// (the object was removed), there (nothing happened), or no answer.
func settled(err error, gone Result, detail string) (Result, error) {
	switch {
	case err == nil:
		return Result{}, nil
	case errors.Is(err, ErrNotFound):
		gone.Detail = detail
		return gone, nil
	}
	return Result{}, err
}

// Intent is an action a journal says was about to change the host, with
// no outcome after it.
type Intent struct {
	Run, Command string
	Seq          int
	Action       policy.Action
}

// Reconcile says what became of intents that an interrupted run left
// without outcomes, by looking at the daemon now: removed or untagged when
// the object shows it, skipped ("the run stopped before it took effect")
// when it is as the plan saw it, unknown when the daemon cannot tell.
// Results carry the intent's Seq; their Time is now.
func Reconcile(ctx context.Context, d Daemon, intents []Intent, clk func() time.Time) []Result {
	out := make([]Result, 0, len(intents))
	for _, in := range intents {
		r, err := lookAgain(ctx, d, in.Action)
		switch {
		case err != nil:
			r = Result{Outcome: OutcomeUnknown, Detail: "the run was interrupted after it sent the call, and the daemon cannot tell what it did: " + err.Error()}
		case r.Outcome == "":
			r = Result{Outcome: OutcomeSkipped, Detail: "the run was interrupted before the call took effect: the object is as the plan saw it"}
		default:
			r.Detail = "the run was interrupted after it sent the call: " + r.Detail
		}
		r.Action, r.Seq, r.Time = in.Action, in.Seq, clk()
		out = append(out, r)
	}
	return out
}
