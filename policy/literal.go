package policy

// A policy is data: every value is a literal, checked on the syntax tree
// before anything is evaluated. HCL would otherwise compute `keep = 3 - 3`,
// `true ? 0 : 3` or "%{for …}" templates, and null would quietly unset an
// attribute, which can turn a rule into "remove everything it claims".

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Where a value stands, for the wording of diagnostics.
type valuePos int

const (
	posAttr     valuePos = iota // the value of an attribute
	posElement                  // an element of a list
	posMapKey                   // a key of a map
	posMapValue                 // a value of a map
)

// attrExamples are values to show for each attribute when its value is
// not a literal.
var attrExamples = map[string]string{
	"protect_latest": "true",
	"age_basis":      `"seen"`,
	"keep":           "3",
	"older_than":     `"7d"`,
	"unused_for":     `"14d"`,
	"max_size":       `"30GB"`,
	"keep_storage":   `"20GB"`,
	"order_by":       `"version"`,
	"dangling":       "true",
	"all":            "true",
	"remove_volumes": "true",
	"labels":         `{ "shaper.keep" = "true" }`,
	"exclude_labels": `{ "com.docker.compose.project" = "*" }`,
}

func attrExample(name string) string {
	if ex := attrExamples[name]; ex != "" {
		return name + " = " + ex
	}
	if ex := listExamples[name]; ex != "" {
		return name + " = " + ex
	}
	return name + ` = "…"`
}

// literals drops from attrs, and reports, every attribute whose value is
// not plain data; the rest are safe to evaluate.
func (d *decoder) literals(attrs hcl.Attributes) hcl.Attributes {
	for name, a := range attrs {
		expr, ok := a.Expr.(hclsyntax.Expression)
		if !ok {
			continue
		}
		if !d.literal(a, expr, posAttr) {
			delete(attrs, name)
		}
	}
	return attrs
}

// literal reports whether expr, standing at pos in attribute a, is a
// literal: a quoted string without interpolation or directives, a number
// (with an optional minus), true or false, a list of literals, or a map of
// literals whose keys are quoted strings or bare names. It reports every
// part that is not.
func (d *decoder) literal(a *hcl.Attribute, expr hclsyntax.Expression, pos valuePos) bool {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		if e.Val.IsNull() {
			d.null(a, e.SrcRange, pos)
			return false
		}
		return true
	case *hclsyntax.TemplateExpr:
		if strings.HasPrefix(d.text(e.SrcRange), "<<") {
			d.errorf(e.SrcRange, &a.Range, "Heredoc string",
				"A policy value is a string in double quotes on one line; a heredoc (<<) is a template and ends "+
					"with a newline. Write e.g. %s.", attrExample(a.Name))
			return false
		}
		ok := true
		for _, part := range e.Parts {
			if _, lit := part.(*hclsyntax.LiteralValueExpr); !lit {
				d.template(a, part)
				ok = false
			}
		}
		return ok
	case *hclsyntax.TemplateWrapExpr:
		d.template(a, e.Wrapped)
		return false
	case *hclsyntax.UnaryOpExpr:
		if n, ok := e.Val.(*hclsyntax.LiteralValueExpr); ok && e.Op == hclsyntax.OpNegate && n.Val.Type().FriendlyName() == "number" {
			return true // -1: the decoder says why it is wrong where it is
		}
	case *hclsyntax.TupleConsExpr:
		ok := true
		for _, el := range e.Exprs {
			ok = d.literal(a, el, posElement) && ok
		}
		return ok
	case *hclsyntax.ObjectConsExpr:
		ok := true
		for _, item := range e.Items {
			ok = d.mapKey(a, item.KeyExpr) && ok
			ok = d.literal(a, item.ValueExpr, posMapValue) && ok
		}
		return ok
	case *hclsyntax.ScopeTraversalExpr:
		name := d.text(e.SrcRange)
		if len(e.Traversal) == 1 {
			d.errorf(e.SrcRange, &a.Range, "Unquoted string",
				"A policy is plain data: it has no variables. If %s is a value, write it in quotes: %q.", name, name)
		} else {
			d.errorf(e.SrcRange, &a.Range, "Variables not allowed",
				"A policy is plain data: it has no variables, and %s is not evaluated. Write the value itself, e.g. %s.",
				name, attrExample(a.Name))
		}
		return false
	case *hclsyntax.FunctionCallExpr:
		d.errorf(e.Range(), &a.Range, "Function calls not allowed",
			"A policy is plain data: %s() and other functions are not available. Write the value itself, e.g. %s.",
			e.Name, attrExample(a.Name))
		return false
	}
	d.notLiteral(a, expr)
	return false
}

// mapKey checks the key of a map: a quoted string or a bare name.
func (d *decoder) mapKey(a *hcl.Attribute, key hclsyntax.Expression) bool {
	k, ok := key.(*hclsyntax.ObjectConsKeyExpr)
	if !ok {
		return d.literal(a, key, posMapKey)
	}
	if t, ok := k.Wrapped.(*hclsyntax.ScopeTraversalExpr); ok && !k.ForceNonLiteral {
		if len(t.Traversal) == 1 {
			return true // a bare name is the string it spells
		}
		d.errorf(t.SrcRange, &a.Range, "Unquoted label key",
			"Quote label keys that contain dots: %q = …", d.text(t.SrcRange))
		return false
	}
	return d.literal(a, k.Wrapped, posMapKey)
}

// template reports an interpolation or a directive inside a string.
func (d *decoder) template(a *hcl.Attribute, part hclsyntax.Expression) {
	rng := part.Range()
	if strings.HasPrefix(d.text(rng), "%{") {
		d.errorf(rng, &a.Range, "Template directive not allowed",
			"A policy is plain data: strings cannot hold %%{…} directives. Write the value itself, e.g. %s, "+
				"or %%%%{ for a literal %%{.", attrExample(a.Name))
		return
	}
	d.errorf(rng, &a.Range, "Interpolation not allowed",
		"A policy is plain data: strings cannot interpolate ${…}. Write the value itself, e.g. %s, or $${ for a literal ${.",
		attrExample(a.Name))
}

// notLiteral reports an expression that would compute a value.
func (d *decoder) notLiteral(a *hcl.Attribute, expr hclsyntax.Expression) {
	what := "an expression"
	switch e := expr.(type) {
	case *hclsyntax.BinaryOpExpr:
		switch e.Op {
		case hclsyntax.OpLogicalAnd, hclsyntax.OpLogicalOr:
			what = "logic"
		case hclsyntax.OpEqual, hclsyntax.OpNotEqual, hclsyntax.OpGreaterThan, hclsyntax.OpGreaterThanOrEqual,
			hclsyntax.OpLessThan, hclsyntax.OpLessThanOrEqual:
			what = "a comparison"
		default:
			what = "arithmetic"
		}
	case *hclsyntax.UnaryOpExpr:
		what = "an operator"
	case *hclsyntax.ConditionalExpr:
		what = "a conditional"
	case *hclsyntax.IndexExpr, *hclsyntax.RelativeTraversalExpr:
		what = "indexing"
	case *hclsyntax.SplatExpr:
		what = "a splat"
	case *hclsyntax.ForExpr:
		what = "a for expression"
	case *hclsyntax.ParenthesesExpr:
		if inner := d.text(e.Expression.Range()); d.isLiteral(e.Expression) {
			d.errorf(e.SrcRange, &a.Range, "Not a literal value",
				"A policy is plain data, and parentheses make an expression of a value: write %s without them.", inner)
			return
		}
		what = "an expression in parentheses"
	}
	d.errorf(expr.Range(), &a.Range, "Not a literal value",
		"A policy is plain data: %s is not evaluated. Write the value itself, e.g. %s.", what, attrExample(a.Name))
}

// isLiteral is literal without reporting anything.
func (d *decoder) isLiteral(expr hclsyntax.Expression) bool {
	probe := &decoder{src: d.src}
	return probe.literal(&hcl.Attribute{}, expr, posAttr)
}

// null reports a null, which is not a value.
func (d *decoder) null(a *hcl.Attribute, rng hcl.Range, pos valuePos) {
	var fix string
	switch pos {
	case posAttr:
		fix = fmt.Sprintf("Leave %s out to mean not set", a.Name)
		if a.Name == "status" { // required
			fix = "List the states the rule removes, e.g. status = [\"exited\", \"dead\"]"
		}
	case posElement:
		fix = "Remove it from the list"
	case posMapKey:
		fix = "Label keys are strings in quotes, e.g. \"com.docker.compose.project\""
	case posMapValue:
		fix = "Give the label a value glob (\"*\" accepts any value), or remove the entry"
	}
	d.errorf(rng, &a.Range, "null is not a value",
		"%s: a policy is plain data, and null stands for nothing.", fix)
}
