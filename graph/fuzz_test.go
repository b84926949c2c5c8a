package graph_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/graph"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
)

// fuzzQuery asks a filtered, ordered page of measures and a full-text
// search in one operation; every input travels as a variable, so any string
// the fuzzer makes is legal GraphQL input.
const fuzzQuery = `query Fuzz($filter: MeasureFilter, $orderBy: [MeasureOrder!], $first: Int, $text: String!, $searchFirst: Int) {
  measures(filter: $filter, orderBy: $orderBy, first: $first) {
    totalCount
    nodes { code status section { number } aspect { number } }
    pageInfo { hasNextPage }
  }
  search(text: $text, first: $searchFirst) { score node { id __typename } }
}`

// The fuzzer's two small integers choose the shape of the request:
//
//	statusIdx bits 0-2: the status list (see fuzzStatuses)
//	          bit 3: filter.section, bit 4: filter.aspect, bit 5: filter.text,
//	          bit 6: filter.sector, bit 7: filter.milestoneYear as {} when no bound is set
//	orderIdx  bits 0-3: orderBy (see fuzzOrders)
//	          bit 4: milestoneYear.min, bit 5: milestoneYear.max,
//	          bit 6: measures(first:), bit 7: search(first:) gets first too
const (
	fzSection   = 1 << 3
	fzAspect    = 1 << 4
	fzText      = 1 << 5
	fzSector    = 1 << 6
	fzEmptyYear = 1 << 7

	fzYearMin     = 1 << 4
	fzYearMax     = 1 << 5
	fzFirst       = 1 << 6
	fzSearchFirst = 1 << 7
)

var fuzzStatuses = [8][]string{
	nil,
	{"PLANNED"},
	{"IN_PROGRESS"},
	{"COMPLETED"},
	{"UNKNOWN"},
	{"PLANNED", "UNKNOWN"},
	{"PLANNED", "IN_PROGRESS", "COMPLETED", "UNKNOWN"},
	{}, // an empty list: no status filter
}

type fuzzOrder struct{ field, dir string } // dir "": the default (ASC)

var fuzzOrders = [16][]fuzzOrder{
	nil,
	{{"CODE", "ASC"}}, {{"CODE", "DESC"}},
	{{"TITLE", "ASC"}}, {{"TITLE", "DESC"}},
	{{"SECTION", "ASC"}}, {{"SECTION", "DESC"}},
	{{"MILESTONE_YEAR", "ASC"}}, {{"MILESTONE_YEAR", "DESC"}},
	{{"SECTION", "DESC"}, {"TITLE", "ASC"}},
	{{"MILESTONE_YEAR", "DESC"}, {"CODE", "DESC"}},
	{}, // an empty list: the default order
	{{"TITLE", "DESC"}, {"SECTION", "ASC"}, {"MILESTONE_YEAR", "ASC"}},
	{{"CODE", ""}},
	{{"CODE", "ASC"}, {"CODE", "DESC"}},
	{{"MILESTONE_YEAR", "ASC"}, {"MILESTONE_YEAR", "DESC"}, {"TITLE", "ASC"}, {"SECTION", "DESC"}, {"CODE", "ASC"}},
}

// fuzzLeaks are words that must never reach a client: they would mean a
// driver, Cypher or Lucene message went through.
var fuzzLeaks = []string{"Neo", "Cypher", "neo4j", "SyntaxError", "Lucene"}

type fuzzSeed struct {
	section, aspect     int
	text, sector        string
	yearMin, yearMax    int
	statusIdx, orderIdx uint8
	first               int
	searchText          string
}

func fuzzSeeds() []fuzzSeed {
	long := strings.Repeat("qianhai ", 1280) // 10 KB
	words := strings.TrimSpace(strings.Repeat("a ", 250))
	at500 := strings.Repeat("前", 166) + "xx" // exactly 500 bytes
	invalid := "\xff\xfe\xc3(前\x80海"
	return []fuzzSeed{
		{}, // nothing set: the default page, an empty search
		{2, 0, "", "", 0, 0, fzSection, 0, 0, "Qianhai"},
		{2, 2, "", "", 0, 0, fzSection | fzAspect, 1, 0, "innovation"},
		{0, 0, "qianhai", "", 0, 0, fzText, 3, 0, "前海"},
		{0, 0, "前海", "information-technology", 0, 0, fzText | fzSector, 4, 0, "前海 深圳"},
		{0, 0, "", "", 2020, 2025, 0, fzYearMin | fzYearMax | 7, 0, "2025"},
		{0, 0, "", "", 2025, 2020, 0, fzYearMin | fzYearMax, 0, "min > max"}, // BAD_USER_INPUT
		{0, 0, "", "", 0, 0, fzEmptyYear, 8, 0, "empty range"},
		{0, 0, "", "", 2035, 0, 0, fzYearMin | 10, 0, ""},
		{0, 0, "", "", 0, 2020, 0, fzYearMax | 9, 0, ""},
		{0, 0, "", "", 0, 0, 0, fzFirst, -1, "first -1"}, // BAD_USER_INPUT
		{0, 0, "", "", 0, 0, 0, fzFirst, 0, "first 0"},
		{0, 0, "", "", 0, 0, 6, fzFirst | 12, 100, "first 100"},
		{0, 0, "", "", 0, 0, 0, fzFirst, 101, "first 101"},                    // BAD_USER_INPUT
		{0, 0, "", "", 0, 0, 0, fzFirst | fzSearchFirst, 0, "search first 0"}, // BAD_USER_INPUT
		{0, 0, "", "", 0, 0, 0, fzFirst | fzSearchFirst, 100, "qianhai"},
		{0, 0, "", "", 0, 0, 0, fzFirst | fzSearchFirst, 101, "qianhai"}, // BAD_USER_INPUT
		{0, 0, "title:(x AND", "", 0, 0, fzText, 0, 0, "title:(x AND"},
		{0, 0, `"`, `"`, 0, 0, fzText | fzSector, 0, 0, `"`},
		{0, 0, `\`, `\`, 0, 0, fzText | fzSector, 0, 0, `\`},
		{0, 0, "*?~", "*", 0, 0, fzText | fzSector, 0, 0, "*?~"},
		{0, 0, "NOT", "", 0, 0, fzText, 0, 0, "NOT"},
		{0, 0, "", "", 0, 0, 0, 0, 0, "AND OR NOT TO && || ! + - ^2 ~0.5"},
		{0, 0, "", "", 0, 0, 0, 0, 0, "/re.*gex/ field:value [a TO z] {a TO z} (((( ))))"},
		{0, 0, "", "", 0, 0, fzText | fzSector, 0, 0, ""}, // empty text and sector
		{0, 0, "   ", "   ", 0, 0, fzText | fzSector, 0, 0, " \t\n "},
		{0, 0, long, long, 0, 0, fzText | fzSector, 0, 0, long},  // BAD_USER_INPUT (10 KB)
		{0, 0, at500, "", 0, 0, fzText, 0, 0, at500},             // exactly the limit
		{0, 0, at500 + "x", "", 0, 0, fzText, 0, 0, at500 + "x"}, // one byte over: BAD_USER_INPUT
		{0, 0, "", "", 0, 0, 0, 0, 0, words},                     // 250 terms
		{0, 0, invalid, invalid, 0, 0, fzText | fzSector, 5, 0, invalid},
		{0, 0, "\x00\x01\x1f", "\x00", 0, 0, fzText | fzSector, 0, 0, "\x00\u200b\u3000\ufeff"},
		{0, 0, "' OR 1=1 //", "'}) MATCH (n) DETACH DELETE n //", 0, 0, fzText | fzSector, 0, 0, "$text } RETURN 1 //"},
		{1 << 40, -1 << 40, "", "", math.MaxInt64, math.MinInt64, fzSection | fzAspect, fzYearMin | fzYearMax, 0, "big ints"}, // min > max
		{-1, 0, "", "", math.MinInt64, math.MaxInt64, fzSection | fzAspect, fzYearMin | fzYearMax, 0, ""},
		{0, 0, "", "", 0, 0, 0, fzFirst | fzSearchFirst, math.MaxInt64, "overflow"},         // BAD_USER_INPUT or a complexity error
		{0, 0, "", "", 0, 0, 0, fzFirst | fzSearchFirst, 1 << 62, "overflowing complexity"}, // idem
		{0, 0, "", "", 0, 0, 0, fzFirst, math.MinInt64, ""},                                 // BAD_USER_INPUT
		{3, 1, "s3", "green-finance", 2025, 2050, 0xff, 0xff, 50, "finance"},
		{2, 4, "m", "", 2019, 2019, 0x7f, 0x7f, 1, "S2.A4.M2"},
	}
}

// fuzzWorker reports whether this process is a fuzzing worker (go test
// -fuzz starts them beside the coordinator).
func fuzzWorker() bool {
	fl := flag.Lookup("test.fuzzworker")
	return fl != nil && fl.Value.String() == "true"
}

// fuzzServer serves the API over the bundled data for the fuzz target and
// returns its /graphql endpoint. The coordinator (or the plain test run)
// loads the data; fuzzing workers, separate processes on the same database,
// only check that it is there, so they never wipe it under each other.
func fuzzServer(f *testing.F) string {
	f.Helper()
	testneo4j.Connection(f) // skips under -short
	st := testneo4j.Store(f)
	srv := httptest.NewServer(server.NewHandler(server.Deps{Store: st, Log: zap.NewNop(), Limits: bigLimits()}))
	f.Cleanup(srv.Close)
	url := srv.URL + "/graphql"
	if fuzzWorker() {
		r := post(f, url, `{ plan { catalogedMeasureCount } measures(first: 0) { totalCount } }`, nil)
		if len(r.Errors) == 0 && strings.Contains(string(r.Data), `"catalogedMeasureCount":38`) {
			return url
		}
	}
	loadBundled(f)
	return url
}

// FuzzMeasureFilter sends arbitrary filters, orders, page sizes and search
// texts and checks that the API never answers with anything but data or
// BAD_USER_INPUT errors: no internal error, no Cypher, Neo4j or Lucene
// message, and consistent pages.
func FuzzMeasureFilter(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.section, s.aspect, s.text, s.sector, s.yearMin, s.yearMax, s.statusIdx, s.orderIdx, s.first, s.searchText)
	}
	url := fuzzServer(f)
	f.Fuzz(func(t *testing.T, section, aspect int, text, sector string, yearMin, yearMax int, statusIdx, orderIdx uint8, first int, searchText string) {
		vars, expectErr := fuzzVars(section, aspect, text, sector, yearMin, yearMax, statusIdx, orderIdx, first, searchText)
		r := fuzzPost(t, url, vars)
		show := func() string { // the request, for failure messages
			b, _ := json.Marshal(vars)
			return fmt.Sprintf("variables %.600s\nstatus %d, answer %.1500s", b, r.Status, r.Body)
		}
		t.Logf("status %d, error codes %v, %d bytes", r.Status, r.codes(), len(r.Body))

		// Only data or BAD_USER_INPUT errors. The one exception: a page size
		// far over the limit may be rejected before any resolver runs, by the
		// complexity budget (COMPLEXITY_LIMIT_EXCEEDED) or, were it to happen,
		// by validation; both are HTTP 200 with application/json (GraphQL over
		// HTTP), so the error codes below tell them apart.
		preExec := first > plan.MaxPageSize && orderIdx&(fzFirst|fzSearchFirst) != 0
		if r.Status != http.StatusOK {
			t.Fatalf("HTTP %d\n%s", r.Status, show())
		}
		for _, e := range r.Errors {
			switch c := e.code(); {
			case c == "BAD_USER_INPUT" && r.Status == http.StatusOK:
			case preExec && (c == "COMPLEXITY_LIMIT_EXCEEDED" || c == "GRAPHQL_VALIDATION_FAILED"):
			default:
				t.Fatalf("error with code %q (want BAD_USER_INPUT): %q\n%s", c, e.Message, show())
			}
		}
		for _, e := range r.Errors {
			for _, w := range fuzzLeaks {
				if strings.Contains(e.Message, w) && !fuzzInInput(w, text, sector, searchText) {
					t.Fatalf("error message shows %q: %q\n%s", w, e.Message, show())
				}
			}
		}
		if expectErr != "" {
			if len(r.Errors) == 0 {
				t.Fatalf("want a BAD_USER_INPUT error (%s), got none\n%s", expectErr, show())
			}
			return
		}
		if len(r.Errors) > 0 || r.Status != http.StatusOK {
			t.Fatalf("valid request failed\n%s", show())
		}

		// The answer is consistent with what was asked.
		var data struct {
			Measures struct {
				TotalCount int `json:"totalCount"`
				Nodes      []struct {
					Code    string `json:"code"`
					Status  string `json:"status"`
					Section struct {
						Number int `json:"number"`
					} `json:"section"`
					Aspect *struct {
						Number int `json:"number"`
					} `json:"aspect"`
				} `json:"nodes"`
				PageInfo struct {
					HasNextPage bool `json:"hasNextPage"`
				} `json:"pageInfo"`
			} `json:"measures"`
			Search []struct {
				Score float64 `json:"score"`
				Node  struct {
					ID       string `json:"id"`
					Typename string `json:"__typename"`
				} `json:"node"`
			} `json:"search"`
		}
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatalf("decode data: %v\n%s", err, show())
		}
		m := data.Measures
		limit := plan.DefaultPageSize
		if orderIdx&fzFirst != 0 {
			limit = first
		}
		if m.TotalCount < len(m.Nodes) {
			t.Fatalf("totalCount %d < %d nodes\n%s", m.TotalCount, len(m.Nodes), show())
		}
		if len(m.Nodes) > limit {
			t.Fatalf("%d nodes, more than first (%d)\n%s", len(m.Nodes), limit, show())
		}
		if m.PageInfo.HasNextPage != (m.TotalCount > len(m.Nodes)) {
			t.Fatalf("hasNextPage %v with totalCount %d and %d nodes on the first page\n%s", m.PageInfo.HasNextPage, m.TotalCount, len(m.Nodes), show())
		}
		statuses := fuzzStatuses[statusIdx&7]
		for _, n := range m.Nodes {
			if statusIdx&fzSection != 0 && n.Section.Number != section {
				t.Fatalf("measure %s of section %d in a page filtered on section %d\n%s", n.Code, n.Section.Number, section, show())
			}
			if statusIdx&fzAspect != 0 && (n.Aspect == nil || n.Aspect.Number != aspect) {
				t.Fatalf("measure %s (aspect %v) in a page filtered on aspect %d\n%s", n.Code, n.Aspect, aspect, show())
			}
			if len(statuses) > 0 && !slices.Contains(statuses, n.Status) {
				t.Fatalf("measure %s with status %s in a page filtered on %v\n%s", n.Code, n.Status, statuses, show())
			}
		}
		searchLimit := 10
		if orderIdx&fzSearchFirst != 0 {
			searchLimit = first
		}
		if len(data.Search) > searchLimit {
			t.Fatalf("%d search hits, more than %d\n%s", len(data.Search), searchLimit, show())
		}
		for i, h := range data.Search {
			if h.Node.ID == "" || h.Node.Typename == "" {
				t.Fatalf("search hit %d without a node\n%s", i, show())
			}
			if i > 0 && h.Score > data.Search[i-1].Score {
				t.Fatalf("search hits not by score: %v after %v\n%s", h.Score, data.Search[i-1].Score, show())
			}
		}
	})
}

// fuzzVars builds the variables of fuzzQuery and says why the API must
// reject them ("" when it must answer).
func fuzzVars(section, aspect int, text, sector string, yearMin, yearMax int, statusIdx, orderIdx uint8, first int, searchText string) (map[string]any, string) {
	var why []string
	// What the server sees: JSON carries each invalid UTF-8 byte as U+FFFD.
	seen := func(s string) string { return string([]rune(s)) }

	filter := map[string]any{}
	if statusIdx&fzSection != 0 {
		filter["section"] = section
		if section < 1 {
			why = append(why, "filter.section below 1")
		}
	}
	if statusIdx&fzAspect != 0 {
		filter["aspect"] = aspect
		if aspect < 1 {
			why = append(why, "filter.aspect below 1")
		}
	}
	if statusIdx&fzText != 0 {
		filter["text"] = text
		if len(seen(text)) > graph.MaxSearchText {
			why = append(why, "filter.text too long")
		}
	}
	if statusIdx&fzSector != 0 {
		filter["sector"] = []any{sector}
	}
	if st := fuzzStatuses[statusIdx&7]; st != nil {
		l := make([]any, len(st))
		for i, s := range st {
			l[i] = s
		}
		filter["status"] = l
	}
	year := map[string]any{}
	if orderIdx&fzYearMin != 0 {
		year["min"] = yearMin
	}
	if orderIdx&fzYearMax != 0 {
		year["max"] = yearMax
	}
	if len(year) > 0 || statusIdx&fzEmptyYear != 0 {
		filter["milestoneYear"] = year
	}
	if orderIdx&(fzYearMin|fzYearMax) == fzYearMin|fzYearMax && yearMin > yearMax {
		why = append(why, "milestoneYear min > max")
	}

	vars := map[string]any{"filter": filter, "text": searchText}
	if len(filter) == 0 && statusIdx == 0 {
		vars["filter"] = nil
	}
	if ord := fuzzOrders[orderIdx&15]; ord != nil {
		l := make([]any, len(ord))
		for i, o := range ord {
			m := map[string]any{"field": o.field}
			if o.dir != "" {
				m["direction"] = o.dir
			}
			l[i] = m
		}
		vars["orderBy"] = l
	}
	if orderIdx&fzFirst != 0 {
		vars["first"] = first
		if first < 0 || first > plan.MaxPageSize {
			why = append(why, "first out of range")
		}
	}
	if orderIdx&fzSearchFirst != 0 {
		vars["searchFirst"] = first
		if first < 1 || first > plan.MaxPageSize {
			why = append(why, "search first out of range")
		}
	}
	if len(seen(searchText)) > graph.MaxSearchText {
		why = append(why, "search text too long")
	}
	return vars, strings.Join(why, ", ")
}

// fuzzPost sends fuzzQuery with vars. Strings that are not valid UTF-8 go
// into the body byte for byte (json.Marshal would replace them first), so
// the server's own decoding is exercised too.
func fuzzPost(t *testing.T, url string, vars map[string]any) response {
	t.Helper()
	if fuzzValidUTF8(vars) {
		return post(t, url, fuzzQuery, vars)
	}
	var b bytes.Buffer
	b.WriteString(`{"query":`)
	fuzzJSON(&b, fuzzQuery)
	b.WriteString(`,"variables":`)
	fuzzJSON(&b, vars)
	b.WriteString("}")
	req, err := http.NewRequest(http.MethodPost, url, &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func fuzzValidUTF8(v any) bool {
	switch v := v.(type) {
	case string:
		return utf8.ValidString(v)
	case []any:
		for _, x := range v {
			if !fuzzValidUTF8(x) {
				return false
			}
		}
	case map[string]any:
		for _, x := range v {
			if !fuzzValidUTF8(x) {
				return false
			}
		}
	}
	return true
}

// fuzzJSON writes v as JSON, leaving invalid UTF-8 bytes in strings as they are.
func fuzzJSON(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case int:
		b.WriteString(strconv.Itoa(v))
	case string:
		b.WriteByte('"')
		for i := 0; i < len(v); i++ {
			c := v[i]
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 0x20:
				fmt.Fprintf(b, `\u%04x`, c)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			fuzzJSON(b, x)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			fuzzJSON(b, k)
			b.WriteByte(':')
			fuzzJSON(b, v[k])
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("fuzzJSON: %T", v))
	}
}

// fuzzInInput reports whether a leak word could be an echo of the input.
func fuzzInInput(word string, inputs ...string) bool {
	for _, s := range inputs {
		if strings.Contains(strings.ToLower(s), strings.ToLower(word)) {
			return true
		}
	}
	return false
}
