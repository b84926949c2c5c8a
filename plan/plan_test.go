package plan

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestIDMarshalGQL: an id marshals as the JSON string of its global form,
// which parses back to it, whatever its key holds.
func TestIDMarshalGQL(t *testing.T) {
	for _, id := range []ID{
		"Measure:shenzhen-pdz-action-plan/S1.A1.M1",
		"Place:前海",
		"Sector:a\"b\\c\nd",
		"Event:😀/x?y=z&w",
		"P:x",
	} {
		var b strings.Builder
		id.MarshalGQL(&b)
		var s string
		if err := json.Unmarshal([]byte(b.String()), &s); err != nil {
			t.Errorf("%s: %s is not a JSON string: %v", id, b.String(), err)
			continue
		}
		if s != id.Global() {
			t.Errorf("%s: marshalled %q, want %q", id, s, id.Global())
		}
		var back ID
		if _, known := ParseKind(string(id.Kind())); known {
			if err := back.UnmarshalGQL(s); err != nil || back != id {
				t.Errorf("%s: read back %q, %v", id, back, err)
			}
		}
	}
}
