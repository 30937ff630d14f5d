package render

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/docker-shaper/docker-shaper/policy"
)

// appendPlanJSON appends the plan document exactly as JSON writes it
// (planjson_test.go holds it to that, byte for byte), without
// encoding/json's reflection and its second pass over the output to
// indent it: on a host of 10,000 tags those took 100 ms, a tenth of a
// whole check. The fields are the contract's (policy.Action.MarshalJSON
// and the struct tags of policy.Plan, Daemon, Kept, Warning and Summary).
func appendPlanJSON(b []byte, p policy.Plan) []byte {
	o := jsonObject{b: b}
	o.key("version")
	o.b = strconv.AppendInt(o.b, int64(p.Version), 10)
	o.key("policy")
	o.b = appendJSONString(o.b, p.Policy)
	o.key("now")
	o.b = appendJSONTime(o.b, p.Now)
	if d := p.Daemon; d != nil {
		o.key("daemon")
		do := o.object()
		do.str("id", d.ID)
		do.str("context", d.Context)
		do.str("engine", d.Engine)
		do.str("version", d.Version)
		do.str("api", d.API)
		o.b = do.close()
	}
	o.key("actions")
	o.b = appendJSONArray(o.b, 1, p.Actions, appendActionJSON)
	o.key("kept")
	o.b = appendJSONArray(o.b, 1, p.Kept, appendKeptJSON)
	o.key("warnings")
	o.b = appendJSONArray(o.b, 1, p.Warnings, appendWarningJSON)
	o.key("summary")
	so := o.object()
	so.int("actions", int64(p.Summary.Actions))
	so.int("reclaimable_bytes", p.Summary.ReclaimableBytes)
	if p.Summary.UnknownBytes != 0 {
		so.int("unknown_bytes", int64(p.Summary.UnknownBytes))
	}
	o.b = so.close()
	return append(o.close(), '\n')
}

func appendActionJSON(o *jsonObject, a policy.Action) {
	o.str("kind", a.Kind)
	o.str("action", a.Action)
	switch a.Kind {
	case policy.KindImage:
		o.str("ref", a.Ref)
		o.str("id", a.ID)
	case policy.KindContainer:
		o.str("id", a.ID)
		o.str("name", a.Name)
	case policy.KindVolume:
		o.str("name", a.Name)
	case policy.KindNetwork:
		o.str("name", a.Name)
		o.str("id", a.ID)
	}
	o.str("rule", a.Rule)
	o.str("reason", a.Reason)
	if a.Kind != policy.KindNetwork {
		o.int("bytes", a.Bytes)
	}
}

func appendKeptJSON(o *jsonObject, k policy.Kept) {
	o.str("kind", k.Kind)
	o.strOmitEmpty("ref", k.Ref)
	o.strOmitEmpty("id", k.ID)
	o.strOmitEmpty("name", k.Name)
	o.str("rule", k.Rule)
	o.str("reason", k.Reason)
}

func appendWarningJSON(o *jsonObject, w policy.Warning) {
	o.str("message", w.Message)
	o.strOmitEmpty("filename", w.Filename)
	if w.Line != 0 {
		o.int("line", int64(w.Line))
	}
	if w.Column != 0 {
		o.int("column", int64(w.Column))
	}
}

// appendJSONArray appends items as an indented array at depth, each an
// object written by member; an empty array is [].
func appendJSONArray[T any](b []byte, depth int, items []T, member func(*jsonObject, T)) []byte {
	if len(items) == 0 {
		return append(b, "[]"...)
	}
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendIndent(b, depth+1)
		o := jsonObject{b: b, depth: depth + 1}
		member(&o, it)
		b = o.close()
	}
	return append(appendIndent(b, depth), ']')
}

// jsonObject writes one object's members, indented two spaces a level.
type jsonObject struct {
	b       []byte
	depth   int
	members int
}

// key starts a member: the value is the caller's to append to o.b.
func (o *jsonObject) key(k string) {
	if o.members == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.members++
	o.b = appendIndent(o.b, o.depth+1)
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':', ' ')
}

// object returns the writer of an object that is the current member's
// value; its close returns the buffer to carry on with.
func (o *jsonObject) object() jsonObject {
	return jsonObject{b: o.b, depth: o.depth + 1}
}

func (o *jsonObject) close() []byte {
	if o.members == 0 {
		return append(o.b, '{', '}')
	}
	return append(appendIndent(o.b, o.depth), '}')
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

func (o *jsonObject) strOmitEmpty(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *jsonObject) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func appendIndent(b []byte, depth int) []byte {
	b = append(b, '\n')
	for range depth {
		b = append(b, ' ', ' ')
	}
	return b
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json does with HTML
// escaping off: quotes, backslashes and control characters escaped,
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
