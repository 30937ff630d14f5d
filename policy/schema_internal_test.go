package policy

import (
	"os"
	"regexp"
	"testing"
)

// Every attribute the decoder reads (attrs["keep"], content.Attributes
// ["age_basis"]) is in the language's list, which the loader's HCL
// schemas and the JSON Schema are made from: one read under a name the
// list lacks would always be nil, an attribute silently ignored.
func TestDecoderReadsOnlyListedAttributes(t *testing.T) {
	t.Parallel()
	listed := map[string]bool{}
	for _, a := range topLevel {
		listed[a.name] = true
	}
	for _, b := range blockSpecs {
		for _, a := range b.attrs {
			listed[a.name] = true
		}
	}
	read := regexp.MustCompile(`(?:attrs|Attributes)\["([a-z_]+)"\]`)
	n := 0
	for _, file := range []string{"decode.go", "load.go"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range read.FindAllSubmatch(src, -1) {
			n++
			if !listed[string(m[1])] {
				t.Errorf("%s reads attribute %q, which the language's list (schema.go) lacks", file, m[1])
			}
		}
	}
	if n < 20 {
		t.Errorf("found only %d attribute reads: has the decoder changed how it reads them?", n)
	}
}
