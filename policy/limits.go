package policy

// Bounds on what Load accepts, checked before the HCL parser sees the
// source: a policy is a short text file, and a hostile or mistaken input
// (a binary, a huge file, 100,000 nested brackets) must give one clear
// diagnostic quickly, not a crash, an hour of parsing or a million errors.

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

const (
	// MaxPolicySize is the largest policy Load and LoadFile accept, in bytes.
	MaxPolicySize = 1 << 20
	// MaxNesting is how deep brackets, braces, parentheses, strings and
	// operators may nest. A policy needs four levels (a block, a list or
	// map, a string); the HCL parser recurses once per level.
	MaxNesting = 32
	// maxShown is how many errors, and how many warnings, Load returns;
	// one more diagnostic says how many were left out.
	maxShown = 20
)

// checkSize refuses a source over MaxPolicySize, pointing at the first
// byte beyond it.
func checkSize(filename string, src []byte) hcl.Diagnostics {
	if len(src) <= MaxPolicySize {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Policy too large",
		Detail: fmt.Sprintf("A policy is at most 1 MiB (%d bytes); this one is %d bytes, so it is not read. "+
			"A policy is a short list of rules: check that this is the right file.", MaxPolicySize, len(src)),
		Subject: byteRange(filename, src, MaxPolicySize).Ptr(),
	}}
}

// checkText refuses a source that is not UTF-8 text, with one diagnostic
// on the first offending byte: a binary gives thousands of parse errors
// otherwise.
func checkText(filename string, src []byte) hcl.Diagnostics {
	if i := bytes.IndexByte(src, 0); i >= 0 && utf8.Valid(src[:i]) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "NUL byte in policy",
			Detail: "A policy is UTF-8 text, which never has a NUL byte: this is not a policy (a binary, or " +
				"text saved as UTF-16?). Check the path, or save the file as UTF-8.",
			Subject: byteRange(filename, src, i).Ptr(),
		}}
	}
	if utf8.Valid(src) {
		return nil
	}
	i := 0
	for i < len(src) {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Not UTF-8",
		Detail: fmt.Sprintf("A policy is UTF-8 text, and byte 0x%02x here is not UTF-8: this is not a policy, "+
			"or it was saved in another encoding (Latin-1?). Save it as UTF-8.", src[i]),
		Subject: byteRange(filename, src, i).Ptr(),
	}}
}

// byteRange is the range of the byte at offset i of src (the empty range
// at the end when i is len(src)).
func byteRange(filename string, src []byte, i int) hcl.Range {
	line := 1 + bytes.Count(src[:i], []byte{'\n'})
	lineStart := bytes.LastIndexByte(src[:i], '\n') + 1
	col := 1 + utf8.RuneCount(src[lineStart:i])
	start := hcl.Pos{Line: line, Column: col, Byte: i}
	end := start
	if i < len(src) {
		end = hcl.Pos{Line: line, Column: col + 1, Byte: i + 1}
	}
	return hcl.Range{Filename: filename, Start: start, End: end}
}

// checkNesting refuses a source that nests deeper than MaxNesting, before
// the parser, which recurses once per level and overflows the stack on
// deep enough input. It counts on HCL's own tokens, so brackets inside
// strings and comments are text, not nesting: each bracket, brace,
// parenthesis, string and ${ or %{ opens a level until it closes. Unary
// operators and conditionals make the parser recurse too: each - ! or ?
// adds a level until the list item, argument or line it is in ends, and
// each %{if} or %{for} until its %{end…}.
func checkNesting(filename string, src []byte) hcl.Diagnostics {
	tokens, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	type frame struct {
		open  hclsyntax.TokenType
		extra int // operators and directives open in this frame
	}
	stack := []frame{{}} // the file itself
	depth := 0
	tooDeep := func(tok hclsyntax.Token) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Nesting too deep",
			Detail: fmt.Sprintf("Here the policy nests more than %d levels of brackets, braces, parentheses, "+
				"strings or operators, and it is not read further. A policy is plain data that needs a few levels "+
				"(a block, a list or map, a string): remove the extra nesting.", MaxNesting),
			Subject: tok.Range.Ptr(),
		}}
	}
	for i, tok := range tokens {
		top := &stack[len(stack)-1]
		switch tok.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen,
			hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			if tok.Type == hclsyntax.TokenTemplateControl && i+1 < len(tokens) {
				// A directive opens a level in the string it is in.
				switch string(tokens[i+1].Bytes) {
				case "if", "for":
					top.extra++
					depth++
				case "endif", "endfor":
					if top.extra > 0 {
						top.extra--
						depth--
					}
				}
			}
			stack = append(stack, frame{open: tok.Type})
			depth++
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen,
			hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			if len(stack) > 1 {
				depth -= 1 + top.extra
				stack = stack[:len(stack)-1]
			}
			continue
		case hclsyntax.TokenMinus, hclsyntax.TokenBang, hclsyntax.TokenQuestion:
			top.extra++
			depth++
		case hclsyntax.TokenComma:
			depth -= top.extra
			top.extra = 0
		case hclsyntax.TokenNewline:
			// Newlines end an expression in a body or an object, not in
			// brackets or parentheses.
			if top.open == hclsyntax.TokenOBrace || len(stack) == 1 {
				depth -= top.extra
				top.extra = 0
			}
		}
		if depth > MaxNesting {
			return tooDeep(tok)
		}
	}
	return nil
}

// capDiagnostics keeps the first maxShown errors and the first maxShown
// warnings of diags, which are in file order, and adds one diagnostic for
// each kind that had more, on the first one left out: rendering is
// bounded, and the first errors are the ones to fix first anyway.
func capDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	var errs, warns int
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	if errs <= maxShown && warns <= maxShown {
		return diags
	}
	var out, more hcl.Diagnostics
	var shownErrs, shownWarns int
	for _, d := range diags {
		switch {
		case d.Severity == hcl.DiagError && shownErrs < maxShown:
			shownErrs++
		case d.Severity == hcl.DiagError:
			if shownErrs == maxShown {
				shownErrs++
				more = append(more, leftOut(d, errs-maxShown, "errors", "Fix the errors above"))
			}
			continue
		case shownWarns < maxShown:
			shownWarns++
		default:
			if shownWarns == maxShown {
				shownWarns++
				more = append(more, leftOut(d, warns-maxShown, "warnings", "Look at the warnings above"))
			}
			continue
		}
		out = append(out, d)
	}
	return append(out, more...)
}

func leftOut(first *hcl.Diagnostic, n int, what, fix string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: first.Severity,
		Summary:  fmt.Sprintf("%d more %s not shown", n, what),
		Detail: fmt.Sprintf("Only the first %d %s are shown; the next is here: %s. %s and validate "+
			"the policy again.", maxShown, what, first.Summary, fix),
		Subject: first.Subject,
		Context: first.Context,
	}
}

// lineLength is the length in bytes of the line that holds offset i.
func lineLength(src []byte, i int) int {
	start := bytes.LastIndexByte(src[:i], '\n') + 1
	end := bytes.IndexByte(src[i:], '\n')
	if end < 0 {
		end = len(src) - i
	}
	return i + end - start
}
