package plan

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// StatusChange is one entry of a measure's status history. History is
// append-only: it is never rewritten.
type StatusChange struct {
	Status     Status
	Note       *string
	AsOf       *string // ISO date the change took effect, when given
	RecordedAt string  // RFC 3339 time the API recorded it
	By         string  // the name of the token that made it
}

// LinkKind names what a measure can be linked to.
type LinkKind string

// The kinds of links a mutation may add or remove.
const (
	LinkProject   LinkKind = "PROJECT"
	LinkSector    LinkKind = "SECTOR"
	LinkPlace     LinkKind = "PLACE"
	LinkMilestone LinkKind = "MILESTONE"
)

// SourceRef cites a source by id with a verbatim excerpt.
type SourceRef struct {
	Source  string
	Excerpt string
}

// MeasureWrite creates or updates a measure.
type MeasureWrite struct {
	Plan        string // plan slug
	Code        string
	Title       string
	TitleZh     *string
	Description *string
	Status      *Status
	Sources     []SourceRef
}

// LinkWrite adds or removes a link from a measure.
type LinkWrite struct {
	Plan   string // plan slug; "" when the code is unique
	Code   string
	Kind   LinkKind
	Target string     // slug of the project, sector, place or milestone
	Source *SourceRef // provenance of the new link; the API edit source when nil
}

// Writer changes the graph. Each method is one write transaction: it
// happens completely or not at all.
type Writer interface {
	SetMeasureStatus(ctx context.Context, plan, code string, status Status, note, asOf *string, by string) (*Measure, error)
	// UpsertMeasure creates or updates a measure; created tells which.
	UpsertMeasure(ctx context.Context, in MeasureWrite, by string) (m *Measure, created bool, err error)
	// LinkMeasure adds (or, with remove, removes) a link from a measure.
	LinkMeasure(ctx context.Context, in LinkWrite, remove bool, by string) (*Measure, error)
	StatusHistory(ctx context.Context, ids []ID) (map[ID][]StatusChange, error)
}

// ParseMeasureCode splits a code into its section and aspect numbers (aspect
// 0 when the measure is directly in its section).
func ParseMeasureCode(code string) (section, aspect int, ok bool) {
	m := measureCodeRe.FindStringSubmatch(code)
	if m == nil {
		return 0, 0, false
	}
	fmt.Sscan(m[1], &section)
	if m[2] != "" {
		fmt.Sscan(m[2], &aspect)
	}
	return section, aspect, true
}

// Validate applies the loader's rules to a measure input. It returns every
// problem, joined.
func (in MeasureWrite) Validate() error {
	var p []string
	if !ValidSlug(in.Plan) {
		p = append(p, fmt.Sprintf("plan: %q is not a slug", in.Plan))
	}
	if _, _, ok := ParseMeasureCode(in.Code); !ok {
		p = append(p, fmt.Sprintf("code: %q must look like S1.M3 or S2.A4.M2", in.Code))
	}
	p = append(p, text("title", &in.Title, true, 300)...)
	p = append(p, text("titleZh", in.TitleZh, false, 300)...)
	p = append(p, text("description", in.Description, false, 5000)...)
	for i, s := range in.Sources {
		p = append(p, s.problems(fmt.Sprintf("sources[%d]", i))...)
	}
	if len(p) > 0 {
		return Errorf(EINVALID, "invalid measure: %s", strings.Join(p, "; "))
	}
	return nil
}

func (s SourceRef) problems(path string) []string {
	var p []string
	if !ValidSlug(s.Source) {
		p = append(p, fmt.Sprintf("%s.source: %q is not a source id", path, s.Source))
	}
	p = append(p, text(path+".excerpt", &s.Excerpt, true, 300)...)
	return p
}

// Validate checks a source reference.
func (s SourceRef) Validate() error {
	if p := s.problems("source"); len(p) > 0 {
		return Errorf(EINVALID, "%s", strings.Join(p, "; "))
	}
	return nil
}

func text(name string, s *string, required bool, max int) []string {
	if s == nil {
		if required {
			return []string{name + " is required"}
		}
		return nil
	}
	v := strings.TrimSpace(*s)
	switch {
	case required && v == "":
		return []string{name + " must not be empty"}
	case !utf8.ValidString(v):
		return []string{name + " is not valid UTF-8"}
	case utf8.RuneCountInString(v) > max:
		return []string{fmt.Sprintf("%s is longer than %d characters", name, max)}
	}
	for _, r := range v {
		if r < 0x20 && r != '\n' && r != '\t' {
			return []string{name + " contains control characters"}
		}
	}
	return nil
}

// ValidDate reports whether s is an ISO calendar date.
func ValidDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
