package plan

import (
	"regexp"
	"time"
)

// Defaults and validation rules that more than one layer applies. Each is
// written here only; the API's configuration table (app/config.go) derives
// its documented defaults from the same constants.
const (
	// DefaultPageSize is a connection's page when neither first nor last is given.
	DefaultPageSize = 20
	// MaxPageSize is the largest first or last a connection accepts (more is
	// an error, not a silent clamp).
	MaxPageSize = 100
	// DefaultQueryTimeout is the deadline of a request, and Neo4j's
	// transaction timeout, when QUERY_TIMEOUT does not say otherwise.
	DefaultQueryTimeout = 10 * time.Second
	// SlugPattern is what a slug looks like: lower-case letters and digits
	// in words joined by single hyphens (plans, projects, sectors, places,
	// sources).
	SlugPattern = `^[a-z0-9]+(-[a-z0-9]+)*$`
	// MeasureCodePattern is what a measure code looks like: S1.M3 (a measure
	// of a section) or S2.A4.M2 (of an aspect); the groups are the section,
	// aspect and measure numbers.
	MeasureCodePattern = `^S([1-9][0-9]*)(?:\.A([1-9][0-9]*))?\.M([1-9][0-9]*)$`
)

var (
	slugRe        = regexp.MustCompile(SlugPattern)
	measureCodeRe = regexp.MustCompile(MeasureCodePattern)
)

// ValidSlug reports whether s is a slug (SlugPattern).
func ValidSlug(s string) bool { return slugRe.MatchString(s) }
