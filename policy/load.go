package policy

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
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

// LoadFile reads and loads the policy at path. It reads regular files
// only, and at most MaxPolicySize bytes of them: a directory, a device, a
// FIFO or a socket is refused before it is opened, so nothing blocks.
func (l *Loader) LoadFile(path string) (*Policy, hcl.Diagnostics) {
	src, err := readPolicyFile(path)
	if err != nil {
		l.forget(path)
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read policy file",
			Detail:   fmt.Sprintf("Reading %s: %v.", path, err),
		}}
	}
	return l.Load(path, src)
}

// readPolicyFile reads a regular file of at most MaxPolicySize bytes.
func readPolicyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if err := regular(fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlocking, 0)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer f.Close()
	// The file may have been replaced since the Stat.
	if fi, err = f.Stat(); err != nil {
		return nil, unwrapPathError(err)
	} else if err := regular(fi); err != nil {
		return nil, err
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxPolicySize+1))
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if len(src) > MaxPolicySize {
		return nil, fmt.Errorf("it is larger than 1 MiB (%d bytes), the most a policy may be; "+
			"a policy is a short list of rules: check that this is the right file", MaxPolicySize)
	}
	return src, nil
}

// regular returns an error saying what fi is unless it is a regular file.
func regular(fi fs.FileInfo) error {
	var what string
	switch m := fi.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0:
		what = "a device"
	default:
		what = "not a regular file"
		return fmt.Errorf("it is %s: a policy is a regular file", what)
	}
	return fmt.Errorf("it is %s, not a regular file: name the policy file itself", what)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// forget drops the source the Loader renders filename's diagnostics from,
// so a file that can no longer be read is not shown from a stale copy.
func (l *Loader) forget(filename string) {
	l.parser.AddFile(filename, &hcl.File{})
}

// parse checks src before parsing (size, text, nesting), parses it and
// keeps it for rendering diagnostics with snippets: the first steps of
// Load and Format. On errors, the diagnostics are sorted and capped.
func (l *Loader) parse(filename string, src []byte) (*hcl.File, hcl.Diagnostics) {
	for _, check := range []func(string, []byte) hcl.Diagnostics{checkSize, checkText} {
		if diags := check(filename, src); diags.HasErrors() {
			// Not text, or too much of it to render: no snippets.
			l.forget(filename)
			return nil, diags
		}
	}
	if diags := checkNesting(filename, src); diags.HasErrors() {
		// Show the line unless it is a wall of brackets.
		if lineLength(src, diags[0].Subject.Start.Byte) <= 1024 {
			l.parser.AddFile(filename, &hcl.File{Bytes: src})
		} else {
			l.forget(filename)
		}
		return nil, diags
	}
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if file != nil {
		l.parser.AddFile(filename, file)
	}
	if diags.HasErrors() {
		sortDiagnostics(diags)
		return nil, capDiagnostics(diags)
	}
	return file, diags
}

// Load parses and validates src, naming it filename in diagnostics. The
// policy is nil whenever diags has an error; warnings are both in diags and
// in Policy.Warnings. At most 20 errors and 20 warnings are returned, each
// kind followed by one diagnostic that says how many more there were.
//
// Before parsing, Load refuses a source larger than MaxPolicySize, one
// that is not UTF-8 text, and one that nests deeper than MaxNesting, each
// with one diagnostic.
//
// Loading the same filename again replaces the source the Loader renders
// diagnostics from, so one Loader can follow a file that changes.
func (l *Loader) Load(filename string, src []byte) (*Policy, hcl.Diagnostics) {
	file, diags := l.parse(filename, src)
	if diags.HasErrors() {
		return nil, diags
	}
	d := &decoder{src: src}
	p := d.policy(filename, file.Body)
	diags = append(diags, d.diags...)
	sortDiagnostics(diags)
	diags = capDiagnostics(diags)
	if diags.HasErrors() {
		return nil, diags
	}
	for _, diag := range diags {
		if diag.Severity == hcl.DiagWarning {
			p.Warnings = append(p.Warnings, warningOf(diag))
		}
	}
	return p, diags
}

// warningOf turns a warning diagnostic into the plan's Warning.
func warningOf(diag *hcl.Diagnostic) Warning {
	w := Warning{Message: diag.Summary}
	if diag.Detail != "" {
		w.Message += ": " + lowerFirst(diag.Detail)
	}
	if diag.Subject != nil {
		w.Filename = diag.Subject.Filename
		w.Line = diag.Subject.Start.Line
		w.Column = diag.Subject.Start.Column
	}
	return w
}

// sortDiagnostics orders diagnostics by position, those without one first,
// so users read them top to bottom whichever check found them.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
}

// Block and attribute names, the schema of the language.
const (
	blockProtect    = "protect"
	blockBuildCache = "build_cache"
)

// The HCL schemas the loader decodes with, made from the language's
// specification (schema.go), which the JSON Schema is made from too.
var (
	policySchema     = topSchema()
	protectSchema    = bodySchemaOf(blockProtect)
	imageSchema      = bodySchemaOf(KindImage)
	containerSchema  = bodySchemaOf(KindContainer)
	volumeSchema     = bodySchemaOf(KindVolume)
	networkSchema    = bodySchemaOf(KindNetwork)
	buildCacheSchema = bodySchemaOf(blockBuildCache)
)

// Allowed values of the enumerations.
var (
	basisValues  = []string{string(BasisSeen), string(BasisCreated), string(BasisLastUsed)}
	orderValues  = []string{string(OrderAge), string(OrderVersion)}
	statusValues = []string{StateCreated, StateRestarting, StateRunning, StateRemoving,
		StatePaused, StateExited, StateDead}
)

// Examples quoted in the hints of list attributes.
var listExamples = map[string]string{
	"images":       `["python:*", "**:stable"]`,
	"images_regex": `["registry.example.com/app:v\\d+"]`,
	"containers":   `["buildkitd*"]`,
	"volumes":      `["pgdata"]`,
	"networks":     `["ci_*"]`,
	"match":        `["ghcr.io/acme/**:pr-*"]`,
	"match_regex":  `["registry.example.com/app:v\\d+"]`,
	"exclude":      `["ghcr.io/acme/**:pr-keep-*"]`,
	"status":       `["exited", "dead"]`,
	"names":        `["ci-*"]`,
}

// decoder turns one file's body into a Policy, collecting every problem.
type decoder struct {
	src   []byte
	diags hcl.Diagnostics
	// blockStart is where the diagnostics of the block being decoded start.
	blockStart int
	// block is the type of the block being decoded.
	block string
}

// item is one string of a list with where it was written.
type item struct {
	val string
	rng hcl.Range
}

// imageInfo remembers what the catch-all check needs about an image rule.
type imageInfo struct {
	rule     *ImageRule
	catchAll *item // a match pattern that matches every reference
	selects  bool  // the rule can claim tagged images
}

func (d *decoder) policy(filename string, body hcl.Body) *Policy {
	p := &Policy{Filename: filename, ProtectLatest: true, AgeBasis: BasisSeen}
	content, diags := body.Content(policySchema)
	d.add(explainSchema(diags)...)
	d.literals(content.Attributes)

	if a := content.Attributes["protect_latest"]; a != nil {
		if v, ok := d.boolean(a); ok {
			p.ProtectLatest = v
		}
	}
	if a := content.Attributes["age_basis"]; a != nil {
		if v, ok := d.enum(a, basisValues); ok {
			p.AgeBasis = Basis(v)
		}
	}

	seen := map[string]map[string]hcl.Range{} // block type -> label -> first definition
	var images []imageInfo
	var buildCache *hcl.Block
	for _, b := range content.Blocks {
		d.blockStart = len(d.diags)
		d.block = b.Type
		if b.Type == blockBuildCache {
			if buildCache != nil {
				d.errorf(b.DefRange, nil, "Duplicate build_cache block",
					"A build_cache block is already defined at %s. A policy has at most one: merge the two.",
					pos(buildCache.DefRange))
				continue
			}
			buildCache = b
			p.BuildCache = d.buildCache(b)
			continue
		}
		label := b.Labels[0]
		if strings.TrimSpace(label) == "" {
			d.errorf(b.LabelRanges[0], &b.DefRange, "Empty rule name",
				"Name the %s block, e.g. %s %q { … }: plans and warnings refer to rules by name.",
				b.Type, b.Type, exampleLabel[b.Type])
		} else if first, dup := seen[b.Type][label]; dup {
			d.errorf(b.LabelRanges[0], &b.DefRange, fmt.Sprintf("Duplicate %s name", b.Type),
				"%s %s block named %q is already defined at %s. Names must be unique per block type, "+
					"because plans name rules by them (%s.%s): rename one of the two.",
				article(b.Type), b.Type, label, pos(first), b.Type, label)
		} else {
			if seen[b.Type] == nil {
				seen[b.Type] = map[string]hcl.Range{}
			}
			seen[b.Type][label] = b.DefRange
		}
		switch b.Type {
		case blockProtect:
			p.Protects = append(p.Protects, d.protect(b))
		case KindImage:
			info := d.image(b, p.AgeBasis)
			images = append(images, info)
			p.Images = append(p.Images, info.rule)
		case KindContainer:
			p.Containers = append(p.Containers, d.container(b))
		case KindVolume:
			p.Volumes = append(p.Volumes, d.volume(b))
		case KindNetwork:
			p.Networks = append(p.Networks, d.network(b))
		}
	}
	d.checkCatchAll(images)
	return p
}

var exampleLabel = map[string]string{
	blockProtect:  "base images",
	KindImage:     "pull requests",
	KindContainer: "finished jobs",
	KindVolume:    "anonymous",
	KindNetwork:   "leftovers",
}

// checkCatchAll warns about an image rule that matches every reference
// while image rules after it still select tags: they can never claim one.
func (d *decoder) checkCatchAll(images []imageInfo) {
	for i, info := range images {
		if info.catchAll == nil {
			continue
		}
		var shadowed []string
		n := 0
		for _, later := range images[i+1:] {
			if !later.selects {
				continue
			}
			if n++; n <= 3 {
				shadowed = append(shadowed, fmt.Sprintf("image %q (%s)", later.rule.Label, pos(later.rule.DeclRange)))
			}
		}
		if n == 0 {
			continue
		}
		if n > 3 {
			// Named one by one, thousands of rules made a warning of megabytes.
			shadowed = append(shadowed, fmt.Sprintf("%d more image rules", n-3))
		}
		d.warnf(info.catchAll.rng, "Catch-all image rule is not last",
			"image %q matches every tag with %q, and the first matching rule claims a tag, so %s can never claim one. "+
				"Move it after the other image rules, or narrow it.",
			info.rule.Label, info.catchAll.val, joinList(shadowed))
	}
}

func (d *decoder) protect(b *hcl.Block) *Protect {
	p := &Protect{Label: b.Labels[0], DeclRange: b.DefRange}
	attrs := d.content(b, protectSchema)
	p.Images = append(d.refGlobs(attrs["images"], withDigests), d.regexes(attrs["images_regex"], withDigests)...)
	p.Containers = d.nameGlobs(attrs["containers"])
	p.Volumes = d.nameGlobs(attrs["volumes"])
	p.Networks = d.nameGlobs(attrs["networks"])
	p.Labels = d.labels(attrs["labels"])
	d.emptyProtectLabels(attrs)
	if len(p.Images)+len(p.Containers)+len(p.Volumes)+len(p.Networks)+len(p.Labels) == 0 && !d.failedIn(b) {
		d.warnf(b.DefRange, "Protect block protects nothing",
			"Give it images, images_regex, containers, volumes, networks or labels, or remove it.")
	}
	return p
}

func (d *decoder) image(b *hcl.Block, basis Basis) imageInfo {
	r := &ImageRule{Label: b.Labels[0], DeclRange: b.DefRange, AgeBasis: basis, OrderBy: OrderAge}
	attrs := d.content(b, imageSchema)
	info := imageInfo{rule: r}

	match := d.refPatterns(attrs["match"], tagsOnly)
	regexes := d.regexPatterns(attrs["match_regex"], tagsOnly)
	r.Match = append(append([]Matcher(nil), match.ms...), regexes.ms...)
	r.Exclude = d.refGlobs(attrs["exclude"], tagsOnly)
	r.Labels = d.labels(attrs["labels"])
	if a := attrs["dangling"]; a != nil {
		r.Dangling, _ = d.boolean(a)
	}
	if a := attrs["keep"]; a != nil {
		r.Keep, r.HasKeep = d.keep(a)
	}
	r.OlderThan = d.duration(attrs["older_than"])
	r.UnusedFor = d.duration(attrs["unused_for"])
	r.MaxSize = d.size(attrs["max_size"])
	if a := attrs["age_basis"]; a != nil {
		if v, ok := d.enum(a, basisValues); ok {
			r.AgeBasis = Basis(v)
		}
	}
	if a := attrs["order_by"]; a != nil {
		if v, ok := d.enum(a, orderValues); ok {
			r.OrderBy = Order(v)
		}
	}
	// Empty labels would restrict nothing, with or without dangling.
	d.emptyLists(attrs, "labels")
	if r.Dangling {
		for _, name := range []string{"match", "match_regex", "exclude"} {
			if a := attrs[name]; a != nil {
				d.errorf(a.NameRange, &a.Range, fmt.Sprintf("dangling cannot be combined with %s", name),
					"Dangling images have no tags for %s to test. Move the patterns to another image rule, "+
						"or remove dangling = true.", name)
			}
		}
		return info
	}
	if d.failedIn(b) {
		return info // a mistake already reported may well be the missing selector
	}
	if len(r.Match) == 0 && len(r.Labels) == 0 {
		d.errorf(b.DefRange, nil, "Rule selects nothing",
			"An image rule needs match, match_regex, labels or dangling = true, and an empty list matches nothing. "+
				"To keep images, use a protect block.")
		return info
	}
	// With labels, an empty match list would stop restricting the rule to
	// references: it would claim every tag with those labels.
	if len(r.Labels) > 0 {
		d.emptyLists(attrs, "match", "match_regex")
	}
	info.selects = true
	if len(r.Exclude) == 0 && len(r.Labels) == 0 {
		info.catchAll = catchAll(match, regexes)
	}
	return info
}

// catchAll returns the first pattern that matches every reference, or nil.
func catchAll(lists ...patterns) *item {
	for _, ps := range lists {
		for i, m := range ps.ms {
			if matchesEverything(m) {
				return &ps.items[i]
			}
		}
	}
	return nil
}

// catchAllProbes are references of every shape: a pattern that matches all
// of them is taken to match everything.
var catchAllProbes = []string{
	"a:b",
	"nginx:1.27",
	"acme/api:latest",
	"ghcr.io/acme/api:pr-12",
	"localhost:5000/app:dev",
	"registry.example.com:443/team/group/app-x_y:V1.2.3-rc.1_build.7",
	"0:0",
}

func matchesEverything(m Matcher) bool {
	for _, ref := range catchAllProbes {
		if !m.Match(ref) {
			return false
		}
	}
	return true
}

func (d *decoder) container(b *hcl.Block) *ContainerRule {
	r := &ContainerRule{Label: b.Labels[0], DeclRange: b.DefRange}
	attrs := d.content(b, containerSchema)
	if a := attrs["status"]; a == nil && !d.failedIn(b) {
		d.errorf(b.DefRange, nil, "Missing status",
			"A container rule needs status, the states it removes, e.g. status = [\"exited\", \"dead\"]. "+
				"Allowed: %s. Running containers are only removed when \"running\" is listed.",
			quoteList(statusValues))
	} else if a != nil {
		items := d.items(a)
		if len(items) == 0 && !d.failed(attrs, "status") {
			d.errorf(a.Expr.Range(), &a.Range, "Empty status",
				"List the states the rule removes, e.g. status = [\"exited\", \"dead\"]. Allowed: %s.",
				quoteList(statusValues))
		}
		for _, it := range items {
			if v, ok := d.oneOf(it, "status", statusValues, &a.Range); ok && !contains(r.Status, v) {
				r.Status = append(r.Status, v)
			}
		}
	}
	r.Names = d.nameGlobs(attrs["names"])
	r.Images = d.refGlobs(attrs["images"], withDigests)
	r.Labels = d.labels(attrs["labels"])
	r.ExcludeLabels = d.labels(attrs["exclude_labels"])
	r.OlderThan = d.duration(attrs["older_than"])
	if a := attrs["remove_volumes"]; a != nil {
		r.RemoveVolumes, _ = d.boolean(a)
	}
	d.emptyLists(attrs, "names", "images", "labels", "exclude_labels")
	return r
}

func (d *decoder) volume(b *hcl.Block) *VolumeRule {
	r := &VolumeRule{Label: b.Labels[0], DeclRange: b.DefRange}
	attrs := d.content(b, volumeSchema)
	r.Names = d.nameGlobs(attrs["names"])
	r.Labels = d.labels(attrs["labels"])
	r.OlderThan = d.duration(attrs["older_than"])
	d.emptyLists(attrs, "names", "labels")
	return r
}

func (d *decoder) network(b *hcl.Block) *NetworkRule {
	r := &NetworkRule{Label: b.Labels[0], DeclRange: b.DefRange}
	attrs := d.content(b, networkSchema)
	r.Names = d.nameGlobs(attrs["names"])
	r.Labels = d.labels(attrs["labels"])
	r.OlderThan = d.duration(attrs["older_than"])
	d.emptyLists(attrs, "names", "labels")
	return r
}

func (d *decoder) buildCache(b *hcl.Block) *BuildCacheRule {
	r := &BuildCacheRule{DeclRange: b.DefRange}
	attrs := d.content(b, buildCacheSchema)
	r.UnusedFor = d.duration(attrs["unused_for"])
	r.KeepStorage = d.size(attrs["keep_storage"])
	if a := attrs["all"]; a != nil {
		r.All, _ = d.boolean(a)
	}
	return r
}
