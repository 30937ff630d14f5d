//go:build !unix

package policy

const openNonBlocking = 0
