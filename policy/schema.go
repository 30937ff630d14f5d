package policy

import (
	"github.com/hashicorp/hcl/v2"
)

// The language's blocks and attributes, with their types and what they
// mean: the one list both the loader's HCL schemas (what it accepts) and
// JSONSchema (what editors and generators are given) are made from.

// valueType is what an attribute holds.
type valueType int

const (
	typeBool     valueType = iota
	typeCount              // keep: a whole number, 0 to 1000000
	typeDuration           // a string: "7d"
	typeSize               // a string: "20GB"
	typeEnum               // a string among values
	typeGlobs              // a list of strings
	typeEnumList           // a list of strings among values (status)
	typeLabels             // a map of label keys to value globs
)

type attrSpec struct {
	name   string
	typ    valueType
	values []string // typeEnum, typeEnumList
	doc    string
	deflt  any // the value when left out, for the schema; nil when none
	// required: a block without it is an error (container's status).
	required bool
}

type blockSpec struct {
	typ     string
	labeled bool
	doc     string
	attrs   []attrSpec
}

var (
	specAgeBasis = attrSpec{name: "age_basis", typ: typeEnum, values: basisValues,
		doc: "What image ages count from: when docker-shaper first saw the image, its build date, or its last use by a container."}
	specOlderThan = attrSpec{name: "older_than", typ: typeDuration,
		doc: "Only objects older than this, e.g. \"7d\", \"36h\", \"2w\"."}
	specNames       = attrSpec{name: "names", typ: typeGlobs, doc: "Name globs; left out, any name."}
	specVolumeNames = attrSpec{name: "names", typ: typeGlobs, doc: "Name globs; left out, anonymous volumes only."}
	specLabelsRule  = attrSpec{name: "labels", typ: typeLabels,
		doc: "Labels that must all be present, each value matching its glob (\"*\" accepts any value)."}

	// topLevel are the settings outside blocks.
	topLevel = []attrSpec{
		{name: "protect_latest", typ: typeBool, deflt: true, doc: "Keep every tag named \"latest\"."},
		func() attrSpec { a := specAgeBasis; a.deflt = string(BasisSeen); return a }(),
	}

	// blockSpecs are the block types, in the order the plan lists rules.
	blockSpecs = []blockSpec{
		{typ: blockProtect, labeled: true,
			doc: "What it selects stays, whatever any rule says.",
			attrs: []attrSpec{
				{name: "images", typ: typeGlobs, doc: "Reference globs REPOSITORY:TAG (or REPOSITORY@DIGEST) of images to keep."},
				{name: "images_regex", typ: typeGlobs, doc: "Anchored RE2 regular expressions of references to keep."},
				{name: "containers", typ: typeGlobs, doc: "Name globs of containers to keep."},
				{name: "volumes", typ: typeGlobs, doc: "Name globs of volumes to keep."},
				{name: "networks", typ: typeGlobs, doc: "Name globs of networks to keep."},
				{name: "labels", typ: typeLabels, doc: "Labels that keep any object carrying them all."},
			}},
		{typ: KindContainer, labeled: true,
			doc: "Removes containers in the listed states.",
			attrs: []attrSpec{
				{name: "status", typ: typeEnumList, values: statusValues, required: true, doc: "The states removed (required)."},
				specNames,
				{name: "images", typ: typeGlobs, doc: "Reference globs of the containers' images."},
				specLabelsRule,
				{name: "exclude_labels", typ: typeLabels, doc: "Containers with any of these labels are left alone."},
				specOlderThan,
				{name: "remove_volumes", typ: typeBool, deflt: false, doc: "Remove the containers' anonymous volumes with them."},
			}},
		{typ: KindImage, labeled: true,
			doc: "Removes image tags (and untagged images with dangling = true); the first matching rule claims a tag.",
			attrs: []attrSpec{
				{name: "match", typ: typeGlobs, doc: "Reference globs REPOSITORY:TAG, matched as docker image ls shows references."},
				{name: "match_regex", typ: typeGlobs, doc: "Anchored RE2 regular expressions of references."},
				{name: "exclude", typ: typeGlobs, doc: "Reference globs of tags the rule leaves alone."},
				specLabelsRule,
				{name: "dangling", typ: typeBool, deflt: false, doc: "Select untagged images instead of tags; not with match, match_regex or exclude."},
				{name: "keep", typ: typeCount, doc: "Keep the newest this many images of each repository."},
				specOlderThan,
				{name: "unused_for", typ: typeDuration, doc: "Only images no container used for this long, e.g. \"90d\"."},
				{name: "max_size", typ: typeSize, doc: "A budget: while the images the rule holds add up to more than this, the least recently used beyond keep go, e.g. \"20GB\"."},
				specAgeBasis,
				{name: "order_by", typ: typeEnum, values: orderValues, deflt: string(OrderAge), doc: "What \"newest\" means for keep: by age, or by version in the tag."},
			}},
		{typ: KindVolume, labeled: true,
			doc:   "Removes volumes no container uses; without names, anonymous volumes only.",
			attrs: []attrSpec{specVolumeNames, specLabelsRule, specOlderThan}},
		{typ: KindNetwork, labeled: true,
			doc:   "Removes user-defined networks no container is attached to.",
			attrs: []attrSpec{specNames, specLabelsRule, specOlderThan}},
		{typ: blockBuildCache,
			doc: "Prunes the daemon's build cache; at most one.",
			attrs: []attrSpec{
				{name: "unused_for", typ: typeDuration, doc: "Only records not used for this long, e.g. \"30d\"."},
				{name: "keep_storage", typ: typeSize, doc: "Keep this much cache, e.g. \"10GB\"."},
				{name: "all", typ: typeBool, deflt: false, doc: "Shared records too, not only private ones."},
			}},
	}
)

// bodySchemaOf is the HCL schema the loader decodes a block type with.
func bodySchemaOf(typ string) *hcl.BodySchema {
	for _, b := range blockSpecs {
		if b.typ == typ {
			s := &hcl.BodySchema{}
			for _, a := range b.attrs {
				s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.name})
			}
			return s
		}
	}
	panic("policy: no block type " + typ)
}

// topSchema is the HCL schema of a policy file's body.
func topSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range topLevel {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.name})
	}
	for _, b := range blockSpecs {
		h := hcl.BlockHeaderSchema{Type: b.typ}
		if b.labeled {
			h.LabelNames = []string{"name"}
		}
		s.Blocks = append(s.Blocks, h)
	}
	return s
}

// SchemaID is the $id of the policy language's JSON Schema.
const SchemaID = "https://github.com/docker-shaper/docker-shaper/policy.schema.json"

// JSONSchema returns a JSON Schema (draft 2020-12) of the policy language,
// as a document to marshal. It describes a policy in HCL's JSON syntax:
// a top-level object of settings and block types, a labelled block as an
// object of rule names to bodies (image "old" { … } is
// {"image": {"old": {…}}}). It checks shapes, types and allowed values;
// what only the loader can judge (patterns, durations, combinations) is
// left to validate.
func JSONSchema() map[string]any {
	props := map[string]any{}
	for _, a := range topLevel {
		props[a.name] = attrJSONSchema(a)
	}
	defs := map[string]any{}
	for _, b := range blockSpecs {
		bp := map[string]any{}
		var required []string
		for _, a := range b.attrs {
			bp[a.name] = attrJSONSchema(a)
			if a.required {
				required = append(required, a.name)
			}
		}
		def := map[string]any{
			"type":                 "object",
			"description":          b.doc,
			"properties":           bp,
			"additionalProperties": false,
		}
		if required != nil {
			def["required"] = required
		}
		defs[b.typ] = def
		ref := map[string]any{"$ref": "#/$defs/" + b.typ}
		if !b.labeled {
			props[b.typ] = ref
			continue
		}
		props[b.typ] = map[string]any{
			"type":                 "object",
			"description":          b.doc + " Keys are rule names, unique per block type.",
			"propertyNames":        map[string]any{"minLength": 1},
			"additionalProperties": ref,
		}
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  SchemaID,
		"title":                "docker-shaper policy",
		"description":          "A docker-shaper retention policy, in HCL's JSON syntax: a labelled block is an object of rule names to bodies. Types and allowed values only: docker shaper validate judges patterns, durations and combinations.",
		"type":                 "object",
		"properties":           props,
		"additionalProperties": false,
		"$defs":                defs,
	}
}

func attrJSONSchema(a attrSpec) map[string]any {
	s := map[string]any{"description": a.doc}
	switch a.typ {
	case typeBool:
		s["type"] = "boolean"
	case typeCount:
		s["type"] = "integer"
		s["minimum"] = 0
		s["maximum"] = maxKeep
	case typeDuration:
		s["type"] = "string"
		s["examples"] = []string{"7d", "36h", "2w", "1d12h"}
	case typeSize:
		s["type"] = "string"
		s["examples"] = []string{"500MB", "20GB", "2GiB"}
	case typeEnum:
		s["type"] = "string"
		s["enum"] = a.values
	case typeGlobs:
		s["type"] = "array"
		s["items"] = map[string]any{"type": "string"}
	case typeEnumList:
		s["type"] = "array"
		s["minItems"] = 1
		s["items"] = map[string]any{"type": "string", "enum": a.values}
	case typeLabels:
		s["type"] = "object"
		s["propertyNames"] = map[string]any{"minLength": 1}
		s["additionalProperties"] = map[string]any{"type": "string"}
	}
	if a.deflt != nil {
		s["default"] = a.deflt
	}
	return s
}
