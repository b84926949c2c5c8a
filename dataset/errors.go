package dataset

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a dataset: where it is and what is wrong.
type Problem struct {
	File string // the dataset file; "" for an in-memory dataset
	Line int    // 1-based line in File; 0 when unknown
	Path string // field path, e.g. plans[1].sections[0].number; "" for the file as a whole
	Msg  string
}

// String renders the problem as "file:line: path: msg", leaving out the parts
// that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.File != "" && p.Line > 0:
		b.WriteString(p.File + ":" + strconv.Itoa(p.Line) + ": ")
	case p.File != "":
		b.WriteString(p.File + ": ")
	case p.Line > 0:
		b.WriteString("line " + strconv.Itoa(p.Line) + ": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// ValidationError lists every problem found in a dataset. Parse, ParseBytes
// and Dataset.Validate return it (as error) when a dataset is invalid.
type ValidationError struct {
	Problems []Problem
}

// Error prints a count and then one problem per line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	if n == 1 {
		b.WriteString("invalid dataset: 1 problem")
	} else {
		fmt.Fprintf(&b, "invalid dataset: %d problems", n)
	}
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}
