// Package loader is the data import command: it validates a plankg/v1
// dataset (or makes a synthetic one) and writes it to Neo4j, idempotently.
//
//	loader [flags] [FILE]                       load FILE (default data/shenzhen-2019-2025.yaml)
//	loader synth --measures N --seed S [flags]  load a synthetic plan of N measures
//
// Nothing is written unless the whole file is valid.
package loader

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/settings"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

// DefaultFile is the bundled dataset.
const DefaultFile = "data/shenzhen-2019-2025.yaml"

// ErrInvalid marks an invalid dataset (exit status 2).
var ErrInvalid = errors.New("invalid dataset")

// Run is the loader command. getenv supplies the NEO4J_* variables; flags override them.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	synth := len(args) > 0 && args[0] == "synth"
	if synth {
		args = args[1:]
	}
	fs := flag.NewFlagSet("loader", flag.ContinueOnError)
	fs.SetOutput(stderr)
	neo4j := settings.Register(fs, getenv, settings.Neo4j) // the API's own Neo4j knobs
	dryRun := fs.Bool("dry-run", false, "validate and report what would change, writing nothing")
	prune := fs.Bool("prune", false, "delete what this dataset wrote before but no longer holds")
	batch := fs.Int("batch-size", 2000, "rows per write transaction")
	workers := fs.Int("workers", 2, "write transactions run at once")
	measures := fs.Int("measures", 1000, "synth: number of measures")
	seed := fs.Int64("seed", 1, "synth: random seed")
	quiet := fs.Bool("quiet", false, "no progress output")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage:\n  loader [flags] [FILE]   (default %s)\n  loader synth --measures N --seed S [flags]\n\nflags:\n", DefaultFile)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *batch < 1 || *batch > 100000 {
		return fmt.Errorf("--batch-size must be between 1 and 100000 (got %d)", *batch)
	}
	if *workers < 1 || *workers > 64 {
		return fmt.Errorf("--workers must be between 1 and 64 (got %d)", *workers)
	}

	started := time.Now()
	ds, name, what, err := readDataset(synth, fs, *measures, *seed, stderr)
	if err != nil {
		return err
	}
	rows := store.ToRows(ds, name)
	fmt.Fprintf(stdout, "%s: valid, %d nodes and %d relationships (prepared in %s)\n", what, nodeTotal(rows), rows.Total()-nodeTotal(rows), time.Since(started).Round(time.Millisecond))

	uri := neo4j.Get("NEO4J_URI")
	st, err := store.Open(store.Config{URI: uri, User: neo4j.Get("NEO4J_USER"), Password: neo4j.Raw("NEO4J_PASSWORD"), Database: neo4j.Get("NEO4J_DATABASE"), QueryTimeout: 5 * time.Minute})
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	if err := st.Ping(ctx); err != nil {
		return fmt.Errorf("Neo4j at %s does not answer (start it with 'make db-up' or set NEO4J_URI): %w", uri, err)
	}
	if !*dryRun {
		// The other indexes are built by Load: after the writes on a first load.
		if err := st.EnsureConstraints(ctx); err != nil {
			return err
		}
	}
	opt := store.LoadOptions{DryRun: *dryRun, Prune: *prune, BatchSize: *batch, Workers: *workers}
	if !*quiet && rows.Total() > 20000 {
		opt.Progress = progressPrinter(stderr)
	}
	loadStart := time.Now()
	rep, err := st.Load(ctx, rows, opt)
	if err != nil {
		return fmt.Errorf("load %s: %w (what was written so far is consistent; run again to finish)", what, err)
	}
	elapsed := time.Since(loadStart)
	printReport(stdout, rep)
	verb := "loaded"
	if *dryRun {
		verb = "dry run (nothing written) of"
	}
	fmt.Fprintf(stdout, "%s %s into %s in %s: %d entities, %.0f entities/s\n", verb, what, uri, elapsed.Round(time.Millisecond), rows.Total(), float64(rows.Total())/elapsed.Seconds())
	if !rep.Changed() {
		fmt.Fprintln(stdout, "no changes: the graph already holds this dataset")
	}
	return nil
}

// readDataset is the dataset the command loads: a synthetic plan, or the
// file named (the bundled one by default), parsed and validated; with the
// name its nodes remember (for --prune) and how to say what was loaded. An
// invalid file prints its problems and gives ErrInvalid.
func readDataset(synth bool, fs *flag.FlagSet, measures int, seed int64, stderr io.Writer) (ds *dataset.Dataset, name, what string, err error) {
	if synth {
		if fs.NArg() > 0 {
			return nil, "", "", fmt.Errorf("synth takes no file (got %q)", fs.Arg(0))
		}
		if measures < 1 || measures > 5_000_000 {
			return nil, "", "", fmt.Errorf("--measures must be between 1 and 5000000 (got %d)", measures)
		}
		ds = dataset.Synth(measures, seed)
		if err := ds.Validate(); err != nil {
			return nil, "", "", fmt.Errorf("synthetic dataset: %w", err)
		}
		name = ds.Plans[0].Slug
		return ds, name, fmt.Sprintf("synthetic plan %s", name), nil
	}
	if fs.NArg() > 1 {
		return nil, "", "", fmt.Errorf("one file at a time (got %d)", fs.NArg())
	}
	file := DefaultFile
	if fs.NArg() == 1 {
		file = fs.Arg(0)
	}
	ds, err = dataset.Parse(file)
	if err != nil {
		var verr *dataset.ValidationError
		if errors.As(err, &verr) {
			fmt.Fprintln(stderr, verr.Error())
			fmt.Fprintf(stderr, "nothing was written: fix the problems above and run again\n")
			return nil, "", "", ErrInvalid
		}
		return nil, "", "", err
	}
	return ds, strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)), file, nil
}

// progressPrinter prints a long load's progress, at most once a second
// per label (and at the end of each).
func progressPrinter(w io.Writer) func(label string, done, total int) {
	last := time.Time{}
	return func(label string, done, total int) {
		if time.Since(last) > time.Second || done == total {
			last = time.Now()
			fmt.Fprintf(w, "  %-14s %9d / %d\n", label, done, total)
		}
	}
}

func nodeTotal(r *store.Rows) int {
	n := 0
	for _, k := range plan.Kinds {
		n += r.NodeCount(k)
	}
	return n
}

func printReport(w io.Writer, rep *store.LoadReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tcreated\tupdated\tunchanged\tdeleted\t")
	labels, types := rep.Labels()
	for _, l := range labels {
		o := rep.Nodes[l]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", ":"+l, o.Created, o.Updated, o.Unchanged, o.Deleted)
	}
	for _, t := range types {
		o := rep.Rels[t]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", "["+t+"]", o.Created, o.Updated, o.Unchanged, o.Deleted)
	}
	tw.Flush()
}
