package policy_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/docker-shaper/docker-shaper/policy"
)

// schemaDoc is the part of the JSON Schema these tests read.
type schemaProp struct {
	Type    string         `json:"type"`
	Enum    []string       `json:"enum"`
	Items   *schemaProp    `json:"items"`
	Example []string       `json:"examples"`
	Props   map[string]any `json:"properties"`
	Default any            `json:"default"`
}

type schemaDoc struct {
	Properties map[string]json.RawMessage `json:"properties"`
	Defs       map[string]struct {
		Properties map[string]schemaProp `json:"properties"`
		Required   []string              `json:"required"`
	} `json:"$defs"`
}

func loadSchema(t *testing.T) schemaDoc {
	t.Helper()
	data, err := json.Marshal(policy.JSONSchema())
	if err != nil {
		t.Fatal(err)
	}
	var doc schemaDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// sample writes a value of the schema's type, or, wrong, one of another.
func sample(p schemaProp, wrong bool) []string {
	switch p.Type {
	case "boolean":
		if wrong {
			return []string{`"yes"`, `1`}
		}
		return []string{"true", "false"}
	case "integer":
		if wrong {
			return []string{`"two"`, `2.5`, `-1`, `true`}
		}
		return []string{"0", "2"}
	case "string":
		if wrong {
			return []string{"7", `["x"]`}
		}
		if p.Enum != nil {
			return quoteAll(p.Enum)
		}
		return quoteAll(p.Example)
	case "array":
		if wrong {
			return []string{`"x"`, `[1]`}
		}
		if p.Items.Enum != nil {
			return []string{"[" + strings.Join(quoteAll(p.Items.Enum), ", ") + "]"}
		}
		return []string{`["a:*"]`, `["a*"]`} // a reference glob, a name glob
	case "object":
		if wrong {
			return []string{`["k"]`, `{ "k" = 1 }`}
		}
		return []string{`{ "k" = "v" }`}
	}
	panic("no sample of type " + p.Type)
}

func quoteAll(ss []string) []string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return q
}

// base is what a block needs besides the attribute under test.
var base = map[string]map[string]string{
	"container": {"status": `["exited"]`},
	"image":     {"match": `["a:*"]`},
}

func blockSource(typ, attr, value string) string {
	var b strings.Builder
	if typ == "build_cache" {
		b.WriteString("build_cache {\n")
	} else {
		fmt.Fprintf(&b, "%s \"r\" {\n", typ)
	}
	for name, v := range base[typ] {
		if name != attr && !(attr == "dangling" && name == "match") {
			fmt.Fprintf(&b, "  %s = %s\n", name, v)
		}
	}
	fmt.Fprintf(&b, "  %s = %s\n}\n", attr, value)
	return b.String()
}

// attrLine is the line the attribute under test is on.
func attrLine(src, attr string) int {
	for i, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), attr+" =") {
			return i + 1
		}
	}
	return 0
}

// Every attribute of the JSON Schema is one the loader accepts, with the
// type the schema gives it: a value of that type loads (for some value
// the schema allows), one of another type is an error on that attribute.
// And the loader accepts no attribute the schema does not list: it is the
// loader's own list the schema is made from, checked here from outside by
// an attribute that is not in it.
func TestSchemaMatchesLoader(t *testing.T) {
	t.Parallel()
	doc := loadSchema(t)
	wantBlocks := []string{"build_cache", "container", "image", "network", "protect", "volume"}
	var gotBlocks []string
	for typ := range doc.Defs {
		gotBlocks = append(gotBlocks, typ)
	}
	sort.Strings(gotBlocks)
	if fmt.Sprint(gotBlocks) != fmt.Sprint(wantBlocks) {
		t.Fatalf("schema block types = %v, want %v", gotBlocks, wantBlocks)
	}
	n := 0
	for typ, def := range doc.Defs {
		if _, ok := doc.Properties[typ]; !ok {
			t.Errorf("block %s is in $defs but not a top-level property", typ)
		}
		for attr, p := range def.Properties {
			n++
			accepted := false
			var why []string
			for _, v := range sample(p, false) {
				src := blockSource(typ, attr, v)
				_, diags := policy.NewLoader().Load("p.hcl", []byte(src))
				if !diags.HasErrors() {
					accepted = true
					break
				}
				why = append(why, fmt.Sprintf("%s\n%s", src, diags.Error()))
			}
			if !accepted {
				t.Errorf("%s.%s: no value of schema type %s loads:\n%s", typ, attr, p.Type, strings.Join(why, "\n"))
			}
			for _, v := range sample(p, true) {
				src := blockSource(typ, attr, v)
				_, diags := policy.NewLoader().Load("p.hcl", []byte(src))
				if !errorOnLine(diags, attrLine(src, attr)) {
					t.Errorf("%s.%s = %s (not a %s) loads without an error on its line:\n%s\n%v", typ, attr, v, p.Type, src, diags)
				}
			}
		}
		src := blockSource(typ, "not_in_schema", "1")
		if _, diags := policy.NewLoader().Load("p.hcl", []byte(src)); !errorOnLine(diags, attrLine(src, "not_in_schema")) {
			t.Errorf("%s accepts an attribute the schema does not list", typ)
		}
		// A required attribute left out is an error.
		for _, attr := range def.Required {
			src := fmt.Sprintf("%s \"r\" {\n}\n", typ)
			if _, diags := policy.NewLoader().Load("p.hcl", []byte(src)); !diags.HasErrors() {
				t.Errorf("%s without %s, which the schema requires, loads", typ, attr)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d attributes in the schema", n)
	}
	// Top-level settings.
	for name, raw := range doc.Properties {
		var p schemaProp
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		if _, isBlock := doc.Defs[name]; isBlock {
			continue
		}
		for _, v := range sample(p, false) {
			if _, diags := policy.NewLoader().Load("p.hcl", []byte(name+" = "+v+"\n")); diags.HasErrors() {
				t.Errorf("top-level %s = %s does not load: %v", name, v, diags)
			}
		}
		for _, v := range sample(p, true) {
			if _, diags := policy.NewLoader().Load("p.hcl", []byte(name+" = "+v+"\n")); !diags.HasErrors() {
				t.Errorf("top-level %s = %s (not a %s) loads", name, v, p.Type)
			}
		}
	}
	if _, diags := policy.NewLoader().Load("p.hcl", []byte("not_in_schema = 1\n")); !diags.HasErrors() {
		t.Error("a top-level attribute the schema does not list loads")
	}
}

func errorOnLine(diags hcl.Diagnostics, line int) bool {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil && d.Subject.Start.Line == line {
			return true
		}
	}
	return false
}

// The defaults the schema states are the loader's.
func TestSchemaDefaults(t *testing.T) {
	t.Parallel()
	doc := loadSchema(t)
	p, diags := policy.NewLoader().Load("p.hcl", []byte("image \"r\" {\n  match = [\"a:*\"]\n}\n"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var top map[string]schemaProp = map[string]schemaProp{}
	for name, raw := range doc.Properties {
		var sp schemaProp
		_ = json.Unmarshal(raw, &sp)
		top[name] = sp
	}
	if top["protect_latest"].Default != p.ProtectLatest {
		t.Errorf("protect_latest default %v, loader %v", top["protect_latest"].Default, p.ProtectLatest)
	}
	if top["age_basis"].Default != string(p.AgeBasis) {
		t.Errorf("age_basis default %v, loader %v", top["age_basis"].Default, p.AgeBasis)
	}
	if d := doc.Defs["image"].Properties["order_by"].Default; d != string(p.Images[0].OrderBy) {
		t.Errorf("order_by default %v, loader %v", d, p.Images[0].OrderBy)
	}
}
