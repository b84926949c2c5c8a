// Command cost calibrates the cost model (graph/cost.go) against the
// database: for a spread of query shapes it prints each one's price and
// its measured time (median of -runs after a warm-up) through the API,
// and the rank correlation between the two.
//
//	NEO4J_URI=bolt://127.0.0.1:7687 go run ./bench/cost -plan synth-100000-1
//
// The database should hold the 100,000-measure synthetic plan (loader synth
// --measures 100000 --seed 1) and the bundled data.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/99designs/gqlgen/complexity"
	"github.com/vektah/gqlparser/v2"

	"github.com/shenzhenplan/kgapi/app"
	"github.com/shenzhenplan/kgapi/graph"
	"github.com/shenzhenplan/kgapi/graph/generated"
	"github.com/shenzhenplan/kgapi/plan"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cost:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	planSlug := fs.String("plan", "synth-100000-1", "the plan the shapes read")
	sector := fs.String("sector", "syn-sector-3", "a sector of that plan")
	runs := fs.Int("runs", 5, "timed runs per shape")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if os.Getenv("NEO4J_URI") == "" {
		return fmt.Errorf("set NEO4J_URI to a database holding the 100,000-measure plan")
	}
	shapes := []struct{ name, query string }{
		{"a page of 20 codes", `{ plan(slug: "{plan}") { measures(first: 20) { nodes { code title } } } }`},
		{"a page of 100 codes", `{ plan(slug: "{plan}") { measures(first: 100) { nodes { code title } } } }`},
		{"50 measures with every link", `{ plan(slug: "{plan}") { measures(first: 50) { nodes { code section { title } aspect { title } projects { name } sectors { name } places { name } milestones { year } sources { title } } } } }`},
		{"100 measures with every link", `{ plan(slug: "{plan}") { measures(first: 100) { nodes { code section { title } aspect { title } projects { name } sectors { name } places { name } milestones { year } sources { title } } } } }`},
		{"sectors with 10 measures each", `{ sectors { name measures(first: 10) { nodes { code title } } } }`},
		{"sectors, 10 measures, their projects", `{ sectors { name measures(first: 10) { nodes { code projects { name } } } } }`},
		{"a sector's projects", `{ sector(slug: "{sector}") { projects { name } } }`},
		{"a sector's projects' places", `{ sector(slug: "{sector}") { projects { name places { name } } } }`},
		{"places", `{ places { name } }`},
		{"search 20", `{ search(text: "data", first: 20) { node { id } } }`},
		{"neighbourhood 200", `{ neighborhood(id: "{center}", depth: 2, limit: 200) { nodes { id } } }`},
		{"neighbourhood 1000", `{ neighborhood(id: "{center}", depth: 3, limit: 1000) { nodes { id } } }`},
		{"nested: 10 × 10 measures of projects", `{ plan(slug: "{plan}") { measures(first: 10) { nodes { projects { measures(first: 10) { nodes { code } } } } } } }`},
	}
	es := graph.Priced(generated.NewExecutableSchema(generated.Config{}))
	opts := graph.CostOptions(es.Schema())

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, []string{"-listen-addr", "127.0.0.1:0", "-log-level", "error", "-max-complexity", "100000000"}, os.Getenv, io.Discard, io.Discard, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		return err
	}
	url := "http://" + addr + "/graphql"
	center := fmt.Sprintf("Sector:%s", *sector)
	type row struct {
		name  string
		price int
		ms    float64
	}
	var rows []row
	for _, sh := range shapes {
		q := strings.NewReplacer("{plan}", *planSlug, "{sector}", *sector, "{center}", plan.ID(center).Global()).Replace(sh.query)
		doc, err := gqlparser.LoadQuery(es.Schema(), q)
		if err != nil {
			return fmt.Errorf("%s: %v", sh.name, err)
		}
		price := complexity.Calculate(ctx, es, doc.Operations[0], nil, opts...)
		var times []float64
		for i := 0; i <= *runs; i++ {
			t0 := time.Now()
			if err := post(url, q); err != nil {
				return fmt.Errorf("%s: %w", sh.name, err)
			}
			if i > 0 { // the first run warms Neo4j's plan cache
				times = append(times, float64(time.Since(t0).Microseconds())/1000)
			}
		}
		slices.Sort(times)
		rows = append(rows, row{sh.name, price, times[len(times)/2]})
	}
	fmt.Fprintln(out, "| shape | cost | median ms | ms per 100 points |")
	fmt.Fprintln(out, "|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(out, "| %s | %d | %.1f | %.2f |\n", r.name, r.price, r.ms, r.ms/float64(r.price)*100)
	}
	prices, times := make([]float64, len(rows)), make([]float64, len(rows))
	for i, r := range rows {
		prices[i], times[i] = float64(r.price), r.ms
	}
	fmt.Fprintf(out, "\nSpearman rank correlation of cost and time over %d shapes: %.2f\n", len(rows), spearman(prices, times))
	return nil
}

func post(url, q string) error {
	body, _ := json.Marshal(map[string]any{"query": q})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Errors []struct{ Message string } `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("%s", out.Errors[0].Message)
	}
	return nil
}

// spearman is the rank correlation of x and y (no ties expected).
func spearman(x, y []float64) float64 {
	rank := func(v []float64) []float64 {
		idx := make([]int, len(v))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
		r := make([]float64, len(v))
		for pos, i := range idx {
			r[i] = float64(pos)
		}
		return r
	}
	rx, ry := rank(x), rank(y)
	n := float64(len(x))
	var d2 float64
	for i := range rx {
		d := rx[i] - ry[i]
		d2 += d * d
	}
	return 1 - 6*d2/(n*(n*n-1))
}
