// Command firstreads measures what a client pays the first time it sends
// a shape of measure connection: Neo4j plans each new query text once (the
// query cache keeps it), so the first read of a shape includes planning.
//
// Against a running Neo4j holding a synthetic plan (loader synth), it clears
// Neo4j's query caches, then reads random measure connections through the
// store (random scope among the synthetic plan's nodes, random filters,
// orderings and page sizes, with and without totals), each page twice, and
// the next page and the last page of each. It reports the reads that sent
// a query text Neo4j had not seen beside those that did not, and the
// round trips by text length. Seeded: the same seed sends the same reads.
//
//	go run ./bench/firstreads -neo4j-uri bolt://127.0.0.1:7687 -n 30 -seed 1
package main

import (
	"context"
	"crypto/md5"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

func main() {
	uri := flag.String("neo4j-uri", "bolt://127.0.0.1:7687", "Neo4j holding a synthetic plan")
	user := flag.String("neo4j-user", "neo4j", "Neo4j user")
	password := flag.String("neo4j-password", envOr("NEO4J_PASSWORD", "localdev-password"), "Neo4j password (NEO4J_PASSWORD)")
	n := flag.Int("n", 30, "connections to read (each: first page, next page, last page)")
	seed := flag.Uint64("seed", 1, "seed of the random connections")
	slow := flag.Duration("slow", 200*time.Millisecond, "print the reads slower than this, with their round trips")
	flag.Parse()
	if err := run(*uri, *user, *password, *n, *seed, *slow); err != nil {
		fmt.Fprintln(os.Stderr, "firstreads:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// synthNodes reads the ids (or slugs) of up to 300 synthetic nodes of a label.
func synthNodes(ctx context.Context, d neo4j.DriverWithContext, label, prop string) ([]string, error) {
	res, err := neo4j.ExecuteQuery(ctx, d, "MATCH (n) WHERE $label IN labels(n) AND n.id CONTAINS 'syn' RETURN n[$prop] AS v ORDER BY v LIMIT 300",
		map[string]any{"label": label, "prop": prop}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithReadersRouting())
	if err != nil {
		return nil, fmt.Errorf("read synthetic %s nodes: %w", label, err)
	}
	var out []string
	for _, r := range res.Records {
		v, _ := r.Get("v")
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no synthetic %s node: load one with go run ./cmd/loader synth -measures 100000 -seed 1", label)
	}
	return out, nil
}

type trip struct {
	len   int
	ms    float64
	fresh bool
}

func run(uri, user, password string, n int, seed uint64, slow time.Duration) error {
	ctx := context.Background()
	d, err := neo4j.NewDriverWithContext(uri, neo4j.BasicAuth(user, password, ""))
	if err != nil {
		return err
	}
	defer d.Close(ctx)
	s, err := store.Open(store.Config{URI: uri, User: user, Password: password})
	if err != nil {
		return err
	}
	defer s.Close(ctx)
	if _, err := neo4j.ExecuteQuery(ctx, d, "CALL db.clearQueryCaches()", nil, neo4j.EagerResultTransformer); err != nil {
		return fmt.Errorf("clear the query caches: %w", err)
	}
	scopes := map[plan.Scope][]string{plan.ScopeAll: {""}}
	for sc, label := range map[plan.Scope]string{plan.ScopePlan: "Plan", plan.ScopeSection: "Section", plan.ScopeAspect: "Aspect",
		plan.ScopeProject: "Project", plan.ScopeSector: "Sector", plan.ScopePlace: "Place", plan.ScopeMilestone: "Milestone"} {
		if scopes[sc], err = synthNodes(ctx, d, label, "id"); err != nil {
			return err
		}
	}
	slugs := map[string][]string{}
	for _, label := range []string{"Sector", "Project", "Place"} {
		if slugs[label], err = synthNodes(ctx, d, label, "slug"); err != nil {
			return err
		}
	}
	r := rand.New(rand.NewPCG(seed, 7))
	kinds := []plan.Scope{plan.ScopeAll, plan.ScopePlan, plan.ScopeSection, plan.ScopeAspect, plan.ScopeProject, plan.ScopeSector, plan.ScopePlace, plan.ScopeMilestone}
	fields := []plan.OrderField{plan.OrderCode, plan.OrderTitle, plan.OrderSection, plan.OrderMilestoneYear}
	statuses := []plan.Status{plan.StatusPlanned, plan.StatusCompleted, plan.StatusUnknown}
	seen := map[[16]byte]bool{}
	var trips []trip
	var fresh, known []float64
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	for i := range n {
		k := kinds[r.IntN(len(kinds))]
		scope := pick(scopes[k])
		var f plan.MeasureCriteria
		if r.IntN(3) == 0 {
			x := 1 + r.IntN(5)
			f.Section = &x
			if r.IntN(2) == 0 {
				y := 1 + r.IntN(3)
				f.Aspect = &y
			}
		}
		if r.IntN(4) == 0 {
			f.Sectors = []string{pick(slugs["Sector"])}
		}
		if r.IntN(5) == 0 {
			f.Projects = []string{pick(slugs["Project"])}
		}
		if r.IntN(5) == 0 {
			f.Places = []string{pick(slugs["Place"])}
		}
		if r.IntN(4) == 0 {
			y := 2020 + r.IntN(30)
			f.MilestoneYearMin = &y
		}
		if r.IntN(4) == 0 {
			f.Statuses = []plan.Status{statuses[r.IntN(len(statuses))]}
		}
		var order []plan.Order
		if r.IntN(4) != 0 {
			order = []plan.Order{{Field: fields[r.IntN(len(fields))], Desc: r.IntN(2) == 0}}
		}
		first := 3 + r.IntN(18)
		q := plan.MeasureQuery{Scope: k, Filter: f, Order: order, WantTotal: r.IntN(2) == 0, First: &first}
		read := func(q plan.MeasureQuery, what string) (*plan.MeasurePage, error) {
			var page *plan.MeasurePage
			for range 2 {
				l := plan.NewRoundTripLog()
				start := time.Now()
				pages, err := s.Measures(plan.WithRoundTripLog(ctx, l), q, []plan.ID{plan.ID(scope)})
				took := time.Since(start)
				if err != nil {
					return nil, fmt.Errorf("read %d (%s): %w", i, what, err)
				}
				page = pages[plan.ID(scope)]
				isFresh := false
				for _, e := range l.Entries() {
					h := md5.Sum([]byte(e.Cypher))
					t := trip{len(e.Cypher), e.Ms, !seen[h]}
					seen[h] = true
					isFresh = isFresh || t.fresh
					trips = append(trips, t)
				}
				ms := float64(took.Microseconds()) / 1000
				if isFresh {
					fresh = append(fresh, ms)
				} else {
					known = append(known, ms)
				}
				if took > slow {
					fmt.Printf("%3d %-4s %7.1f ms  %s %q filter %s order %v first %d total %v\n", i, what, ms, k, scope, describe(f), order, first, q.WantTotal)
					for _, e := range l.Entries() {
						fmt.Printf("      %s: %d characters, %.1f ms\n", e.Kind, len(e.Cypher), e.Ms)
					}
				}
			}
			return page, nil
		}
		p, err := read(q, "page")
		if err != nil {
			return err
		}
		if p != nil && p.HasNextPage && len(p.Keys) > 0 {
			next := q
			next.After = p.Keys[len(p.Keys)-1]
			if _, err := read(next, "next"); err != nil {
				return err
			}
		}
		last := q
		last.First, last.Last = nil, &first
		if _, err := read(last, "last"); err != nil {
			return err
		}
	}
	var freshMs, freshLen, knownMs []float64
	for _, t := range trips {
		if t.fresh {
			freshMs, freshLen = append(freshMs, t.ms), append(freshLen, float64(t.len))
		} else {
			knownMs = append(knownMs, t.ms)
		}
	}
	fmt.Printf("reads that sent a new query text:  %s ms\n", dist(fresh))
	fmt.Printf("reads of known texts only:         %s ms\n", dist(known))
	fmt.Printf("round trips with a new text:       %s ms\n", dist(freshMs))
	fmt.Printf("  their lengths:                   %s characters\n", dist(freshLen))
	fmt.Printf("round trips with a known text:     %s ms\n", dist(knownMs))
	return nil
}

func describe(f plan.MeasureCriteria) string {
	out := ""
	add := func(s string) {
		if out != "" {
			out += ", "
		}
		out += s
	}
	if f.Section != nil {
		add(fmt.Sprintf("section %d", *f.Section))
	}
	if f.Aspect != nil {
		add(fmt.Sprintf("aspect %d", *f.Aspect))
	}
	for _, x := range f.Sectors {
		add("sector " + x)
	}
	for _, x := range f.Projects {
		add("project " + x)
	}
	for _, x := range f.Places {
		add("place " + x)
	}
	if f.MilestoneYearMin != nil {
		add(fmt.Sprintf("year ≥ %d", *f.MilestoneYearMin))
	}
	for _, x := range f.Statuses {
		add("status " + string(x))
	}
	if out == "" {
		return "none"
	}
	return "{" + out + "}"
}

func dist(xs []float64) string {
	if len(xs) == 0 {
		return "none"
	}
	slices.Sort(xs)
	return fmt.Sprintf("n %d, p50 %.1f, p90 %.1f, p99 %.1f, max %.1f", len(xs), xs[len(xs)/2], xs[len(xs)*9/10], xs[len(xs)*99/100], xs[len(xs)-1])
}
