package dataset

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shenzhenplan/kgapi/plan"
)

// Limits of the format.
const (
	minYear       = 1900
	maxYear       = 2200
	maxExcerpt    = 300 // characters
	slugPattern   = plan.SlugPattern
	isoDateLayout = "2006-01-02"
)

var (
	slugRE     = regexp.MustCompile(slugPattern)
	codeRE     = regexp.MustCompile(plan.MeasureCodePattern)
	dateRE     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	urlRE      = regexp.MustCompile(`^https?://[^\s]+$`)
	filePathRE = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
)

// Validate checks an in-memory dataset against the plankg/v1 rules: ids and
// slugs, uniqueness, measure codes, links and sources, years, dates, numbers,
// statuses and text. It cannot check what only the file has (unknown keys,
// YAML types, the encoding) nor, since it reads no files, that excerpts occur
// in their sources' files; Parse checks all of that too. Problems carry field
// paths but no file or line. It returns nil or a *ValidationError.
func (d *Dataset) Validate() error {
	v := newValidator(d, nil)
	v.run()
	if len(v.probs) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.probs}
}

// validator checks the rules on a Dataset's values.
type validator struct {
	d     *Dataset
	texts map[string]string // source id → whitespace-collapsed text; nil: excerpts not checked

	// Set by the parser: the file, the line of each field path, and the
	// paths it already reported (problems at or under them are not repeated).
	file     string
	pos      map[string]int
	suppress map[string]bool

	probs []Problem

	// slug → path of its first definition, per kind.
	sources, plans, projects, sectors, places, milestones, events map[string]string
	// The same for each kind whose format derives from the model.
	records map[plan.Kind]map[string]string
	// source id → the source (its first definition).
	bySource map[string]*Source
	// measure code → the slugs of the plans that have it.
	codes map[string][]string
}

func newValidator(d *Dataset, texts map[string]string) *validator {
	return &validator{d: d, texts: texts}
}

func (v *validator) errf(path, format string, args ...any) {
	for p := path; p != ""; p = parentPath(p) {
		if v.suppress[p] {
			return
		}
	}
	v.probs = append(v.probs, Problem{File: v.file, Line: v.line(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// line is the line of path, or of its nearest ancestor with a known line.
func (v *validator) line(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := v.pos[p]; ok {
			return l
		}
	}
	return 0
}

// where describes the location of path for "first defined at" messages.
func (v *validator) where(path string) string {
	if l := v.line(path); l > 0 {
		return fmt.Sprintf("line %d, %s", l, path)
	}
	return path
}

func (v *validator) run() {
	d := v.d
	if len(d.Sources) == 0 {
		v.errf("sources", "at least one source is required")
	}
	if len(d.Plans) == 0 {
		v.errf("plans", "at least one plan is required")
	}

	// Identifiers first, so that links can be resolved.
	v.sources = make(map[string]string, len(d.Sources))
	v.bySource = make(map[string]*Source, len(d.Sources))
	for i := range d.Sources {
		v.define(v.sources, "source id", join(index("sources", i), "id"), d.Sources[i].ID)
		if _, dup := v.bySource[d.Sources[i].ID]; !dup {
			v.bySource[d.Sources[i].ID] = &d.Sources[i]
		}
	}
	v.plans = make(map[string]string, len(d.Plans))
	for i := range d.Plans {
		v.define(v.plans, "plan slug", join(index("plans", i), "slug"), d.Plans[i].Slug)
	}
	v.projects = make(map[string]string, len(d.Projects))
	for i := range d.Projects {
		v.define(v.projects, "project slug", join(index("projects", i), "slug"), d.Projects[i].Slug)
	}
	v.sectors = make(map[string]string, len(d.Sectors))
	for i := range d.Sectors {
		v.define(v.sectors, "sector slug", join(index("sectors", i), "slug"), d.Sectors[i].Slug)
	}
	v.places = make(map[string]string, len(d.Places))
	for i := range d.Places {
		v.define(v.places, "place slug", join(index("places", i), "slug"), d.Places[i].Slug)
	}
	v.milestones = make(map[string]string, len(d.Milestones))
	for i := range d.Milestones {
		v.define(v.milestones, "milestone slug", join(index("milestones", i), "slug"), d.Milestones[i].Slug)
	}

	for i := range d.Sources {
		v.source(index("sources", i), &d.Sources[i])
	}
	for i := range d.Plans {
		v.plan(index("plans", i), &d.Plans[i])
	}
	for i := range d.Projects {
		v.project(index("projects", i), &d.Projects[i])
	}
	for i := range d.Sectors {
		s := &d.Sectors[i]
		path := index("sectors", i)
		v.text(join(path, "name"), s.Name, true)
		v.text(join(path, "nameZh"), s.NameZh, false)
		v.refs(join(path, "sources"), s.Sources)
	}
	for i := range d.Places {
		v.place(index("places", i), &d.Places[i])
	}
	for i := range d.Milestones {
		v.milestone(index("milestones", i), &d.Milestones[i])
	}
	v.allEvents()
	v.allRecords()
	v.cycles()
}

// define checks a slug and records it in seen, reporting duplicates.
func (v *validator) define(seen map[string]string, what, path, slug string) {
	switch {
	case slug == "":
		v.errf(path, "must not be empty")
		return
	case !slugRE.MatchString(slug):
		v.errf(path, "invalid %s %q: must match %s", what, slug, slugPattern)
	}
	if first, dup := seen[slug]; dup {
		v.errf(path, "duplicate %s %q (first defined at %s)", what, slug, v.where(first))
		return
	}
	seen[slug] = path
}

func (v *validator) source(path string, s *Source) {
	v.text(join(path, "title"), s.Title, true)
	v.text(join(path, "publisher"), s.Publisher, false)
	if s.URL != "" && !urlRE.MatchString(s.URL) {
		v.errf(join(path, "url"), "invalid url %q: must be http:// or https:// without white space", s.URL)
	} else {
		v.chars(join(path, "url"), s.URL)
	}
	if s.PublishedOn != "" {
		v.date(join(path, "publishedOn"), s.PublishedOn)
	}
	if s.File != "" && !validFilePath(s.File) {
		v.errf(join(path, "file"), "invalid file path %q: must be relative, without \"..\", of the characters A-Z a-z 0-9 . _ / -", s.File)
	}
	switch s.Authority {
	case "", AuthorityOfficial, AuthorityMainstream, AuthorityRepost:
	default:
		v.errf(join(path, "authority"), "invalid authority %q: must be one of %s, %s, %s", s.Authority, AuthorityOfficial, AuthorityMainstream, AuthorityRepost)
	}
	if s.Web() && s.URL == "" {
		// A web page is cited by claims in our own words; the reader must be
		// able to find it.
		v.errf(join(path, "url"), "a web page (a source with an authority and no file, cited by claims) needs its url")
	}
}

// validFilePath reports whether f is a relative path without "..".
func validFilePath(f string) bool {
	if !filePathRE.MatchString(f) || strings.HasPrefix(f, "/") {
		return false
	}
	for _, part := range strings.Split(f, "/") {
		if part == ".." {
			return false
		}
	}
	return true
}

func (v *validator) plan(path string, pl *Plan) {
	v.text(join(path, "title"), pl.Title, true)
	v.text(join(path, "titleZh"), pl.TitleZh, false)
	v.text(join(path, "issuer"), pl.Issuer, false)
	v.text(join(path, "summary"), pl.Summary, false)
	v.text(join(path, "goal"), pl.Goal, false)
	if pl.GoalYear != 0 {
		v.year(join(path, "goalYear"), pl.GoalYear)
	}
	if pl.Tranches < 0 {
		v.errf(join(path, "tranches"), "must be a positive integer, got %d", pl.Tranches)
	}
	seenDomain := map[string]string{}
	for i, dom := range pl.Domains {
		dp := index(join(path, "domains"), i)
		v.text(dp, dom, true)
		if first, dup := seenDomain[dom]; dup && dom != "" {
			v.errf(dp, "duplicate domain %q (first at %s)", dom, v.where(first))
		} else {
			seenDomain[dom] = dp
		}
	}
	if pl.Parent != nil {
		pp := join(path, "parent")
		v.link(pp, *pl.Parent, "plan", v.plans)
		if pl.Parent.To != "" && pl.Parent.To == pl.Slug {
			v.errf(join(pp, "to"), "plan %q cannot be its own parent", pl.Slug)
		}
	}
	v.links(join(path, "milestones"), pl.Milestones, "milestone", v.milestones)
	v.refs(join(path, "sources"), pl.Sources)

	codes := map[string]string{} // measure code → path of its first use
	measures := 0
	secNums := newNumbering(v, "section")
	for i := range pl.Sections {
		s := &pl.Sections[i]
		sp := index(join(path, "sections"), i)
		secOK := secNums.check(join(sp, "number"), i, s.Number)
		v.text(join(sp, "title"), s.Title, true)
		v.text(join(sp, "summary"), s.Summary, false)
		v.refs(join(sp, "sources"), s.Sources)
		for j := range s.Measures {
			v.measure(index(join(sp, "measures"), j), &s.Measures[j], s.Number, 0, secOK, j+1, codes)
		}
		measures += len(s.Measures)
		aspNums := newNumbering(v, "aspect")
		for j := range s.Aspects {
			a := &s.Aspects[j]
			ap := index(join(sp, "aspects"), j)
			aspOK := aspNums.check(join(ap, "number"), j, a.Number)
			v.text(join(ap, "title"), a.Title, true)
			v.text(join(ap, "summary"), a.Summary, false)
			v.refs(join(ap, "sources"), a.Sources)
			for k := range a.Measures {
				v.measure(index(join(ap, "measures"), k), &a.Measures[k], s.Number, a.Number, secOK && aspOK, k+1, codes)
			}
			measures += len(a.Measures)
		}
	}
	switch {
	case pl.DeclaredMeasureCount < 0:
		v.errf(join(path, "declaredMeasureCount"), "must be a positive integer, got %d", pl.DeclaredMeasureCount)
	case pl.DeclaredMeasureCount > 0 && pl.DeclaredMeasureCount < measures:
		v.errf(join(path, "declaredMeasureCount"), "declares %d measures but the plan lists %d", pl.DeclaredMeasureCount, measures)
	}
}

// numbering checks the numbers of the sections of a plan or the aspects of
// a section: positive, unique, and 1..n in order.
type numbering struct {
	v         *validator
	what      string
	seen      map[int]string
	outOfTurn bool // a sequence problem was reported already
}

func newNumbering(v *validator, what string) *numbering {
	return &numbering{v: v, what: what, seen: map[int]string{}}
}

// check reports problems with number n at list position i and returns
// whether n is usable to check measure codes.
func (nb *numbering) check(path string, i, n int) bool {
	if n <= 0 {
		nb.v.errf(path, "%s number must be a positive integer, got %d", nb.what, n)
		return false
	}
	if first, dup := nb.seen[n]; dup {
		nb.v.errf(path, "duplicate %s number %d (first at %s)", nb.what, n, nb.v.where(first))
		return false
	}
	nb.seen[n] = path
	if n != i+1 && !nb.outOfTurn {
		nb.outOfTurn = true
		nb.v.errf(path, "%s numbers must run 1..n in order: expected %d here, got %d", nb.what, i+1, n)
	}
	return true
}

// measure checks a measure directly in section sec (asp == 0) or in aspect
// asp of it; nth is its 1-based position there. numsOK says whether sec and
// asp are valid numbers to compare its code with.
func (v *validator) measure(path string, m *Measure, sec, asp int, numsOK bool, nth int, codes map[string]string) {
	v.code(join(path, "code"), m.Code, sec, asp, numsOK, nth)
	if m.Code != "" {
		if first, dup := codes[m.Code]; dup {
			v.errf(join(path, "code"), "duplicate measure code %q in this plan (first at %s)", m.Code, v.where(first))
		} else {
			codes[m.Code] = join(path, "code")
		}
	}
	v.text(join(path, "title"), m.Title, true)
	v.text(join(path, "titleZh"), m.TitleZh, false)
	v.text(join(path, "description"), m.Description, false)
	switch m.Status {
	case StatusPlanned, StatusInProgress, StatusCompleted, StatusUnknown:
	default:
		v.errf(join(path, "status"), "invalid status %q: must be one of %s, %s, %s, %s",
			m.Status, StatusPlanned, StatusInProgress, StatusCompleted, StatusUnknown)
	}
	v.links(join(path, "projects"), m.Projects, "project", v.projects)
	v.links(join(path, "sectors"), m.Sectors, "sector", v.sectors)
	v.links(join(path, "places"), m.Places, "place", v.places)
	v.links(join(path, "milestones"), m.Milestones, "milestone", v.milestones)
	v.refs(join(path, "sources"), m.Sources)
}

// code checks a measure code against its position.
func (v *validator) code(path, code string, sec, asp int, numsOK bool, nth int) {
	if code == "" {
		v.errf(path, "must not be empty")
		return
	}
	sm := codeRE.FindStringSubmatch(code)
	if sm == nil {
		v.errf(path, "invalid measure code %q: must be S<section>.M<n> or S<section>.A<aspect>.M<n>", code)
		return
	}
	if !numsOK {
		return
	}
	want := "S" + strconv.Itoa(sec)
	if asp > 0 {
		want += ".A" + strconv.Itoa(asp)
	}
	want += ".M" + strconv.Itoa(nth)
	switch {
	case sm[1] != strconv.Itoa(sec):
		v.errf(path, "measure code %q names section %s but the measure is in section %d (expected %s)", code, sm[1], sec, want)
	case asp == 0 && sm[2] != "":
		v.errf(path, "measure code %q names aspect %s but the measure is directly in section %d (expected %s)", code, sm[2], sec, want)
	case asp > 0 && sm[2] == "":
		v.errf(path, "measure code %q lacks the aspect: the measure is in aspect %d of section %d (expected %s)", code, asp, sec, want)
	case asp > 0 && sm[2] != strconv.Itoa(asp):
		v.errf(path, "measure code %q names aspect %s but the measure is in aspect %d (expected %s)", code, sm[2], asp, want)
	case sm[3] != strconv.Itoa(nth):
		v.errf(path, "measure code %q out of sequence: this is measure %d here (expected %s)", code, nth, want)
	}
}

func (v *validator) project(path string, p *Project) {
	v.text(join(path, "name"), p.Name, true)
	v.text(join(path, "nameZh"), p.NameZh, false)
	v.text(join(path, "kind"), p.Kind, false)
	v.text(join(path, "description"), p.Description, false)
	v.links(join(path, "places"), p.Places, "place", v.places)
	v.links(join(path, "sectors"), p.Sectors, "sector", v.sectors)
	v.links(join(path, "milestones"), p.Milestones, "milestone", v.milestones)
	v.refs(join(path, "sources"), p.Sources)
}

func (v *validator) place(path string, p *Place) {
	v.text(join(path, "name"), p.Name, true)
	v.text(join(path, "nameZh"), p.NameZh, false)
	v.text(join(path, "kind"), p.Kind, false)
	if p.Within != nil {
		wp := join(path, "within")
		v.link(wp, *p.Within, "place", v.places)
		if p.Within.To != "" && p.Within.To == p.Slug {
			v.errf(join(wp, "to"), "place %q cannot lie within itself", p.Slug)
		}
	}
	v.refs(join(path, "sources"), p.Sources)
}

func (v *validator) milestone(path string, m *Milestone) {
	yearOK := v.year(join(path, "year"), m.Year)
	if m.Date != "" {
		if t, ok := v.date(join(path, "date"), m.Date); ok && yearOK && t.Year() != m.Year {
			v.errf(join(path, "date"), "date %s is not in the milestone's year %d", m.Date, m.Year)
		}
	}
	v.text(join(path, "label"), m.Label, true)
	v.refs(join(path, "sources"), m.Sources)
}

// year checks that y is a possible year.
func (v *validator) year(path string, y int) bool {
	if y < minYear || y > maxYear {
		v.errf(path, "impossible year %d: must be within %d..%d", y, minYear, maxYear)
		return false
	}
	return true
}

// date checks an ISO date YYYY-MM-DD.
func (v *validator) date(path, s string) (time.Time, bool) {
	if !dateRE.MatchString(s) {
		v.errf(path, "invalid date %q: must be an ISO date YYYY-MM-DD", s)
		return time.Time{}, false
	}
	t, err := time.Parse(isoDateLayout, s)
	if err != nil {
		v.errf(path, "invalid date %q: no such day", s)
		return time.Time{}, false
	}
	if !v.year(path, t.Year()) {
		return time.Time{}, false
	}
	return t, true
}

// text checks a free-text field: present when required, not blank, no
// control characters.
func (v *validator) text(path, s string, required bool) {
	if s == "" {
		if required {
			v.errf(path, "must not be empty")
		}
		return
	}
	if strings.TrimSpace(s) == "" {
		v.errf(path, "must not be blank")
		return
	}
	v.chars(path, s)
}

// chars reports invalid UTF-8 and control characters other than \t \n \r.
func (v *validator) chars(path, s string) {
	if !utf8.ValidString(s) {
		v.errf(path, "invalid UTF-8")
		return
	}
	for _, r := range s {
		if badControl(r) {
			v.errf(path, "control character %U is not allowed", r)
			return
		}
	}
}

// links checks a list of links to nodes of one kind.
func (v *validator) links(path string, ls []Link, kind string, targets map[string]string) {
	for i := range ls {
		v.link(index(path, i), ls[i], kind, targets)
	}
}

func (v *validator) link(path string, l Link, kind string, targets map[string]string) {
	switch _, ok := targets[l.To]; {
	case l.To == "":
		v.errf(join(path, "to"), "must not be empty")
	case !ok:
		v.errf(join(path, "to"), "unknown %s %q", kind, l.To)
	}
	v.ref(path, l.Ref())
}

// refs checks a node's required list of source entries.
func (v *validator) refs(path string, rs []Ref) {
	if len(rs) == 0 {
		v.errf(path, "at least one source entry is required")
	}
	for i := range rs {
		v.ref(index(path, i), rs[i])
	}
}

// factRE is the id of a fact in the list of public facts
// (../shared/sources/public-facts.md): F1, F2, ….
var factRE = regexp.MustCompile(`^F[1-9][0-9]*$`)

// ref checks the provenance of the entry or link at path: a known source,
// and an excerpt of it when it is a bundled file, or a claim in our own
// words (with the fact it rests on) when it is a web page.
func (v *validator) ref(path string, r Ref) {
	source, excerpt := r.Source, r.Excerpt
	_, known := v.sources[source]
	switch {
	case source == "":
		v.errf(join(path, "source"), "must not be empty")
	case !known:
		v.errf(join(path, "source"), "unknown source %q", source)
	}
	if r.Fact != "" && !factRE.MatchString(r.Fact) {
		v.errf(join(path, "fact"), "invalid fact id %q: must be F<number>, the id of a row of the public facts", r.Fact)
	}
	if s := v.bySource[source]; s != nil && s.Web() {
		switch {
		case excerpt != "":
			v.errf(join(path, "excerpt"), "source %q is a web page: cite it by a claim in our own words (claim), not by an excerpt", source)
		case strings.TrimSpace(r.Claim) == "":
			v.errf(join(path, "claim"), "source %q is a web page: a claim in our own words is required", source)
		default:
			v.chars(join(path, "claim"), r.Claim)
		}
		return
	}
	if known && (r.Claim != "" || r.Fact != "") {
		key := "claim"
		if r.Claim == "" {
			key = "fact"
		}
		v.errf(join(path, key), "source %q is not a web page (it has a file, or no authority): cite it by a verbatim excerpt, not a claim", source)
	}
	ep := join(path, "excerpt")
	if strings.TrimSpace(excerpt) == "" {
		v.errf(ep, "excerpt must not be empty")
		return
	}
	if n := utf8.RuneCountInString(excerpt); n > maxExcerpt {
		v.errf(ep, "excerpt too long: %d characters, at most %d", n, maxExcerpt)
	}
	v.chars(ep, excerpt)
	if text, ok := v.texts[source]; ok && !strings.Contains(text, collapseSpace(excerpt)) {
		v.errf(ep, "excerpt %q does not occur in the file of source %q", clip(excerpt, 80), source)
	}
}

// cycles reports cycles of plan parents and of place containment.
func (v *validator) cycles() {
	d := v.d
	plans := make([]string, len(d.Plans))
	parent := make([]string, len(d.Plans))
	for i, p := range d.Plans {
		plans[i] = p.Slug
		if p.Parent != nil {
			parent[i] = p.Parent.To
		}
	}
	v.cycle(plans, parent, func(i int) string { return join(join(index("plans", i), "parent"), "to") }, "parent cycle")

	places := make([]string, len(d.Places))
	within := make([]string, len(d.Places))
	for i, p := range d.Places {
		places[i] = p.Slug
		if p.Within != nil {
			within[i] = p.Within.To
		}
	}
	v.cycle(places, within, func(i int) string { return join(join(index("places", i), "within"), "to") }, "within cycle")
}

// cycle finds the cycles of the graph where node i (named slugs[i]) points
// to the node named next[i] ("" for none) and reports each once, at its
// member listed first. Self-loops are reported elsewhere.
func (v *validator) cycle(slugs, next []string, pathOf func(int) string, what string) {
	idx := make(map[string]int, len(slugs))
	for i, s := range slugs {
		if _, dup := idx[s]; !dup && s != "" {
			idx[s] = i
		}
	}
	succ := func(i int) int {
		j, ok := idx[next[i]]
		if !ok || j == i {
			return -1
		}
		return j
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, len(slugs))
	for i := range slugs {
		var walk []int
		j := i
		for j >= 0 && state[j] == unseen {
			state[j] = onPath
			walk = append(walk, j)
			j = succ(j)
		}
		if j >= 0 && state[j] == onPath {
			start := 0
			for walk[start] != j {
				start++
			}
			cyc := walk[start:]
			first := 0
			for k, n := range cyc {
				if n < cyc[first] {
					first = k
				}
			}
			names := make([]string, 0, len(cyc)+1)
			for k := range cyc {
				names = append(names, strconv.Quote(slugs[cyc[(first+k)%len(cyc)]]))
			}
			names = append(names, names[0])
			v.errf(pathOf(cyc[first]), "%s: %s", what, strings.Join(names, " -> "))
		}
		for _, n := range walk {
			state[n] = done
		}
	}
}

// clip shortens s to at most n characters for messages.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
