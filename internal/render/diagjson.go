package render

import (
	"io"

	"github.com/hashicorp/hcl/v2"
)

// DiagnosticsDocument is what validate --format json prints, and check
// --format json when the policy does not load: the diagnostics as data,
// for editors and CI. Valid is false when any file has an error.
type DiagnosticsDocument struct {
	Valid        bool               `json:"valid"`
	ErrorCount   int                `json:"error_count"`
	WarningCount int                `json:"warning_count"`
	Files        []FileStatus       `json:"files"`
	Diagnostics  []DiagnosticRecord `json:"diagnostics"`
}

// FileStatus is one policy checked: its name ("embedded default" for the
// built-in one), whether it loaded, and its rule count when it did.
type FileStatus struct {
	File  string `json:"file"`
	Valid bool   `json:"valid"`
	Rules int    `json:"rules"`
}

// DiagnosticRecord is one diagnostic. Line and column count from 1
// (columns in characters, as editors and hcl.Pos count them); End is
// where the subject ends, exclusive. A diagnostic about a whole file
// (one that cannot be read) has no line, column or end.
type DiagnosticRecord struct {
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	End      *DiagPos `json:"end,omitempty"`
	Severity string   `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail"`
}

// DiagPos is a place in a file.
type DiagPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// AddDiagnostics appends diags, about the policy named file, to the
// document and updates its counts; rules is the rule count of a policy
// that loaded, -1 for one that did not.
func (doc *DiagnosticsDocument) AddDiagnostics(file string, rules int, diags hcl.Diagnostics) {
	if doc.Files == nil {
		doc.Files = []FileStatus{}
	}
	if doc.Diagnostics == nil {
		doc.Diagnostics = []DiagnosticRecord{}
	}
	st := FileStatus{File: file, Valid: rules >= 0 && !diags.HasErrors(), Rules: max(rules, 0)}
	doc.Files = append(doc.Files, st)
	for _, d := range diags {
		r := DiagnosticRecord{File: file, Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			r.Severity = "warning"
			doc.WarningCount++
		} else {
			doc.ErrorCount++
		}
		if s := d.Subject; s != nil {
			r.File = s.Filename
			r.Line, r.Column = s.Start.Line, s.Start.Column
			r.End = &DiagPos{Line: s.End.Line, Column: s.End.Column}
		}
		doc.Diagnostics = append(doc.Diagnostics, r)
	}
	doc.Valid = doc.ErrorCount == 0
	for _, f := range doc.Files {
		doc.Valid = doc.Valid && f.Valid
	}
}

// DiagnosticsJSON writes doc as JSON.
func DiagnosticsJSON(w io.Writer, doc DiagnosticsDocument) error {
	if doc.Files == nil {
		doc.Files = []FileStatus{}
	}
	if doc.Diagnostics == nil {
		doc.Diagnostics = []DiagnosticRecord{}
	}
	return JSON(w, doc)
}
