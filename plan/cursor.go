package plan

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// KeyKinds gives, for an ordering, the type of each value in a measure's
// sort key: "s" for strings, "i" for integers. Every ordering ends with the
// measure's code key and id, which make it total.
func KeyKinds(order []Order) []string {
	var out []string
	for _, o := range order {
		switch o.Field {
		case OrderCode, OrderTitle:
			out = append(out, "s")
		case OrderSection, OrderMilestoneYear:
			out = append(out, "i")
		}
	}
	if len(order) == 1 && order[0].Field == OrderCode {
		return append(out, "s") // code, then id
	}
	return append(out, "s", "s")
}

func orderSignature(order []Order) string {
	var b strings.Builder
	for _, o := range order {
		b.WriteString(string(o.Field))
		if o.Desc {
			b.WriteString("-")
		}
		b.WriteString(",")
	}
	return b.String()
}

type cursorBody struct {
	O string `json:"o"`
	K []any  `json:"k"`
}

// EncodeCursor makes the opaque cursor of a measure from its sort key.
func EncodeCursor(order []Order, keys []any) string {
	b, _ := json.Marshal(cursorBody{O: orderSignature(order), K: keys})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor for the same ordering.
// A cursor that is malformed or was made for another ordering gives an
// EINVALID error.
func DecodeCursor(order []Order, s string) ([]any, error) {
	bad := Errorf(EINVALID, "invalid cursor %q: use a cursor returned by this connection with the same orderBy", truncate(s, 60))
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body cursorBody
	if err := dec.Decode(&body); err != nil || body.O != orderSignature(order) {
		return nil, bad
	}
	kinds := KeyKinds(order)
	if len(body.K) != len(kinds) {
		return nil, bad
	}
	out := make([]any, len(kinds))
	for i, kind := range kinds {
		switch v := body.K[i].(type) {
		case string:
			if kind != "s" {
				return nil, bad
			}
			out[i] = v
		case json.Number:
			n, err := v.Int64()
			if kind != "i" || err != nil {
				return nil, bad
			}
			out[i] = n
		default:
			return nil, fmt.Errorf("%w", bad)
		}
	}
	return out, nil
}
