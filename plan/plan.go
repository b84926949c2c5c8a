// Package plan holds the domain of the API: the read model of a plan's
// knowledge graph (plans, sections, aspects, measures, projects, sectors,
// places, milestones, events and sources), the Store interface the GraphQL layer
// calls, and coded errors. It imports only the standard library.
package plan

import (
	"encoding/base64"
	"io"
	"strings"
)

// Kind is a node label of the graph; the allow-list of labels.
type Kind string

// The node kinds (Neo4j labels).
const (
	KindPlan      Kind = "Plan"
	KindSection   Kind = "Section"
	KindAspect    Kind = "Aspect"
	KindMeasure   Kind = "Measure"
	KindProject   Kind = "Project"
	KindSector    Kind = "Sector"
	KindPlace     Kind = "Place"
	KindMilestone Kind = "Milestone"
	KindSource    Kind = "Source"
	KindEvent     Kind = "Event"
)

// ParseKind returns the kind named s, case-insensitively.
func ParseKind(s string) (Kind, bool) {
	for _, k := range Kinds {
		if strings.EqualFold(string(k), s) {
			return k, true
		}
	}
	return "", false
}

// ID is a node's stable identity: "<Kind>:<natural key>", for example
// "Measure:shenzhen-pdz-action-plan/S1.M3". It is the `id` property of the
// node in Neo4j. In GraphQL it travels as an opaque global id (base64url of
// the same text), stable across reloads.
type ID string

// NewID builds the id of a node of kind k with natural key key.
func NewID(k Kind, key string) ID { return ID(string(k) + ":" + key) }

// Kind is the kind named by the id's prefix.
func (id ID) Kind() Kind {
	k, _, _ := strings.Cut(string(id), ":")
	return Kind(k)
}

// Key is the natural key part of the id.
func (id ID) Key() string {
	_, key, _ := strings.Cut(string(id), ":")
	return key
}

// Global is the opaque global id that GraphQL clients see.
func (id ID) Global() string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// MarshalGQL writes the id as its opaque global form (gqlgen's Marshaler).
// The URL alphabet of base64 needs no escaping in JSON: the quotes go
// around the encoding as it is (strconv.Quote cost a neighbourhood of
// 1,700 nodes and edges a fifth of its CPU).
func (id ID) MarshalGQL(w io.Writer) {
	buf := make([]byte, base64.RawURLEncoding.EncodedLen(len(id))+2)
	buf[0] = '"'
	base64.RawURLEncoding.Encode(buf[1:], []byte(id))
	buf[len(buf)-1] = '"'
	_, _ = w.Write(buf)
}

// UnmarshalGQL reads an opaque global id (gqlgen's Unmarshaler).
func (id *ID) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return Errorf(EINVALID, "an id must be a string")
	}
	parsed, err := ParseGlobalID(s)
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// ParseGlobalID decodes a global id. A malformed one gives an EINVALID error.
func ParseGlobalID(s string) (ID, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return "", Errorf(EINVALID, "malformed id %q", truncate(s, 80))
	}
	id := ID(b)
	k, key, ok := strings.Cut(string(id), ":")
	if _, known := ParseKind(k); !ok || !known || key == "" || Kind(k) != mustKind(k) {
		return "", Errorf(EINVALID, "malformed id %q", truncate(s, 80))
	}
	return id, nil
}

func mustKind(s string) Kind {
	k, _ := ParseKind(s)
	return k
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
