package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yamlErrRE splits the line number off a yaml.v3 syntax error.
var yamlErrRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads the plankg/v1 file at path, decodes it and validates it
// completely. Source files named by `file` are resolved relative to the
// folder of path. An invalid dataset gives a *ValidationError listing every
// problem found, each naming the file, the line and the field path; a file
// that cannot be read gives a wrapped I/O error.
func Parse(path string) (*Dataset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: read: %w", err)
	}
	return ParseBytes(path, data, filepath.Dir(path))
}

// ParseBytes is Parse for data already in memory: name is the file name used
// in problems, baseDir the folder that source `file` paths are relative to.
func ParseBytes(name string, data []byte, baseDir string) (*Dataset, error) {
	p := &parser{file: name, pos: map[string]int{}, flagged: map[string]bool{}}
	if !p.checkEncoding(data) {
		return nil, &ValidationError{Problems: p.probs}
	}
	root := p.document(data)
	if root == nil {
		return nil, &ValidationError{Problems: p.probs}
	}
	d := p.dataset(root)
	texts := p.sourceTexts(d, baseDir)

	v := newValidator(d, texts)
	v.file, v.pos, v.suppress = name, p.pos, p.flagged
	v.run()

	probs := append(p.probs, v.probs...)
	if len(probs) > 0 {
		slices.SortStableFunc(probs, func(a, b Problem) int { return a.Line - b.Line })
		return nil, &ValidationError{Problems: probs}
	}
	return d, nil
}

// parser turns the yaml.Node tree into a Dataset, reporting structural
// problems (syntax, unknown keys, missing keys, wrong types, empty values).
// The rules on values are checked afterwards by the validator, which looks
// lines up in pos and skips the paths already flagged here.
type parser struct {
	file    string
	probs   []Problem
	pos     map[string]int  // field path → line
	flagged map[string]bool // paths with a structural problem
}

func (p *parser) errAt(line int, path, format string, args ...any) {
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
	if path != "" {
		p.flagged[path] = true
	}
}

// checkEncoding reports the first invalid UTF-8 byte, or every line holding a
// control character other than tab, newline and carriage return. It returns
// false when the data cannot be decoded.
func (p *parser) checkEncoding(data []byte) bool {
	ok := true
	line, col, reported := 1, 1, 0
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			p.errAt(line, "", "invalid UTF-8: byte 0x%02x at column %d (the file must be UTF-8)", data[i], col)
			return false
		case r == '\n':
			line, col, reported = line+1, 0, 0
		case badControl(r) && reported == 0:
			p.errAt(line, "", "control character %U at column %d is not allowed", r, col)
			ok, reported = false, 1
		}
		i += size
		col++
	}
	return ok
}

// badControl reports whether r is a control character other than \t \n \r.
func badControl(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r'
}

// document decodes the single YAML document of data and returns its root.
func (p *parser) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errAt(1, "", "empty file: expected a %s document", Format)
		} else {
			p.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.yamlError(err)
	default:
		p.errAt(extra.Line, "", "a second YAML document: a dataset file holds exactly one")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			p.errAt(1, "", "empty file: expected a %s document", Format)
			return nil
		}
		root = root.Content[0]
	}
	return root
}

func (p *parser) yamlError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlErrRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	p.errAt(line, "", "YAML syntax: %s", msg)
}

// object is a decoded YAML mapping whose keys have been checked.
type object struct {
	p      *parser
	path   string
	node   *yaml.Node
	fields map[string]*yaml.Node
}

// object checks that n is a mapping with only the allowed keys, each once.
// It returns nil (after reporting) when n is not a mapping.
func (p *parser) object(n *yaml.Node, path string, allowed ...string) *object {
	if _, ok := p.pos[path]; !ok {
		p.pos[path] = n.Line
	}
	if n.Kind == yaml.AliasNode {
		p.errAt(n.Line, path, "YAML aliases are not supported in %s", Format)
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errAt(n.Line, path, "must be a mapping, got %s", describe(n))
		return nil
	}
	o := &object{p: p, path: path, node: n, fields: make(map[string]*yaml.Node, len(n.Content)/2)}
	keyLines := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			p.errAt(k.Line, path, "keys must be strings, got %s", describe(k))
			continue
		}
		kp := join(path, k.Value)
		if !slices.Contains(allowed, k.Value) {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s := suggest(k.Value, allowed); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			p.errAt(k.Line, kp, "%s", msg)
			continue
		}
		if first, dup := keyLines[k.Value]; dup {
			p.errAt(k.Line, kp, "duplicate key %q (first at line %d)", k.Value, first)
			continue
		}
		keyLines[k.Value] = k.Line
		p.pos[kp] = k.Line
		o.fields[k.Value] = v
	}
	return o
}

// get returns the value of key, or nil (after reporting) when it is absent
// but required, empty, or an alias.
func (o *object) get(key string, required bool) *yaml.Node {
	path := join(o.path, key)
	n, ok := o.fields[key]
	switch {
	case !ok:
		if required {
			o.p.errAt(o.node.Line, path, "missing required field %q", key)
		}
		return nil
	case n.Kind == yaml.AliasNode:
		o.p.errAt(n.Line, path, "YAML aliases are not supported in %s", Format)
		return nil
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		o.empty(n, path, required)
		return nil
	}
	return n
}

func (o *object) empty(n *yaml.Node, path string, required bool) {
	if required {
		o.p.errAt(n.Line, path, "must not be empty")
	} else {
		o.p.errAt(n.Line, path, "empty value: omit the key instead")
	}
}

// str decodes a string field; "" when absent or invalid.
func (o *object) str(key string, required bool) string {
	n := o.get(key, required)
	if n == nil {
		return ""
	}
	path := join(o.path, key)
	s, ok := o.p.scalarString(n, path)
	if ok && s == "" {
		o.empty(n, path, required)
	}
	return s
}

// scalarString checks that n is a string scalar. For another scalar (an
// unquoted 2025, say) it still returns the text, so that links to it
// resolve and the one mistake is reported once.
func (p *parser) scalarString(n *yaml.Node, path string) (string, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return n.Value, true
	}
	msg := "must be a string, got " + describe(n)
	if n.Kind != yaml.ScalarNode {
		p.errAt(n.Line, path, "%s", msg)
		return "", false
	}
	if n.Style == 0 {
		msg += fmt.Sprintf(" (quote it: %q)", n.Value)
	}
	p.errAt(n.Line, path, "%s", msg)
	return n.Value, false
}

// date decodes an ISO date field, quoted or not; its format is checked by the
// validator.
func (o *object) date(key string) string {
	n := o.get(key, false)
	if n == nil {
		return ""
	}
	path := join(o.path, key)
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!timestamp") {
		o.p.errAt(n.Line, path, "must be an ISO date YYYY-MM-DD, got %s", describe(n))
		return ""
	}
	if n.Value == "" {
		o.empty(n, path, false)
	}
	return n.Value
}

// integer decodes an integer field; ok is false when absent or invalid.
func (o *object) integer(key string, required bool) (v int, ok bool) {
	n := o.get(key, required)
	if n == nil {
		return 0, false
	}
	path := join(o.path, key)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		o.p.errAt(n.Line, path, "must be an integer, got %s", describe(n))
		return 0, false
	}
	if err := n.Decode(&v); err != nil {
		o.p.errAt(n.Line, path, "integer %s out of range", n.Value)
		return 0, false
	}
	return v, true
}

// positive decodes an optional integer that must be > 0 when given (0 in the
// Dataset means absent, so an explicit 0 is reported here).
func (o *object) positive(key string) int {
	v, ok := o.integer(key, false)
	if ok && v <= 0 {
		o.p.errAt(o.fields[key].Line, join(o.path, key), "must be a positive integer, got %d", v)
		return 0
	}
	return v
}

// year decodes an optional year, which must be within minYear..maxYear.
func (o *object) year(key string, required bool) int {
	v, ok := o.integer(key, required)
	if ok && (v < minYear || v > maxYear) {
		o.p.errAt(o.fields[key].Line, join(o.path, key), "impossible year %d: must be within %d..%d", v, minYear, maxYear)
		return 0
	}
	return v
}

func (o *object) boolean(key string) bool {
	n := o.get(key, false)
	if n == nil {
		return false
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		o.p.errAt(n.Line, join(o.path, key), "must be true or false, got %s", describe(n))
	}
	return v
}

// list decodes a list field and records the line of every item.
func (o *object) list(key string, required bool) []*yaml.Node {
	n := o.get(key, required)
	if n == nil {
		return nil
	}
	path := join(o.path, key)
	if n.Kind != yaml.SequenceNode {
		o.p.errAt(n.Line, path, "must be a list, got %s", describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		if required {
			o.p.errAt(n.Line, path, "must have at least one item")
		} else {
			o.empty(n, path, false)
		}
		return nil
	}
	for i, c := range n.Content {
		o.p.pos[index(path, i)] = c.Line
	}
	return n.Content
}

func (p *parser) dataset(root *yaml.Node) *Dataset {
	d := &Dataset{}
	o := p.object(root, "", datasetKeys("format", "sources", "plans", "projects", "sectors", "places", "milestones", "events")...)
	if o == nil {
		return d
	}
	if n := o.get("format", true); n != nil {
		if f, ok := p.scalarString(n, "format"); ok && f != Format {
			p.errAt(n.Line, "format", "must be %q, got %q", Format, f)
		}
	}
	for i, n := range o.list("sources", true) {
		d.Sources = append(d.Sources, p.source(n, index("sources", i)))
	}
	for i, n := range o.list("plans", true) {
		d.Plans = append(d.Plans, p.plan(n, index("plans", i)))
	}
	for i, n := range o.list("projects", false) {
		d.Projects = append(d.Projects, p.project(n, index("projects", i)))
	}
	for i, n := range o.list("sectors", false) {
		d.Sectors = append(d.Sectors, p.sector(n, index("sectors", i)))
	}
	for i, n := range o.list("places", false) {
		d.Places = append(d.Places, p.place(n, index("places", i)))
	}
	for i, n := range o.list("milestones", false) {
		d.Milestones = append(d.Milestones, p.milestone(n, index("milestones", i)))
	}
	for i, n := range o.list("events", false) {
		d.Events = append(d.Events, p.event(n, index("events", i)))
	}
	p.records(o, d)
	return d
}

func (p *parser) source(n *yaml.Node, path string) Source {
	o := p.object(n, path, "id", "title", "publisher", "url", "publishedOn", "file", "authority")
	if o == nil {
		return Source{}
	}
	return Source{
		ID:          o.str("id", true),
		Title:       o.str("title", true),
		Publisher:   o.str("publisher", false),
		URL:         o.str("url", false),
		PublishedOn: o.date("publishedOn"),
		File:        o.str("file", false),
		Authority:   o.str("authority", false),
	}
}

func (p *parser) plan(n *yaml.Node, path string) Plan {
	o := p.object(n, path, "slug", "title", "titleZh", "issuer", "summary", "goal", "goalYear",
		"declaredMeasureCount", "tranches", "domains", "parent", "milestones", "sources", "sections")
	if o == nil {
		return Plan{}
	}
	pl := Plan{
		Slug:                 o.str("slug", true),
		Title:                o.str("title", true),
		TitleZh:              o.str("titleZh", false),
		Issuer:               o.str("issuer", false),
		Summary:              o.str("summary", false),
		Goal:                 o.str("goal", false),
		GoalYear:             o.year("goalYear", false),
		DeclaredMeasureCount: o.positive("declaredMeasureCount"),
		Tranches:             o.positive("tranches"),
	}
	for i, n := range o.list("domains", false) {
		ip := index(join(path, "domains"), i)
		s, ok := p.scalarString(n, ip)
		if ok && s == "" {
			p.errAt(n.Line, ip, "must not be empty")
		}
		pl.Domains = append(pl.Domains, s)
	}
	if n := o.get("parent", false); n != nil {
		l := p.link(n, join(path, "parent"))
		pl.Parent = &l
	}
	pl.Milestones = p.links(o, "milestones")
	pl.Sources = p.refs(o)
	for i, n := range o.list("sections", false) {
		pl.Sections = append(pl.Sections, p.section(n, index(join(path, "sections"), i)))
	}
	return pl
}

func (p *parser) section(n *yaml.Node, path string) Section {
	o := p.object(n, path, "number", "title", "summary", "sources", "measures", "aspects")
	if o == nil {
		return Section{}
	}
	s := Section{Title: o.str("title", true), Summary: o.str("summary", false)}
	s.Number, _ = o.integer("number", true)
	s.Sources = p.refs(o)
	s.Measures = p.measures(o)
	for i, n := range o.list("aspects", false) {
		s.Aspects = append(s.Aspects, p.aspect(n, index(join(path, "aspects"), i)))
	}
	return s
}

func (p *parser) aspect(n *yaml.Node, path string) Aspect {
	o := p.object(n, path, "number", "title", "summary", "sources", "measures")
	if o == nil {
		return Aspect{}
	}
	a := Aspect{Title: o.str("title", true), Summary: o.str("summary", false)}
	a.Number, _ = o.integer("number", true)
	a.Sources = p.refs(o)
	a.Measures = p.measures(o)
	return a
}

func (p *parser) measures(o *object) []Measure {
	var ms []Measure
	for i, n := range o.list("measures", false) {
		ms = append(ms, p.measure(n, index(join(o.path, "measures"), i)))
	}
	return ms
}

func (p *parser) measure(n *yaml.Node, path string) Measure {
	o := p.object(n, path, "code", "title", "titleZh", "description", "status",
		"projects", "sectors", "places", "milestones", "sources")
	if o == nil {
		return Measure{}
	}
	m := Measure{
		Code:        o.str("code", true),
		Title:       o.str("title", true),
		TitleZh:     o.str("titleZh", false),
		Description: o.str("description", false),
		Status:      StatusUnknown,
		Projects:    p.links(o, "projects"),
		Sectors:     p.links(o, "sectors"),
		Places:      p.links(o, "places"),
		Milestones:  p.links(o, "milestones"),
		Sources:     p.refs(o),
	}
	if _, given := o.fields["status"]; given {
		m.Status = o.str("status", false)
	}
	return m
}

func (p *parser) project(n *yaml.Node, path string) Project {
	o := p.object(n, path, "slug", "name", "nameZh", "kind", "description", "places", "sectors", "milestones", "sources")
	if o == nil {
		return Project{}
	}
	return Project{
		Slug:        o.str("slug", true),
		Name:        o.str("name", true),
		NameZh:      o.str("nameZh", false),
		Kind:        o.str("kind", false),
		Description: o.str("description", false),
		Places:      p.links(o, "places"),
		Sectors:     p.links(o, "sectors"),
		Milestones:  p.links(o, "milestones"),
		Sources:     p.refs(o),
	}
}

func (p *parser) sector(n *yaml.Node, path string) Sector {
	o := p.object(n, path, "slug", "name", "nameZh", "sources")
	if o == nil {
		return Sector{}
	}
	return Sector{
		Slug:    o.str("slug", true),
		Name:    o.str("name", true),
		NameZh:  o.str("nameZh", false),
		Sources: p.refs(o),
	}
}

func (p *parser) place(n *yaml.Node, path string) Place {
	o := p.object(n, path, "slug", "name", "nameZh", "kind", "within", "sources")
	if o == nil {
		return Place{}
	}
	pl := Place{
		Slug:   o.str("slug", true),
		Name:   o.str("name", true),
		NameZh: o.str("nameZh", false),
		Kind:   o.str("kind", false),
	}
	if n := o.get("within", false); n != nil {
		l := p.link(n, join(path, "within"))
		pl.Within = &l
	}
	pl.Sources = p.refs(o)
	return pl
}

func (p *parser) milestone(n *yaml.Node, path string) Milestone {
	o := p.object(n, path, "slug", "year", "date", "approximate", "label", "sources")
	if o == nil {
		return Milestone{}
	}
	return Milestone{
		Slug:        o.str("slug", true),
		Year:        o.year("year", true),
		Date:        o.date("date"),
		Approximate: o.boolean("approximate"),
		Label:       o.str("label", true),
		Sources:     p.refs(o),
	}
}

// event decodes one event.
func (p *parser) event(n *yaml.Node, path string) Event {
	o := p.object(n, path, "slug", "kind", "title", "date", "dateNote", "target", "confirmed", "quantities",
		"measures", "projects", "places", "plans", "sources")
	if o == nil {
		return Event{}
	}
	e := Event{
		Slug:      o.str("slug", true),
		Kind:      o.str("kind", true),
		Title:     o.str("title", true),
		Date:      o.loose("date", true),
		DateNote:  o.str("dateNote", false),
		Confirmed: o.boolean("confirmed"),
	}
	if t := o.loose("target", false); t != "" {
		y, err := strconv.Atoi(t)
		if err != nil || y < minYear || y > maxYear {
			p.errAt(o.fields["target"].Line, join(path, "target"), "must be a year %d..%d, got %q", minYear, maxYear, t)
		}
		e.Target = y
	}
	for i, qn := range o.list("quantities", false) {
		qp := index(join(path, "quantities"), i)
		qo := p.object(qn, qp, "of", "value", "unit")
		if qo == nil {
			continue
		}
		q := Quantity{Of: qo.str("of", true), Unit: qo.str("unit", true)}
		if vn := qo.get("value", true); vn != nil {
			f, err := strconv.ParseFloat(vn.Value, 64)
			if vn.Kind != yaml.ScalarNode || (vn.Tag != "!!int" && vn.Tag != "!!float") || err != nil {
				p.errAt(vn.Line, join(qp, "value"), "must be a number, got %s", describe(vn))
			}
			q.Value = f
		}
		e.Quantities = append(e.Quantities, q)
	}
	for _, key := range []string{"measures", "projects", "places", "plans"} {
		var out []string
		for i, vn := range o.list(key, false) {
			if s, ok := p.scalarString(vn, index(join(path, key), i)); ok {
				out = append(out, s)
			}
		}
		switch key {
		case "measures":
			e.Measures = out
		case "projects":
			e.Projects = out
		case "places":
			e.Places = out
		case "plans":
			e.Plans = out
		}
	}
	e.Sources = p.refs(o)
	return e
}

// loose decodes a scalar that YAML may read as a string, an integer or a
// timestamp (a date "2020", 2020, "2020-04" or 2020-04-27), as its text.
func (o *object) loose(key string, required bool) string {
	n := o.get(key, required)
	if n == nil {
		return ""
	}
	path := join(o.path, key)
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!int" && n.ShortTag() != "!!timestamp") {
		o.p.errAt(n.Line, path, "must be a date or year, got %s", describe(n))
		return ""
	}
	if n.Value == "" {
		o.empty(n, path, required)
	}
	return n.Value
}

// link decodes { to, source, excerpt } or { to, source, claim, fact }.
func (p *parser) link(n *yaml.Node, path string) Link {
	o := p.object(n, path, "to", "source", "excerpt", "claim", "fact")
	if o == nil {
		return Link{}
	}
	r := p.citation(o)
	return Link{To: o.str("to", true), Source: r.Source, Excerpt: r.Excerpt, Claim: r.Claim, Fact: r.Fact}
}

// citation decodes the provenance keys of an object: the source, and an
// excerpt or a claim (with the fact it rests on); the validator checks
// which of the two the source takes.
func (p *parser) citation(o *object) Ref {
	return Ref{Source: o.str("source", true), Excerpt: o.str("excerpt", false), Claim: o.str("claim", false), Fact: o.str("fact", false)}
}

// links decodes the optional list of links under key.
func (p *parser) links(o *object, key string) []Link {
	var ls []Link
	for i, n := range o.list(key, false) {
		ls = append(ls, p.link(n, index(join(o.path, key), i)))
	}
	return ls
}

// refs decodes the required `sources` list of a node.
func (p *parser) refs(o *object) []Ref {
	var rs []Ref
	for i, n := range o.list("sources", true) {
		ro := p.object(n, index(join(o.path, "sources"), i), "source", "excerpt", "claim", "fact")
		if ro == nil {
			rs = append(rs, Ref{})
			continue
		}
		rs = append(rs, p.citation(ro))
	}
	return rs
}

// sourceTexts reads the file of every source that has a valid `file` path
// and returns its whitespace-collapsed text by source id. Unreadable files
// are reported.
func (p *parser) sourceTexts(d *Dataset, baseDir string) map[string]string {
	texts := map[string]string{}
	for i, s := range d.Sources {
		if s.File == "" || !validFilePath(s.File) {
			continue
		}
		path := join(index("sources", i), "file")
		full := filepath.Join(baseDir, filepath.FromSlash(s.File))
		data, err := os.ReadFile(full)
		switch {
		case errors.Is(err, os.ErrNotExist):
			p.errAt(p.pos[path], path, "source file %s not found (looked for %s)", s.File, full)
			continue
		case err != nil:
			p.errAt(p.pos[path], path, "cannot read source file: %v", err)
			continue
		case !utf8.Valid(data):
			p.errAt(p.pos[path], path, "source file %s is not valid UTF-8", s.File)
			continue
		}
		if _, dup := texts[s.ID]; !dup {
			texts[s.ID] = collapseSpace(string(data))
		}
	}
	return texts
}

// collapseSpace trims s and replaces every run of white space by one space.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// describe names the kind (and, for scalars, the value) of n for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	v := clip(n.Value, 40)
	switch n.ShortTag() {
	case "!!str":
		return fmt.Sprintf("the string %q", v)
	case "!!int":
		return "the integer " + v
	case "!!float":
		return "the number " + v
	case "!!bool":
		return "the boolean " + v
	case "!!timestamp":
		return "the date " + v
	case "!!null":
		return "null"
	}
	return fmt.Sprintf("a value tagged %s", n.Tag)
}

// suggest returns the allowed key closest to key when it is a likely typo.
func suggest(key string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(key), strings.ToLower(a)); d < bestDist {
			best, bestDist = a, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (in bytes; keys
// are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// join appends a key to a field path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index appends a list index to a field path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// parentPath strips the last key or index off a field path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
