//go:build unix

package policy

import "syscall"

// openNonBlocking opens without waiting: should a FIFO replace the policy
// between the Stat and the open, opening it does not block (and the
// second check refuses it).
const openNonBlocking = syscall.O_NONBLOCK
