package policy

// The value decoders: turn HCL attributes into typed values, patterns and
// label selectors, reporting each mistake on its exact range.

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

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
		switch name {
		case "exclude_labels":
			d.errorf(a.Expr.Range(), &a.Range, "Empty selector",
				"exclude_labels = {} excludes nothing, the same as leaving it out, so it looks like a mistake. "+
					"List the labels of the containers to keep, e.g. %s, or remove exclude_labels.", attrExample(name))
		default:
			d.errorf(a.Expr.Range(), &a.Range, "Empty selector",
				"%s = %s matches nothing, yet leaving %s out means %s, so the rule cannot tell which was meant. "+
					"List what it should select, or remove %s.",
				name, d.text(a.Expr.Range()), name, anyOf[name], name)
		}
	}
}

// emptyProtectLabels reports labels = {} in a protect block: it protects
// nothing, though its author believes it keeps something.
func (d *decoder) emptyProtectLabels(attrs hcl.Attributes) {
	a := attrs["labels"]
	if a == nil {
		return
	}
	if v, diags := a.Expr.Value(nil); diags.HasErrors() || v.IsNull() || !v.CanIterateElements() || v.LengthInt() > 0 {
		return
	}
	d.errorf(a.Expr.Range(), &a.Range, "Empty selector",
		"labels = {} in a protect block protects nothing. List the labels that mark what to keep, e.g. %s, "+
			"or remove labels.", attrExample("labels"))
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
	return d.literals(content.Attributes)
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

// failedAt reports whether an error of the block being decoded overlaps
// rng. Only the block's own diagnostics are looked at: over every
// diagnostic so far, a file of many broken blocks took quadratic time.
func (d *decoder) failedAt(rng hcl.Range) bool {
	for _, diag := range d.diags[d.blockStart:] {
		if diag.Severity == hcl.DiagError && diag.Subject != nil && rng.Overlaps(*diag.Subject) {
			return true
		}
	}
	return false
}

// Values.

// eval evaluates a literal (literals checks every value first). ok is
// false when it failed, which a literal does not.
func (d *decoder) eval(expr hcl.Expression) (v cty.Value, ok bool) {
	v, diags := expr.Value(nil)
	d.add(diags...)
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

// maxKeep is the largest keep count.
const maxKeep = 1_000_000

// keep decodes a keep count: a whole number, 0 or more.
func (d *decoder) keep(a *hcl.Attribute) (int, bool) {
	v, ok := d.eval(a.Expr)
	if !ok {
		return 0, false
	}
	if v.Type() != cty.Number {
		hint := ""
		if v.Type() == cty.String {
			// Only a string that is a whole number can lose its quotes:
			// keep = "two" becomes keep = 2, not keep = two.
			if n, err := strconv.ParseUint(strings.TrimSpace(v.AsString()), 10, 32); err == nil {
				hint = fmt.Sprintf(" Write %s = %d, without quotes.", a.Name, n)
			} else {
				hint = fmt.Sprintf(" Write a whole number without quotes, e.g. %s = 2.", a.Name)
			}
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
	if acc != big.Exact || n > maxKeep {
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

// Where digest patterns may stand: protect blocks and container rules
// match digest references, image rules decide per tag.
const (
	tagsOnly    = false
	withDigests = true
)

func (d *decoder) refGlobs(a *hcl.Attribute, digests bool) []Matcher {
	return d.refPatterns(a, digests).ms
}

func (d *decoder) refPatterns(a *hcl.Attribute, digests bool) patterns {
	var ps patterns
	for _, it := range d.items(a) {
		m, familiar, err := compileRefGlob(it.val)
		if err != nil {
			d.patternError(it, a, err)
			continue
		}
		if !digests && m.hasDigest() {
			d.digestInRule(it, a)
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

func (d *decoder) regexes(a *hcl.Attribute, digests bool) []Matcher {
	return d.regexPatterns(a, digests).ms
}

func (d *decoder) regexPatterns(a *hcl.Attribute, digests bool) patterns {
	var ps patterns
	for _, it := range d.items(a) {
		m, err := CompileRegex(it.val)
		if err != nil {
			d.errorf(it.rng, &a.Range, "Invalid regular expression",
				"%s. Patterns are RE2 (https://github.com/google/re2/wiki/Syntax), matched whole as ^(?:…)$; "+
					"in HCL strings a backslash is written \\\\.", upperFirst(err.Error()))
			continue
		}
		if familiar, ok := hubRegex(it.val); ok {
			hint := "write the familiar form you mean, e.g. \"nginx:.*\" for an official image or \"acme/.*\" for one organisation"
			if familiar != "" && strings.IndexByte("abcdefghijklmnopqrstuvwxyz0123456789", familiar[0]) >= 0 {
				hint = fmt.Sprintf("write %q", familiar)
			}
			d.errorf(it.rng, &a.Range, "Regex can never match",
				"%q starts with a Docker Hub prefix, but references are matched as docker image ls shows them, "+
					"without docker.io/ (and official images without library/): \"nginx:1.27\", "+
					"\"acme/app:v1\". Regexes are not rewritten; %s.", it.val, hint)
			continue
		}
		if !digests && regexNeedsAt(it.val) {
			d.digestInRule(it, a)
			continue
		}
		ps.add(m, it)
	}
	return ps
}

// digestInRule reports a digest pattern in an image rule, which decides
// per tag: it could never claim one.
func (d *decoder) digestInRule(it item, a *hcl.Attribute) {
	d.errorf(it.rng, &a.Range, "Digest pattern in an image rule",
		"%q matches digest references (REPOSITORY@DIGEST), and image rules decide per tag, so it can never "+
			"claim one. To keep the images pulled by digest, list it in a protect block's images; to remove "+
			"untagged images, digests or not, use an image rule with dangling = true.", it.val)
}

func (d *decoder) patternError(it item, a *hcl.Attribute, err error) {
	var noTag *errNoTag
	var broad *errBroadHub
	var globstar *errTagGlobstar
	var host *errRegistryHost
	var never *errNeverMatches
	switch {
	case errors.As(err, &noTag) && noTag.alt != "":
		d.errorf(it.rng, &a.Range, "Pattern has no tag", "%s.", upperFirst(err.Error()))
	case errors.As(err, &noTag) && regexHint(it.val, d.block, a.Name) != "":
		// A glob made of a regex (".*-cache:*") would be wrong advice.
		twin := regexTwin(d.block, a.Name)
		d.errorf(it.rng, &a.Range, "Pattern has no tag",
			"Image patterns are REPOSITORY:TAG, matched against references as docker image ls shows them. "+
				"%q looks like a regular expression: those go in %s, with a tag part too, e.g. %q for every tag.",
			it.val, twin, it.val+":.*")
	case errors.As(err, &noTag) && looksLikeRegex(it.val):
		// No regex twin here (a container rule's images): say what a glob
		// is, with the regex's glob when it is that simple.
		ex := strings.ReplaceAll(it.val, ".*", "*")
		if looksLikeRegex(ex) {
			ex = "*-cache"
		}
		d.errorf(it.rng, &a.Range, "Pattern has no tag",
			"Image patterns are REPOSITORY:TAG, matched against references as docker image ls shows them. "+
				"%q looks like a regular expression, but %s holds globs: * for any characters within a path "+
				"segment, ** across /, e.g. %q for every tag.", it.val, a.Name, ex+":*")
	case errors.As(err, &noTag):
		d.errorf(it.rng, &a.Range, "Pattern has no tag",
			"Image patterns are REPOSITORY:TAG, matched against references as docker image ls shows them. "+
				"Write %q for every tag, or %q for one.", it.val+":*", it.val+":latest")
	case errors.As(err, &broad):
		d.errorf(it.rng, &a.Range, "Ambiguous Docker Hub pattern", "%s.", upperFirst(err.Error()))
	case errors.As(err, &globstar):
		d.errorf(it.rng, &a.Range, "** in a tag", "%s.", upperFirst(err.Error()))
	case errors.As(err, &host):
		d.errorf(it.rng, &a.Range, "Ambiguous registry pattern", "%s.", upperFirst(err.Error()))
	case errors.As(err, &never):
		d.errorf(it.rng, &a.Range, "Pattern can never match", "%s.", upperFirst(err.Error()))
	case it.val == "":
		d.errorf(it.rng, &a.Range, "Empty pattern", "%s.", upperFirst(err.Error()))
	default:
		d.errorf(it.rng, &a.Range, "Invalid glob",
			"%s. Globs use * (within a path segment), ** (across /), ?, [0-9] and {a,b}; "+
				"a backslash makes the next character literal.%s", upperFirst(err.Error()), regexHint(it.val, d.block, a.Name))
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
				"%s must be a map of label keys to value globs in braces, e.g. %s "+
					"(\"*\" accepts any value); this is %s.", a.Name, attrExample(a.Name), typeName(v))
		}
		return nil
	}
	var sels []LabelSelector
	seen := map[string]hcl.Range{}
	for _, kv := range pairs {
		k, kdiags := kv.Key.Value(nil)
		d.add(kdiags...)
		v, vdiags := kv.Value.Value(nil)
		d.add(vdiags...)
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
