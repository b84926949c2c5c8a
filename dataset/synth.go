package dataset

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Synthetic data: the source every node and link cites, its excerpt, and
// the words titles and names are made of (a small fixed vocabulary, so that
// text search and filters find things).
const (
	SynthSource     = "synth"
	SynthExcerpt    = "synthetic"
	SynthPrefix     = "syn-" // of synthetic project, sector, place and milestone slugs
	synthFirstYear  = 2020
	synthLastYear   = 2050
	synthSectors    = 20
	synthAspects    = 8
	synthVocabulary = "innovation harbour green finance digital science education health " +
		"transport culture energy water housing talent trade data port rail " +
		"ocean smart city reform industry ecology"
)

// Synth returns a deterministic synthetic dataset (the same arguments give
// an identical Dataset) holding one plan of the given number of measures,
// for scale tests. It passes Validate. Its shape follows the real plan:
//
//   - one source "synth", cited by every node and link with the excerpt
//     "synthetic";
//   - plan "synth-<measures>-<seed>" (a negative seed is written n<|seed|>)
//     declaring the given number of measures, in 3 sections: about 5% of the
//     measures directly in section 1, about 90% in the 8 aspects of section
//     2, about 5% directly in section 3;
//   - max(5, measures/50) projects, 20 sectors and max(5, measures/200)
//     places, slugs prefixed "syn-"; places form a forest through `within`;
//   - milestones for the years 2020..2050, slug "syn-<year>" (synthetic
//     plans never touch the real datasets' milestones);
//   - measures/10 events, slug "syn-event-<n>", each concerning 1–3
//     measures (and some a project, a place or the plan), drawn last;
//   - each measure links to 0–3 projects, 1–2 sectors, 0–2 places and 1
//     milestone, each project to 1–2 places and 1–2 sectors; targets are
//     drawn with a skew so that some are much more popular than others.
func Synth(measures int, seed int64) *Dataset {
	measures = max(measures, 0)
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed_5eed_5eed_5eed))
	g := &synth{r: r, vocab: strings.Fields(synthVocabulary)}
	seedText := strconv.FormatInt(seed, 10)
	seedSlug := seedText
	if seed < 0 {
		seedSlug = "n" + seedText[1:]
	}

	d := &Dataset{Sources: []Source{{ID: SynthSource, Title: "Synthetic data (seed " + seedText + ")"}}}

	for y := synthFirstYear; y <= synthLastYear; y++ {
		s := strconv.Itoa(y)
		d.Milestones = append(d.Milestones, Milestone{Slug: SynthPrefix + s, Year: y, Label: s, Sources: g.refs()})
	}

	d.Sectors = make([]Sector, synthSectors)
	for i := range d.Sectors {
		g.sectors = append(g.sectors, SynthPrefix+"sector-"+strconv.Itoa(i+1))
		d.Sectors[i] = Sector{
			Slug:    g.sectors[i],
			Name:    "Sector " + strconv.Itoa(i+1) + ": " + g.words(1+r.IntN(2)),
			Sources: g.refs(),
		}
	}

	nPlaces := max(5, measures/200)
	roots := max(1, nPlaces/10)
	placeKinds := [...]string{"district", "area", "zone"}
	d.Places = make([]Place, nPlaces)
	for i := range d.Places {
		g.places = append(g.places, SynthPrefix+"place-"+strconv.Itoa(i+1))
		p := Place{
			Slug:    g.places[i],
			Name:    "Place " + strconv.Itoa(i+1) + ": " + g.words(1),
			Kind:    "region",
			Sources: g.refs(),
		}
		if i >= roots {
			// Within an earlier place: the places form a forest of roots.
			l := g.link(g.places[r.IntN(i)])
			p.Within = &l
			p.Kind = placeKinds[r.IntN(len(placeKinds))]
		}
		d.Places[i] = p
	}

	nProjects := max(5, measures/50)
	projectKinds := [...]string{"science center", "science city", "data center", "free trade zone", "port", "campus"}
	d.Projects = make([]Project, nProjects)
	for i := range d.Projects {
		g.projects = append(g.projects, SynthPrefix+"project-"+strconv.Itoa(i+1))
		d.Projects[i] = Project{
			Slug:    g.projects[i],
			Name:    "Project " + strconv.Itoa(i+1) + ": " + g.words(2),
			Kind:    projectKinds[r.IntN(len(projectKinds))],
			Places:  g.pick(g.places, 1+r.IntN(2)),
			Sectors: g.pick(g.sectors, 1+r.IntN(2)),
			Sources: g.refs(),
		}
	}

	plan := Plan{
		Slug:                 "synth-" + strconv.Itoa(measures) + "-" + seedSlug,
		Title:                "Synthetic plan of " + strconv.Itoa(measures) + " measures (seed " + seedText + ")",
		Issuer:               "Synthetic issuer",
		Summary:              "A synthetic plan for scale tests: " + g.words(4) + ".",
		Goal:                 "A " + g.words(3) + " city",
		GoalYear:             2035,
		DeclaredMeasureCount: measures,
		Tranches:             3,
		Domains:              []string{"innovation", "infrastructure", "ecology"},
		Milestones:           []Link{g.link(SynthPrefix + "2025"), g.link(SynthPrefix + "2035"), g.link(SynthPrefix + "2050")},
		Sources:              g.refs(),
	}
	n1, n3 := measures/20, measures/20
	n2 := measures - n1 - n3
	plan.Sections = []Section{
		{Number: 1, Title: "Section 1: big projects", Sources: g.refs(), Measures: g.measures(1, 0, n1)},
		{Number: 2, Title: "Section 2: detailed measures", Sources: g.refs()},
		{Number: 3, Title: "Section 3: leadership and participation", Sources: g.refs()},
	}
	// Spread section 2 over its aspects unevenly, as the real plan does.
	weights := [synthAspects]int{16, 14, 13, 12, 12, 11, 11, 11} // sum 100
	counts := [synthAspects]int{}
	rest := n2
	for a := range counts {
		counts[a] = n2 * weights[a] / 100
		rest -= counts[a]
	}
	for a := 0; rest > 0; a, rest = (a+1)%synthAspects, rest-1 {
		counts[a]++
	}
	plan.Sections[1].Aspects = make([]Aspect, synthAspects)
	for a := range plan.Sections[1].Aspects {
		plan.Sections[1].Aspects[a] = Aspect{
			Number:   a + 1,
			Title:    "Aspect " + strconv.Itoa(a+1) + ": " + g.words(2),
			Sources:  g.refs(),
			Measures: g.measures(2, a+1, counts[a]),
		}
	}
	plan.Sections[2].Measures = g.measures(3, 0, n3)
	d.Plans = []Plan{plan}
	d.Events = g.events(plan, measures/10)
	return d
}

// events makes n events (drawn after everything else, so that the rest of
// the dataset does not depend on them): each concerns 1–3 measures, and
// some a project, a place or the plan, drawn with the same skew as links;
// dated 2019–2026 to the day, month or year.
func (g *synth) events(p Plan, n int) []Event {
	var codes []string
	for _, sec := range p.Sections {
		for _, m := range sec.Measures {
			codes = append(codes, m.Code)
		}
		for _, a := range sec.Aspects {
			for _, m := range a.Measures {
				codes = append(codes, m.Code)
			}
		}
	}
	if len(codes) == 0 {
		return nil
	}
	out := make([]Event, n)
	for i := range out {
		kind := EventKinds[g.r.IntN(len(EventKinds))]
		date := strconv.Itoa(2019 + g.r.IntN(8))
		switch g.r.IntN(4) {
		case 0:
		case 1:
			date += "-" + twoDigits(1+g.r.IntN(12))
		default:
			date += "-" + twoDigits(1+g.r.IntN(12)) + "-" + twoDigits(1+g.r.IntN(28))
		}
		e := Event{
			Slug:      SynthPrefix + "event-" + strconv.Itoa(i+1),
			Kind:      kind,
			Title:     "Event " + strconv.Itoa(i+1) + ": " + g.words(3),
			Date:      date,
			Confirmed: g.r.IntN(5) > 0,
			Sources:   g.refs(),
		}
		if kind == "TARGET_SET" {
			e.Target = 2025 + 5*g.r.IntN(6)
		}
		for k := 1 + g.r.IntN(3); k > 0; k-- {
			e.Measures = append(e.Measures, p.Slug+"/"+codes[g.skewed(len(codes))])
		}
		slices.Sort(e.Measures)
		e.Measures = slices.Compact(e.Measures)
		if g.r.IntN(3) == 0 {
			e.Projects = []string{g.projects[g.skewed(len(g.projects))]}
		}
		if g.r.IntN(4) == 0 {
			e.Places = []string{g.places[g.skewed(len(g.places))]}
		}
		if g.r.IntN(20) == 0 {
			e.Plans = []string{p.Slug}
		}
		if g.r.IntN(3) == 0 {
			e.Quantities = []Quantity{{Of: g.words(1), Value: float64(g.r.IntN(1000)), Unit: "units"}}
		}
		out[i] = e
	}
	return out
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// synth holds the random state of one Synth call.
type synth struct {
	r     *rand.Rand
	vocab []string
	buf   strings.Builder

	projects, sectors, places []string // slugs
}

func (g *synth) refs() []Ref { return []Ref{{Source: SynthSource, Excerpt: SynthExcerpt}} }

func (g *synth) link(to string) Link {
	return Link{To: to, Source: SynthSource, Excerpt: SynthExcerpt}
}

// words returns n words of the vocabulary joined by spaces.
func (g *synth) words(n int) string {
	g.buf.Reset()
	for i := range n {
		if i > 0 {
			g.buf.WriteByte(' ')
		}
		g.buf.WriteString(g.vocab[g.r.IntN(len(g.vocab))])
	}
	return g.buf.String()
}

// skewed draws an index in [0, n) with a strong bias to small indexes: the
// first tenth of the targets gets almost half of the draws.
func (g *synth) skewed(n int) int {
	u := g.r.Float64()
	return min(int(u*u*u*float64(n)), n-1)
}

// pick links to k (at most 3) distinct targets out of slugs, drawn with a
// skew. It returns nil for k == 0.
func (g *synth) pick(slugs []string, k int) []Link {
	k = min(k, len(slugs), 3)
	if k == 0 {
		return nil
	}
	var chosen [3]int
	ls := make([]Link, 0, k)
	for len(ls) < k {
		i := g.skewed(len(slugs))
		for slices.Contains(chosen[:len(ls)], i) {
			i = (i + 1) % len(slugs) // the next target not chosen yet
		}
		chosen[len(ls)] = i
		ls = append(ls, g.link(slugs[i]))
	}
	return ls
}

// milestone draws the year a measure is due by: mostly the plan's target
// years, otherwise any year.
func (g *synth) milestone() string {
	switch x := g.r.IntN(10); {
	case x < 4:
		return SynthPrefix + "2025"
	case x < 6:
		return SynthPrefix + "2030"
	case x < 7:
		return SynthPrefix + "2035"
	default:
		return SynthPrefix + strconv.Itoa(synthFirstYear+g.r.IntN(synthLastYear-synthFirstYear+1))
	}
}

// measures makes n measures directly in section sec (asp == 0) or in aspect
// asp of it.
func (g *synth) measures(sec, asp, n int) []Measure {
	if n == 0 {
		return nil
	}
	prefix := "S" + strconv.Itoa(sec) + "."
	if asp > 0 {
		prefix += "A" + strconv.Itoa(asp) + "."
	}
	prefix += "M"
	ms := make([]Measure, n)
	for i := range ms {
		code := prefix + strconv.Itoa(i+1)
		m := Measure{
			Code:       code,
			Title:      "Measure " + code + ": " + g.words(2+g.r.IntN(2)),
			Projects:   g.pick(g.projects, g.r.IntN(4)),
			Sectors:    g.pick(g.sectors, 1+g.r.IntN(2)),
			Places:     g.pick(g.places, g.r.IntN(3)),
			Milestones: []Link{g.link(g.milestone())},
			Sources:    g.refs(),
		}
		switch x := g.r.IntN(20); {
		case x < 12:
			m.Status = StatusPlanned
		case x < 17:
			m.Status = StatusInProgress
		case x < 19:
			m.Status = StatusCompleted
		default:
			m.Status = StatusUnknown
		}
		ms[i] = m
	}
	return ms
}
