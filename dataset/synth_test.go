package dataset

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSynthDeterministic(t *testing.T) {
	for _, tc := range []struct {
		measures int
		seed     int64
	}{{0, 1}, {1, 1}, {127, 42}, {5000, -7}} {
		a, b := Synth(tc.measures, tc.seed), Synth(tc.measures, tc.seed)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("Synth(%d, %d) differs between two calls", tc.measures, tc.seed)
		}
	}
	if reflect.DeepEqual(Synth(1000, 1), Synth(1000, 2)) {
		t.Error("Synth(1000, 1) and Synth(1000, 2) are identical; the seed has no effect")
	}
}

func TestSynthValidates(t *testing.T) {
	for _, tc := range []struct {
		measures int
		seed     int64
	}{{0, 0}, {1, 1}, {7, 3}, {20, 9}, {127, 42}, {1000, -5}, {20000, 1}} {
		if err := Synth(tc.measures, tc.seed).Validate(); err != nil {
			t.Errorf("Synth(%d, %d).Validate(): %v", tc.measures, tc.seed, err)
		}
	}
}

func TestSynthShape(t *testing.T) {
	for _, tc := range []struct {
		measures int
		seed     int64
		slug     string
	}{
		{0, 1, "synth-0-1"},
		{127, 42, "synth-127-42"},
		{10000, 1, "synth-10000-1"},
		{3000, -9, "synth-3000-n9"},
	} {
		t.Run(tc.slug, func(t *testing.T) {
			d := Synth(tc.measures, tc.seed)
			n := tc.measures
			seed := strconv.FormatInt(tc.seed, 10)

			if len(d.Sources) != 1 || d.Sources[0].ID != "synth" || d.Sources[0].Title != "Synthetic data (seed "+seed+")" || d.Sources[0].File != "" {
				t.Errorf("sources = %+v", d.Sources)
			}
			if len(d.Plans) != 1 {
				t.Fatalf("%d plans, want 1", len(d.Plans))
			}
			p := d.Plans[0]
			if p.Slug != tc.slug || p.Title != "Synthetic plan of "+strconv.Itoa(n)+" measures (seed "+seed+")" || p.DeclaredMeasureCount != n {
				t.Errorf("plan = %q %q declared %d", p.Slug, p.Title, p.DeclaredMeasureCount)
			}
			if len(p.Sections) != 3 || len(p.Sections[1].Aspects) != 8 || len(p.Sections[0].Aspects)+len(p.Sections[2].Aspects) != 0 {
				t.Fatalf("sections/aspects shape wrong")
			}
			s1, s3 := len(p.Sections[0].Measures), len(p.Sections[2].Measures)
			s2 := len(p.Sections[1].Measures)
			for _, a := range p.Sections[1].Aspects {
				s2 += len(a.Measures)
			}
			if s1+s2+s3 != n {
				t.Errorf("%d measures, want %d", s1+s2+s3, n)
			}
			if n >= 1000 && (s1 < n*4/100 || s1 > n*6/100 || s3 < n*4/100 || s3 > n*6/100 || len(p.Sections[1].Measures) != 0) {
				t.Errorf("spread S1 %d, S2 %d, S3 %d of %d: want ~5%%, ~90%% in aspects, ~5%%", s1, s2, s3, n)
			}

			if got, want := len(d.Projects), max(5, n/50); got != want {
				t.Errorf("%d projects, want %d", got, want)
			}
			if got := len(d.Sectors); got != 20 {
				t.Errorf("%d sectors, want 20", got)
			}
			if got, want := len(d.Places), max(5, n/200); got != want {
				t.Errorf("%d places, want %d", got, want)
			}
			if len(d.Milestones) != 31 {
				t.Errorf("%d milestones, want 31 (2020..2050)", len(d.Milestones))
			}
			for i, m := range d.Milestones {
				if m.Year != 2020+i || m.Slug != SynthPrefix+strconv.Itoa(m.Year) {
					t.Errorf("milestone %d = %q year %d", i, m.Slug, m.Year)
				}
			}
			for _, slug := range synthSlugs(d) {
				if !strings.HasPrefix(slug, "syn-") {
					t.Errorf("slug %q lacks the syn- prefix", slug)
				}
			}
			roots := 0
			for _, pl := range d.Places {
				if pl.Within == nil {
					roots++
				}
			}
			if roots == 0 || roots == len(d.Places) {
				t.Errorf("%d of %d places are roots; want a tree", roots, len(d.Places))
			}

			c := d.Counts()
			if c.Nodes["Measure"] != n || c.Rels["DUE_BY"] != n || c.Rels["PART_OF"] != n {
				t.Errorf("counts: %d measures, %d DUE_BY, %d PART_OF; want %d each", c.Nodes["Measure"], c.Rels["DUE_BY"], c.Rels["PART_OF"], n)
			}
			if c.Nodes["Aspect"] != 8 || c.Rels["HAS_ASPECT"] != 8 || c.Rels["HAS_SECTION"] != 3 || c.Rels["HAS_MILESTONE"] != 3 {
				t.Errorf("counts: %v", c.Rels)
			}
			nonSource := c.Total() - c.Nodes["Source"]
			for _, r := range c.Rels {
				nonSource -= r
			}
			if c.Rels["SUPPORTED_BY"] != nonSource {
				t.Errorf("SUPPORTED_BY = %d, want one per node that is not a source (%d)", c.Rels["SUPPORTED_BY"], nonSource)
			}
			if c.Rels["WITHIN"] != len(d.Places)-roots {
				t.Errorf("WITHIN = %d, want %d", c.Rels["WITHIN"], len(d.Places)-roots)
			}
		})
	}
}

// synthSlugs lists the slugs of the projects, sectors and places of d.
func synthSlugs(d *Dataset) []string {
	var out []string
	for _, p := range d.Projects {
		out = append(out, p.Slug)
	}
	for _, s := range d.Sectors {
		out = append(out, s.Slug)
	}
	for _, p := range d.Places {
		out = append(out, p.Slug)
	}
	return out
}

func TestSynthNoCollisionWithBundled(t *testing.T) {
	real, err := Parse(bundled)
	if err != nil {
		t.Fatal(err)
	}
	taken := map[string]bool{}
	for _, s := range synthSlugs(real) {
		taken[s] = true
	}
	for _, p := range real.Plans {
		taken["plan:"+p.Slug] = true
	}
	d := Synth(20000, 1)
	for _, s := range synthSlugs(d) {
		if taken[s] {
			t.Errorf("synthetic slug %q is also in the bundled dataset", s)
		}
	}
	if taken["plan:"+d.Plans[0].Slug] || real.Sources[0].ID == "synth" {
		t.Error("synthetic plan or source collides with the bundled dataset")
	}
}

func TestSynthFanOut(t *testing.T) {
	const n = 20000
	d := Synth(n, 7)
	hist := func(name string, got, lo, hi int, seen map[int]int) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s: %d links, want %d..%d", name, got, lo, hi)
		}
		seen[got]++
	}
	projects, sectors, places := map[int]int{}, map[int]int{}, map[int]int{}
	popularity := map[string]int{}
	milestones := map[string]int{}
	statuses := map[string]int{}
	words := 0
	for _, m := range allMeasures(d) {
		hist(m.Code+" projects", len(m.Projects), 0, 3, projects)
		hist(m.Code+" sectors", len(m.Sectors), 1, 2, sectors)
		hist(m.Code+" places", len(m.Places), 0, 2, places)
		if len(m.Milestones) != 1 {
			t.Errorf("%s: %d milestones, want 1", m.Code, len(m.Milestones))
		}
		for _, ls := range [][]Link{m.Projects, m.Sectors, m.Places, m.Milestones} {
			seen := map[string]bool{}
			for _, l := range ls {
				if seen[l.To] {
					t.Errorf("%s links twice to %q", m.Code, l.To)
				}
				seen[l.To] = true
				if l.Source != "synth" || l.Excerpt == "" {
					t.Errorf("%s: link %+v lacks the synth source", m.Code, l)
				}
			}
		}
		for _, l := range m.Projects {
			popularity[l.To]++
		}
		milestones[m.Milestones[0].To]++
		statuses[m.Status]++
		prefix := "Measure " + m.Code + ": "
		rest, ok := strings.CutPrefix(m.Title, prefix)
		if w := len(strings.Fields(rest)); !ok || w < 2 || w > 3 {
			t.Errorf("title %q: want %q and two or three words", m.Title, prefix)
		}
		if strings.Contains(m.Title, "innovation") {
			words++
		}
	}
	for _, p := range d.Projects {
		if len(p.Places) < 1 || len(p.Places) > 2 || len(p.Sectors) < 1 || len(p.Sectors) > 2 {
			t.Errorf("project %s: %d places, %d sectors; want 1..2 each", p.Slug, len(p.Places), len(p.Sectors))
		}
	}
	// Every count in each range occurs.
	for k := range 4 {
		if projects[k] == 0 {
			t.Errorf("no measure has %d projects", k)
		}
	}
	if sectors[1] == 0 || sectors[2] == 0 || places[0] == 0 || places[1] == 0 || places[2] == 0 {
		t.Errorf("fan-out not varied: sectors %v, places %v", sectors, places)
	}
	// Skew: the most popular project is linked far more than the average.
	top, total := 0, 0
	for _, c := range popularity {
		top = max(top, c)
		total += c
	}
	if avg := total / len(d.Projects); top < 5*avg {
		t.Errorf("most popular project has %d links, average %d: want a skew", top, avg)
	}
	if milestones[SynthPrefix+"2025"] < n/4 {
		t.Errorf("milestone 2025 has %d of %d measures: want it popular", milestones[SynthPrefix+"2025"], n)
	}
	if len(statuses) != 4 {
		t.Errorf("statuses %v: want all four", statuses)
	}
	if words == 0 {
		t.Error("no title has the vocabulary word \"innovation\"")
	}
}

// allMeasures lists the measures of every plan of d.
func allMeasures(d *Dataset) []Measure {
	var out []Measure
	for _, p := range d.Plans {
		for _, s := range p.Sections {
			out = append(out, s.Measures...)
			for _, a := range s.Aspects {
				out = append(out, a.Measures...)
			}
		}
	}
	return out
}

func TestSynthFast(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	start := time.Now()
	d := Synth(100000, 1)
	el := time.Since(start)
	t.Logf("Synth(100000, 1): %v", el)
	if len(allMeasures(d)) != 100000 {
		t.Errorf("%d measures", len(allMeasures(d)))
	}
	if el > 2*time.Second {
		t.Errorf("Synth(100000, 1) took %v, want well under 2s", el)
	}
}

func BenchmarkSynth100k(b *testing.B) {
	for b.Loop() {
		Synth(100000, 1)
	}
}

func BenchmarkValidateSynth100k(b *testing.B) {
	d := Synth(100000, 1)
	for b.Loop() {
		if err := d.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCountsSynth100k(b *testing.B) {
	d := Synth(100000, 1)
	for b.Loop() {
		d.Counts()
	}
}
