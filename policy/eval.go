package policy

// Evaluate decides, for every object in the snapshot, whether the policy
// removes it, keeps it on purpose, or leaves it unclaimed. It is a pure
// function of its arguments.
func Evaluate(p *Policy, s Snapshot) Plan {
	panic("STUB: replaced by the engine work")
}
