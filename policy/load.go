package policy

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Loader loads policy files. It keeps one HCL parser so diagnostics can be
// rendered with source snippets afterwards.
type Loader struct {
	parser *hclparse.Parser
}

// NewLoader returns a Loader.
func NewLoader() *Loader { return &Loader{parser: hclparse.NewParser()} }

// Files returns the sources parsed so far, for hcl.NewDiagnosticTextWriter.
func (l *Loader) Files() map[string]*hcl.File { return l.parser.Files() }

// LoadFile reads and loads the policy at path.
func (l *Loader) LoadFile(path string) (*Policy, hcl.Diagnostics) {
	panic("STUB: replaced by the loader work")
}

// Load parses and validates src, naming it filename in diagnostics. The
// policy is nil whenever diags has an error.
func (l *Loader) Load(filename string, src []byte) (*Policy, hcl.Diagnostics) {
	panic("STUB: replaced by the loader work")
}
