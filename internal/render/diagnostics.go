package render

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"
)

// Diagnostics writes diags to w the way HCL tools do (a source
// snippet from files, and the detail), each headed by its place as
// file:line:column so editors and people can jump to it. Colour and wrapping
// only when w is a terminal (and NO_COLOR is unset).
//
//	bad.hcl:3:17: Error: Pattern has no tag
//
//	  on bad.hcl line 3, in image "old":
//	   3:   match      = ["nginx"]
//
//	Image patterns are REPOSITORY:TAG, …
func Diagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) error {
	if len(diags) == 0 {
		return nil
	}
	width, color := terminalWidth(w)
	var buf bytes.Buffer
	dw := hcl.NewDiagnosticTextWriter(&buf, files, width, color && os.Getenv("NO_COLOR") == "")
	for _, d := range diags {
		if d.Subject != nil {
			fmt.Fprintf(&buf, "%s: ", DiagPlace(d.Subject))
		}
		if err := dw.WriteDiagnostic(d); err != nil {
			return err
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// DiagPlace is where a diagnostic points: "bad.hcl:3:17".
func DiagPlace(r *hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
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
