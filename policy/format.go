package policy

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// ReadFile reads a policy file as the loader does: a regular file of at
// most MaxPolicySize bytes, refused before it is opened when it is a
// directory, a device, a FIFO or a socket.
func ReadFile(path string) ([]byte, error) { return readPolicyFile(path) }

// Format returns src in canonical form, as terraform fmt writes HCL:
// hclwrite's indentation, spacing and alignment of the = signs of adjacent
// attributes, with every comment kept. Only the syntax is checked, not
// what the policy means: a file with a misspelt attribute is formatted
// too, and validate says what is wrong with it. A file that does not parse
// (or that the loader refuses before parsing: too large, not text, nested
// too deep) is not formatted: the diagnostics say why, and the Loader
// renders them with source snippets.
//
// The result ends with one newline, unless it is empty.
func (l *Loader) Format(filename string, src []byte) ([]byte, hcl.Diagnostics) {
	if _, diags := l.parse(filename, src); diags.HasErrors() {
		return nil, diags
	}
	out := hclwrite.Format(src)
	out = append(bytes.TrimRight(out, "\n"), '\n')
	if len(bytes.TrimSpace(out)) == 0 {
		out = out[:0]
	}
	return out, nil
}
