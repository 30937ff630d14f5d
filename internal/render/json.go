package render

import (
	"encoding/json"
	"io"
)

// JSON writes v as one indented JSON document, the way every command does:
// two spaces, and no HTML escaping (references and reasons hold '<' and
// '&' as they are).
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
