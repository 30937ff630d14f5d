package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
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
	src, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read policy file",
			Detail:   fmt.Sprintf("Reading %s: %v.", path, err),
		}}
	}
	return l.Load(path, src)
}

// Load parses and validates src, naming it filename in diagnostics. The
// policy is nil whenever diags has an error; warnings are both in diags and
// in Policy.Warnings.
//
// Loading the same filename again replaces the source the Loader renders
// diagnostics from, so one Loader can follow a file that changes.
func (l *Loader) Load(filename string, src []byte) (*Policy, hcl.Diagnostics) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if file != nil {
		l.parser.AddFile(filename, file)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	d := &decoder{src: src}
	p := d.policy(filename, file.Body)
	diags = append(diags, d.diags...)
	sortDiagnostics(diags)
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

var (
	policySchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "protect_latest"}, {Name: "age_basis"}},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: blockProtect, LabelNames: []string{"name"}},
			{Type: KindImage, LabelNames: []string{"name"}},
			{Type: KindContainer, LabelNames: []string{"name"}},
			{Type: KindVolume, LabelNames: []string{"name"}},
			{Type: KindNetwork, LabelNames: []string{"name"}},
			{Type: blockBuildCache},
		},
	}
	protectSchema = attrSchema("images", "images_regex", "containers", "volumes", "networks", "labels")
	imageSchema   = attrSchema("match", "match_regex", "exclude", "labels", "dangling",
		"keep", "older_than", "unused_for", "max_size", "age_basis", "order_by")
	containerSchema = attrSchema("status", "names", "images", "labels", "exclude_labels",
		"older_than", "remove_volumes")
	volumeSchema     = attrSchema("names", "labels", "older_than")
	networkSchema    = attrSchema("names", "labels", "older_than")
	buildCacheSchema = attrSchema("unused_for", "keep_storage", "all")
)

func attrSchema(names ...string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, n := range names {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}

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
		for _, later := range images[i+1:] {
			if later.selects {
				shadowed = append(shadowed, fmt.Sprintf("image %q (%s)", later.rule.Label, pos(later.rule.DeclRange)))
			}
		}
		if len(shadowed) == 0 {
			continue
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
	p.Images = append(d.refGlobs(attrs["images"]), d.regexes(attrs["images_regex"])...)
	p.Containers = d.nameGlobs(attrs["containers"])
	p.Volumes = d.nameGlobs(attrs["volumes"])
	p.Networks = d.nameGlobs(attrs["networks"])
	p.Labels = d.labels(attrs["labels"])
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

	match := d.refPatterns(attrs["match"])
	regexes := d.regexPatterns(attrs["match_regex"])
	r.Match = append(append([]Matcher(nil), match.ms...), regexes.ms...)
	r.Exclude = d.refGlobs(attrs["exclude"])
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
	r.Images = d.refGlobs(attrs["images"])
	r.Labels = d.labels(attrs["labels"])
	r.ExcludeLabels = d.labels(attrs["exclude_labels"])
	r.OlderThan = d.duration(attrs["older_than"])
	if a := attrs["remove_volumes"]; a != nil {
		r.RemoveVolumes, _ = d.boolean(a)
	}
	d.emptyLists(attrs, "names", "images", "labels")
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

// emptyLists reports selector attributes written as empty lists or maps.
// Leaving such a selector out means "no restriction", so an empty one
// would silently select more than the user wrote: an empty list matches
// nothing, and a rule is never widened behind the user's back.
func (d *decoder) emptyLists(attrs hcl.Attributes, names ...string) {
	for _, name := range names {
		a := attrs[name]
		if a == nil {
			continue
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() || v.IsNull() || !v.CanIterateElements() || v.LengthInt() > 0 {
			continue
		}
		d.errorf(a.Expr.Range(), &a.Range, "Empty selector",
			"%s = %s matches nothing, yet leaving %s out means %s, so the rule cannot tell which was meant. "+
				"List what it should select, or remove %s.",
			name, d.text(a.Expr.Range()), name, anyOf[name], name)
	}
}

// anyOf says what leaving a selector out means.
var anyOf = map[string]string{
	"match":       "any reference",
	"match_regex": "any reference",
	"names":       "any name",
	"images":      "any image",
	"labels":      "any labels",
}

// content decodes a rule block's body, reporting unknown attributes and
// blocks, and returns its attributes.
func (d *decoder) content(b *hcl.Block, schema *hcl.BodySchema) hcl.Attributes {
	content, diags := b.Body.Content(schema)
	d.add(explainSchema(diags)...)
	return content.Attributes
}

// failed reports whether an error was already found in one of the named
// attributes.
func (d *decoder) failed(attrs hcl.Attributes, names ...string) bool {
	for _, name := range names {
		if a := attrs[name]; a != nil && d.failedAt(a.Range) {
			return true
		}
	}
	return false
}

// failedIn reports whether an error was already found inside block b.
func (d *decoder) failedIn(b *hcl.Block) bool {
	rng := b.DefRange
	if body, ok := b.Body.(*hclsyntax.Body); ok {
		rng = hcl.RangeOver(rng, body.SrcRange)
	}
	return d.failedAt(rng)
}

func (d *decoder) failedAt(rng hcl.Range) bool {
	for _, diag := range d.diags {
		if diag.Severity == hcl.DiagError && diag.Subject != nil && rng.Overlaps(*diag.Subject) {
			return true
		}
	}
	return false
}

// Values.

// eval evaluates an expression without variables or functions. ok is false
// when it failed (and was reported) or is null, which means "not set".
func (d *decoder) eval(expr hcl.Expression) (v cty.Value, ok bool) {
	v, diags := expr.Value(nil)
	d.add(d.explainEval(diags)...)
	if diags.HasErrors() || v.IsNull() {
		return cty.NilVal, false
	}
	return v, true
}

func (d *decoder) boolean(a *hcl.Attribute) (bool, bool) {
	v, ok := d.eval(a.Expr)
	if !ok {
		return false, false
	}
	if v.Type() != cty.Bool {
		d.errorf(a.Expr.Range(), &a.Range, "Not a bool",
			"%s must be true or false, without quotes; this is %s.", a.Name, typeName(v))
		return false, false
	}
	return v.True(), true
}

// keep decodes a keep count: a whole number, 0 or more.
func (d *decoder) keep(a *hcl.Attribute) (int, bool) {
	v, ok := d.eval(a.Expr)
	if !ok {
		return 0, false
	}
	if v.Type() != cty.Number {
		hint := ""
		if v.Type() == cty.String {
			hint = fmt.Sprintf(" Write %s = %s, without quotes.", a.Name, v.AsString())
		}
		d.errorf(a.Expr.Range(), &a.Range, "Not a number",
			"%s is how many images to keep per repository, a whole number of 0 or more; this is %s.%s",
			a.Name, typeName(v), hint)
		return 0, false
	}
	f := v.AsBigFloat()
	if !f.IsInt() {
		d.errorf(a.Expr.Range(), &a.Range, "Not a whole number",
			"%s counts images: write a whole number such as 3.", a.Name)
		return 0, false
	}
	if f.Sign() < 0 {
		d.errorf(a.Expr.Range(), &a.Range, "Negative keep",
			"%s counts the newest images kept per repository: write 0 or more.", a.Name)
		return 0, false
	}
	n, acc := f.Int64()
	if acc != big.Exact || n > 1_000_000 {
		d.errorf(a.Expr.Range(), &a.Range, "keep is too large",
			"%s is a number of images per repository: write at most 1000000.", a.Name)
		return 0, false
	}
	return int(n), true
}

// str decodes a string attribute; kind names what it holds for messages
// ("duration", "size"), example is a value to show.
func (d *decoder) str(a *hcl.Attribute, kind, example string) (string, bool) {
	v, ok := d.eval(a.Expr)
	if !ok {
		return "", false
	}
	if v.Type() != cty.String {
		d.errorf(a.Expr.Range(), &a.Range, fmt.Sprintf("Invalid %s", kind),
			"%s must be a string in quotes, e.g. %s = %q; this is %s.", a.Name, a.Name, example, typeName(v))
		return "", false
	}
	return v.AsString(), true
}

func (d *decoder) duration(a *hcl.Attribute) time.Duration {
	if a == nil {
		return 0
	}
	s, ok := d.str(a, "duration", "7d")
	if !ok {
		return 0
	}
	v, err := ParseDuration(s)
	if err != nil {
		d.errorf(a.Expr.Range(), &a.Range, "Invalid duration", "%s.", upperFirst(err.Error()))
		return 0
	}
	return v
}

func (d *decoder) size(a *hcl.Attribute) int64 {
	if a == nil {
		return 0
	}
	s, ok := d.str(a, "size", "20GB")
	if !ok {
		return 0
	}
	v, err := ParseSize(s)
	if err != nil {
		d.errorf(a.Expr.Range(), &a.Range, "Invalid size", "%s.", upperFirst(err.Error()))
		return 0
	}
	return v
}

// enum decodes a string that must be one of allowed.
func (d *decoder) enum(a *hcl.Attribute, allowed []string) (string, bool) {
	s, ok := d.str(a, a.Name, allowed[0])
	if !ok {
		return "", false
	}
	return d.oneOf(item{val: s, rng: a.Expr.Range()}, a.Name, allowed, &a.Range)
}

func (d *decoder) oneOf(it item, name string, allowed []string, context *hcl.Range) (string, bool) {
	if contains(allowed, it.val) {
		return it.val, true
	}
	hint := ""
	if s := suggest(it.val, allowed); s != "" {
		hint = fmt.Sprintf(" Did you mean %q?", s)
	}
	d.errorf(it.rng, context, fmt.Sprintf("Invalid %s", name),
		"%q is not a valid %s.%s Allowed: %s.", it.val, name, hint, quoteList(allowed))
	return "", false
}

// items decodes a list of strings, each with its range.
func (d *decoder) items(a *hcl.Attribute) []item {
	if a == nil {
		return nil
	}
	v, ok := d.eval(a.Expr)
	if !ok {
		return nil
	}
	if !v.Type().IsTupleType() && !v.Type().IsListType() {
		hint := ""
		if ex := listExamples[a.Name]; ex != "" {
			hint = fmt.Sprintf(", e.g. %s = %s", a.Name, ex)
		}
		if v.Type() == cty.String {
			hint = fmt.Sprintf(": write %s = [%s]", a.Name, d.text(a.Expr.Range()))
		}
		d.errorf(a.Expr.Range(), &a.Range, "Not a list",
			"%s must be a list of strings in square brackets%s; this is %s.", a.Name, hint, typeName(v))
		return nil
	}
	exprs, diags := hcl.ExprList(a.Expr)
	if diags.HasErrors() {
		// A list built some other way (evaluation already refused
		// variables and functions), such as a for expression.
		d.errorf(a.Expr.Range(), &a.Range, "Not a list",
			"%s must be written as a list of strings in square brackets.", a.Name)
		return nil
	}
	items := make([]item, 0, len(exprs))
	for _, e := range exprs {
		v, diags := e.Value(nil)
		if diags.HasErrors() {
			continue // reported when the whole list was evaluated
		}
		if v.IsNull() || v.Type() != cty.String {
			d.errorf(e.Range(), &a.Range, "Not a string",
				"Each element of %s must be a string in quotes; this is %s.", a.Name, typeName(v))
			continue
		}
		items = append(items, item{val: v.AsString(), rng: e.Range()})
	}
	return items
}

// patterns are compiled patterns with the items they came from.
type patterns struct {
	ms    []Matcher
	items []item
}

func (ps *patterns) add(m Matcher, it item) {
	ps.ms = append(ps.ms, m)
	ps.items = append(ps.items, it)
}

func (d *decoder) refGlobs(a *hcl.Attribute) []Matcher { return d.refPatterns(a).ms }

func (d *decoder) refPatterns(a *hcl.Attribute) patterns {
	var ps patterns
	for _, it := range d.items(a) {
		m, familiar, err := compileRefGlob(it.val)
		if err != nil {
			d.patternError(it, a, err)
			continue
		}
		if familiar != it.val {
			d.warnf(it.rng, "Pattern normalised",
				"docker image ls shows Docker Hub images without docker.io/ (and official images without library/), "+
					"so %q matches as %q. Write %q to silence this warning.", it.val, familiar, familiar)
		}
		ps.add(m, it)
	}
	return ps
}

func (d *decoder) nameGlobs(a *hcl.Attribute) []Matcher {
	var ms []Matcher
	for _, it := range d.items(a) {
		m, err := CompileNameGlob(it.val)
		if err != nil {
			d.patternError(it, a, err)
			continue
		}
		ms = append(ms, m)
	}
	return ms
}

func (d *decoder) regexes(a *hcl.Attribute) []Matcher { return d.regexPatterns(a).ms }

func (d *decoder) regexPatterns(a *hcl.Attribute) patterns {
	var ps patterns
	for _, it := range d.items(a) {
		m, err := CompileRegex(it.val)
		if err != nil {
			d.errorf(it.rng, &a.Range, "Invalid regular expression",
				"%s. Patterns are RE2 (https://github.com/google/re2/wiki/Syntax), matched whole as ^(?:…)$; "+
					"in HCL strings a backslash is written \\\\.", upperFirst(err.Error()))
			continue
		}
		ps.add(m, it)
	}
	return ps
}

func (d *decoder) patternError(it item, a *hcl.Attribute, err error) {
	var noTag *errNoTag
	var broad *errBroadHub
	switch {
	case errors.As(err, &noTag):
		d.errorf(it.rng, &a.Range, "Pattern has no tag",
			"Image patterns are REPOSITORY:TAG, matched against references as docker image ls shows them. "+
				"Write %q for every tag, or %q for one.%s", it.val+":*", it.val+":latest", regexHint(it.val, a.Name))
	case errors.As(err, &broad):
		d.errorf(it.rng, &a.Range, "Ambiguous Docker Hub pattern", "%s.", upperFirst(err.Error()))
	case it.val == "":
		d.errorf(it.rng, &a.Range, "Empty pattern", "%s.", upperFirst(err.Error()))
	default:
		d.errorf(it.rng, &a.Range, "Invalid glob",
			"%s. Globs use * (within a path segment), ** (across /), ?, [0-9] and {a,b}; "+
				"a backslash makes the next character literal.%s", upperFirst(err.Error()), regexHint(it.val, a.Name))
	}
}

// labels decodes a map of label keys to value globs.
func (d *decoder) labels(a *hcl.Attribute) []LabelSelector {
	if a == nil {
		return nil
	}
	pairs, diags := hcl.ExprMap(a.Expr)
	if diags.HasErrors() {
		v, ok := d.eval(a.Expr)
		if ok {
			d.errorf(a.Expr.Range(), &a.Range, "Not a map",
				"%s must be a map of label keys to value globs in braces, e.g. %s = { \"shaper.keep\" = \"true\" } "+
					"(\"*\" accepts any value); this is %s.", a.Name, a.Name, typeName(v))
		}
		return nil
	}
	var sels []LabelSelector
	seen := map[string]hcl.Range{}
	for _, kv := range pairs {
		k, kdiags := kv.Key.Value(nil)
		d.add(d.explainEval(kdiags)...)
		v, vdiags := kv.Value.Value(nil)
		d.add(d.explainEval(vdiags)...)
		if kdiags.HasErrors() || vdiags.HasErrors() {
			continue
		}
		if k.IsNull() || k.Type() != cty.String || k.AsString() == "" {
			d.errorf(kv.Key.Range(), &a.Range, "Invalid label key",
				"Label keys are non-empty strings, e.g. \"com.docker.compose.project\".")
			continue
		}
		key := k.AsString()
		if first, dup := seen[key]; dup {
			d.errorf(kv.Key.Range(), &a.Range, "Duplicate label key",
				"%q is already listed at %s; a label has one value glob per selector.", key, pos(first))
			continue
		}
		seen[key] = kv.Key.Range()
		if v.IsNull() || v.Type() != cty.String {
			hint := ""
			if !v.IsNull() && (v.Type() == cty.Bool || v.Type() == cty.Number) {
				hint = fmt.Sprintf(": write %q", d.text(kv.Value.Range()))
			}
			d.errorf(kv.Value.Range(), &a.Range, "Not a string",
				"Label values are strings in quotes, matched as globs (\"*\" accepts any value)%s; this is %s.",
				hint, typeName(v))
			continue
		}
		m, err := compileLabelValue(v.AsString())
		if err != nil {
			d.errorf(kv.Value.Range(), &a.Range, "Invalid glob", "%s.", upperFirst(err.Error()))
			continue
		}
		sels = append(sels, LabelSelector{Key: key, Value: m})
	}
	return sels
}

// Diagnostics.

func (d *decoder) add(diags ...*hcl.Diagnostic) { d.diags = append(d.diags, diags...) }

func (d *decoder) errorf(subject hcl.Range, context *hcl.Range, summary, format string, args ...any) {
	d.add(&hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject.Ptr(),
		Context:  context,
	})
}

func (d *decoder) warnf(subject hcl.Range, summary, format string, args ...any) {
	d.add(&hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject.Ptr(),
	})
}

// text returns the source text of rng.
func (d *decoder) text(rng hcl.Range) string { return string(rng.SliceBytes(d.src)) }

// explainEval rewrites HCL's evaluation errors for a language without
// variables or functions, so they say what to write instead.
func (d *decoder) explainEval(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, diag := range diags {
		if diag.Subject == nil {
			continue
		}
		switch diag.Summary {
		case "Variables not allowed":
			name := d.text(*diag.Subject)
			diag.Summary = "Unquoted string"
			diag.Detail = fmt.Sprintf("A policy is plain data: it has no variables. "+
				"If %s is a value, write it in quotes: %q.", name, name)
			if start := diag.Subject.Start.Byte; start >= 2 && string(d.src[start-2:start]) == "${" {
				diag.Summary = "Variables not allowed"
				diag.Detail = "A policy is plain data: strings cannot interpolate ${…}. " +
					"Write the value itself, or $${ for a literal ${."
			}
		case "Ambiguous attribute key":
			key := d.text(*diag.Subject)
			diag.Summary = "Unquoted label key"
			diag.Detail = fmt.Sprintf("Quote label keys that contain dots: %q = …", key)
		case "Function calls not allowed":
			name := "functions"
			if call, ok := diag.Expression.(*hclsyntax.FunctionCallExpr); ok {
				name = call.Name + "()"
			}
			diag.Detail = fmt.Sprintf("A policy is plain data: %s and other functions are not available. "+
				"Write the value itself.", name)
			diag.EvalContext = nil
		}
	}
	return diags
}

// explainSchema makes HCL's structural errors speak about policies.
func explainSchema(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, diag := range diags {
		switch {
		case strings.HasPrefix(diag.Summary, "Missing name for "):
			ty := strings.TrimPrefix(diag.Summary, "Missing name for ")
			diag.Detail = fmt.Sprintf("%s %s block needs a name, e.g. %s %q { … }: plans and warnings refer to rules by name.",
				article(ty), ty, ty, exampleLabel[ty])
		case strings.HasPrefix(diag.Summary, "Extraneous label for "):
			ty := strings.TrimPrefix(diag.Summary, "Extraneous label for ")
			if ty == blockBuildCache {
				diag.Detail = "A build_cache block has no name: write build_cache { … }."
			} else {
				diag.Detail = fmt.Sprintf("%s %s block has one name; if it has spaces, keep it in one pair of quotes, "+
					"e.g. %s %q { … }.", article(ty), ty, ty, exampleLabel[ty])
			}
		}
	}
	return diags
}

// Helpers.

// regexHint points to the _regex twin of a glob attribute when a pattern
// looks like a regular expression.
func regexHint(p, attr string) string {
	twin := map[string]string{"match": "match_regex", "images": "images_regex"}[attr]
	if twin == "" {
		return ""
	}
	for _, sign := range []string{".*", ".+", `\d`, `\w`, `\.`, "^", "$", "(", "|"} {
		if strings.Contains(p, sign) {
			return fmt.Sprintf(" If %q is a regular expression, put it in %s.", p, twin)
		}
	}
	return ""
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "An"
	}
	return "A"
}

func typeName(v cty.Value) string {
	switch t := v.Type(); {
	case v.IsNull():
		return "null"
	case t == cty.String:
		return "a string"
	case t == cty.Number:
		return "a number"
	case t == cty.Bool:
		return "a bool"
	case t.IsTupleType() || t.IsListType() || t.IsSetType():
		return "a list"
	case t.IsObjectType() || t.IsMapType():
		return "a map"
	default:
		return t.FriendlyName()
	}
}

// suggest returns the allowed value closest to s, if it is close enough to
// be what the user meant.
func suggest(s string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		if dist := levenshtein.Distance(strings.ToLower(s), a, nil); dist < bestDist {
			best, bestDist = a, dist
		}
	}
	return best
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// joinList joins "a", "a and b", "a, b and c".
func joinList(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}

// pos formats where a range starts, as file:line.
func pos(r hcl.Range) string { return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line) }

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
