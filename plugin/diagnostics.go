package plugin

import (
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"
)

// renderDiagnostics writes diags to w the way HCL tools do: file:line:col,
// a source snippet from files, and the detail. Colour and wrapping only when
// w is a terminal (and NO_COLOR is unset).
func renderDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) error {
	if len(diags) == 0 {
		return nil
	}
	width, color := terminalWidth(w)
	return hcl.NewDiagnosticTextWriter(w, files, width, color && os.Getenv("NO_COLOR") == "").WriteDiagnostics(diags)
}

// terminalWidth returns w's width and true when w is a terminal, else 0 and
// false.
func terminalWidth(w io.Writer) (uint, bool) {
	f, ok := w.(interface{ FD() uintptr })
	if !ok {
		if osf, isFile := w.(*os.File); isFile {
			f, ok = fdFile{osf}, true
		}
	}
	if !ok || !term.IsTerminal(int(f.FD())) {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.FD()))
	if err != nil || width <= 0 {
		return 0, true
	}
	return uint(width), true
}

// fdFile gives an *os.File the FD method of docker's streams.
type fdFile struct{ f *os.File }

func (f fdFile) FD() uintptr { return f.f.Fd() }
