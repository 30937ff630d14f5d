package policy

// Diagnostics: how the loader words its errors and warnings, and the
// rewording of HCL's own messages for policy authors.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

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

// regexTwin is the _regex twin of a glob attribute in a block of type
// block, "" when that block has none (a container rule's images).
func regexTwin(block, attr string) string {
	twin := map[string]string{"match": "match_regex", "images": "images_regex"}[attr]
	if twin == "" || block == "" {
		return ""
	}
	for _, a := range bodySchemaOf(block).Attributes {
		if a.Name == twin {
			return twin
		}
	}
	return ""
}

// regexSigns are what makes a glob look like a regular expression.
var regexSigns = []string{".*", ".+", `\d`, `\w`, `\.`, "^", "$", "(", "|"}

// looksLikeRegex reports whether p has a sign of a regular expression.
func looksLikeRegex(p string) bool {
	for _, sign := range regexSigns {
		if strings.Contains(p, sign) {
			return true
		}
	}
	return false
}

// regexHint points to the _regex twin of a glob attribute when a pattern
// looks like a regular expression and the block has such a twin.
func regexHint(p, block, attr string) string {
	twin := regexTwin(block, attr)
	if twin == "" {
		return ""
	}
	if looksLikeRegex(p) {
		return fmt.Sprintf(" If %q is a regular expression, put it in %s.", p, twin)
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
