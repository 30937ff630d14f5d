// Package archtest holds the test that keeps docker-shaper's architecture
// what docs/architecture.md says it is: which package may import which,
// moby only in internal/docker, a pure policy package, and the wall clock
// read in internal/clock alone. It has no code of its own.
package archtest
