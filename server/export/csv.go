package export

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

// CSVHeader is the header row of measures.csv.
var CSVHeader = []string{
	"code", "title", "title_zh", "status", "section", "section_title", "aspect", "aspect_title",
	"projects", "sectors", "places", "milestone_years", "sources", "id",
}

// multiSep joins the values of a multi-valued cell. Slugs and source ids
// never contain it, so a cell splits back unambiguously.
const multiSep = "; "

// serveCSV answers GET /export/{plan}/{name}.csv with the table build
// makes of the plan's export (?bom=1: for Excel).
func (h *handler) serveCSV(w http.ResponseWriter, r *http.Request, slug, name string, build func(*store.PlanExport, bool) ([]byte, error)) {
	e := h.loadPlan(w, r, slug)
	if e == nil {
		return
	}
	body, err := build(e, r.URL.Query().Get("bom") == "1")
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+slug+`-`+name+`.csv"`)
	serveBody(w, r, "text/csv; charset=utf-8", body)
}

// writeCSV writes header and rows as RFC 4180 CSV (quoted where needed,
// CRLF line ends); excel starts the file with a UTF-8 byte order mark and
// defuses cells a spreadsheet would run as formulas.
func writeCSV(header []string, rows [][]string, excel bool) ([]byte, error) {
	var buf bytes.Buffer
	if excel {
		buf.WriteString("\uFEFF")
	}
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	if err := cw.Write(header); err != nil {
		return nil, err
	}
	for _, row := range rows {
		if excel {
			for i, c := range row {
				row[i] = defuseFormula(c)
			}
		}
		if err := cw.Write(row); err != nil {
			return nil, err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MeasuresCSV writes one row per measure of the export, in code order, after
// the header row (RFC 4180: quoted where needed, CRLF line ends).
//
// Cells: section and aspect are numbers (aspect empty when the measure has
// none); projects, sectors and places are slugs, milestone_years years and
// sources source ids, each sorted and joined with "; "; id is the measure's
// global id (GraphQL node(id:), and ${base}/id/<id>).
//
// excel starts the file with a UTF-8 byte order mark, so that Excel reads
// the Chinese titles right, and neutralises cells that Excel would run as
// formulas (starting with =, +, -, @, tab or carriage return) with a
// leading apostrophe.
func MeasuresCSV(e *store.PlanExport, excel bool) ([]byte, error) {
	rows := make([][]string, 0, len(e.Measures))
	sections := map[plan.ID]*plan.Section{}
	for _, s := range e.Sections {
		sections[s.ID] = s
	}
	aspects := map[plan.ID]*plan.Aspect{}
	for _, a := range e.Aspects {
		aspects[a.ID] = a
	}
	for _, m := range e.Measures {
		sectionTitle, aspect, aspectTitle := "", "", ""
		if s := sections[m.SectionID]; s != nil {
			sectionTitle = s.Title
		}
		if m.AspectID != nil {
			if m.AspectNumber > 0 {
				aspect = strconv.Itoa(m.AspectNumber)
			}
			if a := aspects[*m.AspectID]; a != nil {
				aspectTitle = a.Title
			}
		}
		section := ""
		if m.SectionNumber > 0 {
			section = strconv.Itoa(m.SectionNumber)
		}
		row := []string{
			m.Code, m.Title, deref(m.TitleZh), string(m.Status), section, sectionTitle, aspect, aspectTitle,
			joinKeys(e, m.ID, plan.RelTypeAdvances, slugOf),
			joinKeys(e, m.ID, plan.RelTypeInSector, slugOf),
			joinKeys(e, m.ID, plan.RelTypeLocatedIn, slugOf),
			joinKeys(e, m.ID, plan.RelTypeDueBy, yearOf),
			joinKeys(e, m.ID, plan.RelTypeSupportedBy, func(n plan.Node) string { return n.NodeID().Key() }),
			m.ID.Global(),
		}
		rows = append(rows, row)
	}
	return writeCSV(CSVHeader, rows, excel)
}

// joinKeys is the sorted, distinct keys of the nodes that from links to.
func joinKeys(e *store.PlanExport, from plan.ID, typ string, key func(plan.Node) string) string {
	seen := map[string]bool{}
	var keys []string
	for _, l := range e.Out(from, typ) {
		n := e.Node(l.To)
		if n == nil {
			continue
		}
		if k := key(n); k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		// Years sort as numbers, everything else as text.
		a, errA := strconv.Atoi(keys[i])
		b, errB := strconv.Atoi(keys[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return keys[i] < keys[j]
	})
	return strings.Join(keys, multiSep)
}

func slugOf(n plan.Node) string {
	switch n := n.(type) {
	case *plan.Project:
		return n.Slug
	case *plan.Sector:
		return n.Slug
	case *plan.Place:
		return n.Slug
	case *plan.Milestone:
		return n.Slug
	}
	return n.NodeID().Key()
}

func yearOf(n plan.Node) string {
	if m, ok := n.(*plan.Milestone); ok && m.Year != 0 {
		return strconv.Itoa(m.Year)
	}
	return ""
}

// defuseFormula prefixes an apostrophe to a cell that a spreadsheet would
// evaluate (OWASP's advice against CSV injection).
func defuseFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// EventsCSVHeader is the header row of events.csv.
var EventsCSVHeader = []string{
	"slug", "date", "precision", "date_note", "kind", "title", "confirmed", "target_year", "quantities",
	"measures", "projects", "places", "plans", "source_urls", "facts", "sources", "id",
}

// EventsCSV writes one row per event of the export (those that concern the
// plan, its parent, its measures, projects or places), by date (the first
// day the date stands for) then slug, after the header row; RFC 4180 and
// excel as in MeasuresCSV.
//
// Cells: date as precise as the sources allow (2020, 2020-04, 2020-04-27)
// and precision DAY, MONTH or YEAR; confirmed true or false; target_year
// empty unless a target is set; quantities "<of>: <value> <unit>";
// measures are codes, projects, places and plans slugs; source_urls the
// pages' URLs, facts the public-fact ids (F20) and sources the source ids
// of the event's citations; multi-valued cells sorted and joined with "; ".
// id is the event's global id.
func EventsCSV(e *store.PlanExport, excel bool) ([]byte, error) {
	rows := make([][]string, 0, len(e.Events))
	for _, ev := range e.Events {
		target := ""
		if ev.TargetYear != nil {
			target = strconv.Itoa(*ev.TargetYear)
		}
		qs := make([]string, len(ev.Quantities))
		for i, q := range ev.Quantities {
			qs[i] = q.Of + ": " + strconv.FormatFloat(q.Value, 'f', -1, 64) + " " + q.Unit
		}
		var urls, facts []string
		for _, l := range e.Out(ev.ID, plan.RelTypeSupportedBy) {
			if s, ok := e.Node(l.To).(*plan.Source); ok && s.URL != nil && *s.URL != "" {
				urls = append(urls, *s.URL)
			}
			if l.Fact != "" {
				facts = append(facts, l.Fact)
			}
		}
		row := []string{
			ev.Slug, ev.Date, string(ev.Precision), deref(ev.DateNote), string(ev.Kind), ev.Title,
			strconv.FormatBool(ev.Confirmed), target, strings.Join(qs, multiSep),
			joinKeys(e, ev.ID, plan.RelTypeConcerns, codeOf(plan.KindMeasure)),
			joinKeys(e, ev.ID, plan.RelTypeConcerns, keyOf(plan.KindProject)),
			joinKeys(e, ev.ID, plan.RelTypeConcerns, keyOf(plan.KindPlace)),
			joinKeys(e, ev.ID, plan.RelTypeConcerns, keyOf(plan.KindPlan)),
			joinSorted(urls), joinSorted(facts),
			joinKeys(e, ev.ID, plan.RelTypeSupportedBy, func(n plan.Node) string { return n.NodeID().Key() }),
			ev.ID.Global(),
		}
		rows = append(rows, row)
	}
	return writeCSV(EventsCSVHeader, rows, excel)
}

// codeOf keys a measure of kind k by its code, and nothing else.
func codeOf(k plan.Kind) func(plan.Node) string {
	return func(n plan.Node) string {
		if m, ok := n.(*plan.Measure); ok && n.NodeID().Kind() == k {
			return m.Code
		}
		return ""
	}
}

// keyOf keys a node of kind k by its slug (its id's key), and nothing else.
func keyOf(k plan.Kind) func(plan.Node) string {
	return func(n plan.Node) string {
		if n.NodeID().Kind() != k {
			return ""
		}
		if p, ok := n.(*plan.Plan); ok {
			return p.Slug
		}
		return slugOf(n)
	}
}

// joinSorted is the distinct values, sorted, joined with "; ".
func joinSorted(v []string) string {
	sort.Strings(v)
	out := v[:0]
	for i, s := range v {
		if i == 0 || s != v[i-1] {
			out = append(out, s)
		}
	}
	return strings.Join(out, multiSep)
}
