package dataset

import (
	"math"
	"slices"
	"strings"

	"github.com/shenzhenplan/kgapi/plan"
)

// allEvents checks every event: its slug, kind, date, target, quantities,
// what it concerns and its sources.
func (v *validator) allEvents() {
	d := v.d
	v.events = make(map[string]string, len(d.Events))
	for i := range d.Events {
		v.define(v.events, "event slug", join(index("events", i), "slug"), d.Events[i].Slug)
	}
	v.codes = map[string][]string{}
	for _, pl := range d.Plans {
		for _, sec := range pl.Sections {
			for _, m := range sec.Measures {
				v.codes[m.Code] = append(v.codes[m.Code], pl.Slug)
			}
			for _, a := range sec.Aspects {
				for _, m := range a.Measures {
					v.codes[m.Code] = append(v.codes[m.Code], pl.Slug)
				}
			}
		}
	}
	for i := range d.Events {
		v.event(index("events", i), &d.Events[i])
	}
}

func (v *validator) event(path string, e *Event) {
	if e.Kind != "" && !slices.Contains(EventKinds, e.Kind) {
		v.errf(join(path, "kind"), "invalid event kind %q: must be one of %s", e.Kind, strings.Join(EventKinds, ", "))
	}
	v.text(join(path, "title"), e.Title, true)
	v.text(join(path, "dateNote"), e.DateNote, false)
	if e.Date != "" {
		if first, _, _, err := plan.DateSpan(e.Date); err != nil {
			v.errf(join(path, "date"), "invalid date %q: must be YYYY, YYYY-MM or YYYY-MM-DD (only as precise as the sources)", e.Date)
		} else {
			v.year(join(path, "date"), atoiPrefix(first))
		}
	}
	switch {
	case e.Kind == "TARGET_SET" && e.Target == 0:
		v.errf(join(path, "target"), "a TARGET_SET event needs target: the year the target is for")
	case e.Target != 0 && e.Kind != "TARGET_SET" && e.Kind != "DELAYED":
		v.errf(join(path, "target"), "only TARGET_SET and DELAYED events have a target year")
	}
	for i, q := range e.Quantities {
		qp := index(join(path, "quantities"), i)
		v.text(join(qp, "of"), q.Of, true)
		v.text(join(qp, "unit"), q.Unit, true)
		if math.IsNaN(q.Value) || math.IsInf(q.Value, 0) {
			v.errf(join(qp, "value"), "must be a finite number")
		}
	}
	if len(e.Measures)+len(e.Projects)+len(e.Places)+len(e.Plans) == 0 {
		v.errf(path, "an event must concern something: give measures, projects, places or plans")
	}
	for i, code := range e.Measures {
		v.eventMeasure(index(join(path, "measures"), i), code)
	}
	for key, targets := range map[string]map[string]string{"projects": v.projects, "places": v.places, "plans": v.plans} {
		var slugs []string
		switch key {
		case "projects":
			slugs = e.Projects
		case "places":
			slugs = e.Places
		case "plans":
			slugs = e.Plans
		}
		for i, s := range slugs {
			if _, ok := targets[s]; !ok {
				v.errf(index(join(path, key), i), "unknown %s %q", strings.TrimSuffix(key, "s"), s)
			}
		}
	}
	v.refs(join(path, "sources"), e.Sources)
	if e.Confirmed && len(e.Sources) > 0 && !v.firmlySupported(e.Sources) {
		v.errf(join(path, "confirmed"), "event %q is marked confirmed but only reposts support it: cite an official or mainstream source, or set confirmed: false", e.Slug)
	}
}

// eventMeasure checks a measure an event concerns: a code that one plan
// has, or "<plan slug>/<code>".
func (v *validator) eventMeasure(path, ref string) {
	if pl, code, ok := strings.Cut(ref, "/"); ok {
		if !slices.Contains(v.codes[code], pl) {
			v.errf(path, "unknown measure %q: plan %q has no measure %s", ref, pl, code)
		}
		return
	}
	switch plans := v.codes[ref]; len(plans) {
	case 0:
		v.errf(path, "unknown measure code %q", ref)
	case 1:
	default:
		v.errf(path, "measure code %q is in several plans (%s): write <plan slug>/%s", ref, strings.Join(plans, ", "), ref)
	}
}

// firmlySupported reports whether a bundled source or an official or
// mainstream page is among the citations.
func (v *validator) firmlySupported(rs []Ref) bool {
	for _, r := range rs {
		s := v.bySource[r.Source]
		if s != nil && (!s.Web() || s.Authority == AuthorityOfficial || s.Authority == AuthorityMainstream) {
			return true
		}
	}
	return false
}

// MeasureKeys maps each way an event may name a measure — its code when
// one plan has it, and "<plan slug>/<code>" — to the measure's key
// "<plan slug>/<code>".
func (d *Dataset) MeasureKeys() map[string]string {
	out := map[string]string{}
	plans := map[string]int{}
	add := func(planSlug string, ms []Measure) {
		for _, m := range ms {
			key := planSlug + "/" + m.Code
			out[key] = key
			out[m.Code] = key
			plans[m.Code]++
		}
	}
	for _, pl := range d.Plans {
		for _, sec := range pl.Sections {
			add(pl.Slug, sec.Measures)
			for _, a := range sec.Aspects {
				add(pl.Slug, a.Measures)
			}
		}
	}
	for code, n := range plans {
		if n > 1 {
			delete(out, code) // ambiguous: name it with its plan
		}
	}
	return out
}

func atoiPrefix(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}
