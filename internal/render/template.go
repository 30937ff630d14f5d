package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/templates"
)

// Row is one line of output for a --format Go template, as docker's own
// --format takes them: one action of a plan (or, with --show-kept, one
// object kept), or one result of a prune. docs/output.md lists the fields;
// the names are a contract, like the JSON plan's.
type Row struct {
	Kind   string // image, container, volume, network, build_cache
	Action string // remove, untag, prune; keep for a kept object
	Ref    string // image: the tag; "" for an untagged image
	Name   string // container, volume, network
	ID     string // the short ID (12 characters), as docker prints it
	FullID string // the whole ID
	Object string // how tables name the object: "app:1 (0123456789ab)", "job-1"
	Rule   string // the rule (or protection) that decided
	Reason string
	Bytes  int64  // what removing it frees; -1 when unknown
	Size   string // Bytes for people: "10MB"; "-" when unknown, and for networks
	// Outcome and Detail are a prune result's: removed, untagged, skipped,
	// failed or unknown, and why. Empty in a plan.
	Outcome string
	Detail  string
}

// rowHeaders are the table headers of Row's fields, for "table {{…}}".
var rowHeaders = map[string]string{
	"Kind": "KIND", "Action": "ACTION", "Ref": "REFERENCE", "Name": "NAME", "ID": "ID", "FullID": "ID",
	"Object": "OBJECT", "Rule": "RULE", "Reason": "REASON", "Bytes": "BYTES", "Size": "SIZE",
	"Outcome": "OUTCOME", "Detail": "DETAIL",
}

// IsTemplate says whether the format is a Go template ("{{.Ref}}" or
// "table {{.Ref}}") rather than table or json.
func (f Format) IsTemplate() bool { return f != FormatTable && f != FormatJSON }

// templateText is the template of a --format value: without the "table"
// prefix, with \t and \n as tab and newline, as docker takes them.
func (f Format) templateText() (text string, table bool) {
	text, table = strings.CutPrefix(string(f), FormatTable)
	text = strings.Trim(text, " ")
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(text), table
}

// parseTemplate parses a --format template with docker's functions (json,
// join, lower, upper, truncate, pad, …).
func parseTemplate(f Format) (*template.Template, error) {
	text, _ := f.templateText()
	t, err := templates.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("invalid --format template: %w", err)
	}
	// A field Row does not have is found here, before the daemon is
	// contacted, not on the first row.
	if err := t.Execute(io.Discard, Row{}); err != nil {
		return nil, fmt.Errorf("invalid --format template: %w (the fields are in docs/output.md)", err)
	}
	return t, nil
}

// Rows writes rows through the template format: one line per row; with a
// "table" prefix, in aligned columns under headers, as docker does.
func Rows(w io.Writer, f Format, rows []Row) error {
	t, err := parseTemplate(f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, r := range rows {
		if err := t.Execute(&buf, r); err != nil {
			return fmt.Errorf("--format template: %w", err)
		}
		buf.WriteByte('\n')
	}
	if _, table := f.templateText(); !table {
		_, err := buf.WriteTo(w)
		return err
	}
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	if err := t.Funcs(templates.HeaderFunctions).Execute(tw, rowHeaders); err != nil {
		return fmt.Errorf("--format template: %w", err)
	}
	if _, err := tw.Write([]byte{'\n'}); err != nil {
		return err
	}
	if _, err := buf.WriteTo(tw); err != nil {
		return err
	}
	return tw.Flush()
}

// Quiet writes what -q prints: one handle per row, each something docker
// takes back (docker rmi, docker rm, docker volume rm, docker network rm):
// an image's tag (its short ID when untagged), a container's or a
// network's short ID, a volume's name. Build cache has none: no line.
func Quiet(w io.Writer, rows []Row) error {
	var b strings.Builder
	for _, r := range rows {
		var h string
		switch r.Kind {
		case policy.KindImage:
			h = r.Ref
			if h == "" {
				h = r.ID
			}
		case policy.KindVolume:
			h = r.Name
		case policy.KindBuildCache:
			continue
		default:
			h = r.ID
		}
		b.WriteString(h + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// PlanRows are a plan's rows: its actions, then, with kept, what stays.
func PlanRows(plan policy.Plan, kept bool) []Row {
	rows := make([]Row, 0, len(plan.Actions))
	for _, a := range plan.Actions {
		rows = append(rows, actionRow(a))
	}
	if kept {
		for _, k := range plan.Kept {
			a := policy.Action{Kind: k.Kind, Action: "keep", Ref: k.Ref, ID: k.ID, Name: k.Name, Rule: k.Rule, Reason: k.Reason}
			r := actionRow(a)
			r.Bytes, r.Size = 0, ""
			rows = append(rows, r)
		}
	}
	return rows
}

// ResultRows are a prune's rows: one per action, with its outcome.
func ResultRows(report *apply.Report) []Row {
	if report == nil {
		return nil
	}
	rows := make([]Row, 0, len(report.Results))
	for _, res := range report.Results {
		r := actionRow(res.Action)
		r.Outcome, r.Detail = res.Outcome, res.Detail
		r.Bytes, r.Size = res.Bytes, policy.HumanSize(res.Bytes)
		rows = append(rows, r)
	}
	return rows
}

func actionRow(a policy.Action) Row {
	size := "-" // unknown, or a network: networks take no space
	if a.Bytes >= 0 && a.Kind != policy.KindNetwork {
		size = policy.HumanSize(a.Bytes)
	}
	r := Row{Kind: a.Kind, Action: a.Action, Ref: a.Ref, Name: a.Name, FullID: a.ID, Object: ObjectName(a),
		Rule: a.Rule, Reason: a.Reason, Bytes: a.Bytes, Size: size}
	if a.ID != "" {
		r.ID = policy.ShortID(a.ID)
	}
	return r
}
