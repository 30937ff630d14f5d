package render

import "github.com/docker-shaper/docker-shaper/policy"

// WhatGoes counts a plan's actions for people: "12 objects", or "3
// objects and 9 tags" when some actions only untag.
func WhatGoes(plan policy.Plan) string {
	tags := 0
	for _, a := range plan.Actions {
		if a.Action == policy.ActionUntag {
			tags++
		}
	}
	s := Plural(len(plan.Actions)-tags, "object", "objects")
	if tags > 0 {
		s += " and " + Plural(tags, "tag", "tags")
	}
	return s
}
