package render

import (
	"github.com/charmbracelet/log"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/policy"
)

// LogProgress logs each outcome of an enforcement as it is known.
type LogProgress struct{ Logger *log.Logger }

func (p LogProgress) Start(total int) { p.Logger.Debug("enforcing", "actions", total) }
func (p LogProgress) Finish()         {}

func (p LogProgress) Done(r apply.Result, _, _ int) {
	act := r.Action
	kv := []any{"kind", act.Kind, "object", ObjectName(act), "rule", act.Rule, "reason", act.Reason}
	if r.Bytes > 0 {
		kv = append(kv, "bytes", policy.HumanSize(r.Bytes))
	}
	if r.Detail != "" {
		kv = append(kv, "detail", r.Detail)
	}
	if r.Outcome == apply.OutcomeFailed {
		p.Logger.Warn(r.Outcome, kv...)
		return
	}
	p.Logger.Info(r.Outcome, kv...)
}
