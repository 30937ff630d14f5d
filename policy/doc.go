// Package policy is the heart of docker-shaper: it loads retention policies
// written in HCL and evaluates them against a snapshot of a Docker host.
//
// The package is pure. It never talks to the Docker daemon, never logs and
// never reads the clock: Load turns HCL into a Policy (or precise
// diagnostics), and Evaluate turns a Policy and a Snapshot into a Plan. The
// same Plan is what `docker shaper check` prints and what `docker shaper
// prune` executes, so the two can never tell different stories.
package policy
