package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/store"
)

// TestWritersKeepDerivedUpToDate checks that the loader and every mutation
// leave the kept measure counts (total and by status, on every node that
// counts measures, places with the places within them) and the keys on
// measure links equal to a recount from the facts, after each step.
func TestWritersKeepDerivedUpToDate(t *testing.T) {
	s := testneo4j.Store(t)
	testneo4j.Wipe(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := s.EnsureSchema(ctx); err != nil {
		t.Fatal(err)
	}
	const name = "synth-400-5"
	ds := dataset.Synth(400, 5)
	if _, err := s.Load(ctx, store.ToRows(ds, name), store.LoadOptions{}); err != nil {
		t.Fatalf("load: %v", err)
	}
	// A measure linked to nothing yet, and a place within another.
	var leaf, parent string
	for _, p := range ds.Places {
		if p.Within != nil {
			leaf, parent = p.Slug, p.Within.To
			break
		}
	}
	if leaf == "" {
		t.Fatal("the synthetic plan has no place within another")
	}
	code := ds.Plans[0].Sections[1].Aspects[0].Measures[0].Code
	completed, planned := plan.StatusCompleted, plan.StatusPlanned
	steps := []struct {
		name string
		do   func() error
	}{
		{"load", func() error { return nil }},
		{"set status", func() error {
			_, err := s.SetMeasureStatus(ctx, name, code, plan.StatusInProgress, nil, nil, "test")
			return err
		}},
		{"link to a place within another", func() error {
			_, err := s.LinkMeasure(ctx, plan.LinkWrite{Plan: name, Code: code, Kind: plan.LinkPlace, Target: leaf}, false, "test")
			return err
		}},
		{"link to the outer place too", func() error {
			_, err := s.LinkMeasure(ctx, plan.LinkWrite{Plan: name, Code: code, Kind: plan.LinkPlace, Target: parent}, false, "test")
			return err
		}},
		{"unlink the inner place", func() error {
			_, err := s.LinkMeasure(ctx, plan.LinkWrite{Plan: name, Code: code, Kind: plan.LinkPlace, Target: leaf}, true, "test")
			return err
		}},
		{"link to a later milestone", func() error {
			_, err := s.LinkMeasure(ctx, plan.LinkWrite{Plan: name, Code: code, Kind: plan.LinkMilestone, Target: dataset.SynthPrefix + "2020"}, false, "test")
			return err
		}},
		{"new measure", func() error {
			_, _, err := s.UpsertMeasure(ctx, plan.MeasureWrite{Plan: name, Code: "S3.M999", Title: "A new measure", Status: &completed}, "test")
			return err
		}},
		{"retitle and restatus", func() error {
			_, _, err := s.UpsertMeasure(ctx, plan.MeasureWrite{Plan: name, Code: code, Title: "Zzz retitled", Status: &planned}, "test")
			return err
		}},
		{"reload the file", func() error {
			_, err := s.Load(ctx, store.ToRows(ds, name), store.LoadOptions{})
			return err
		}},
		{"reload the same file into a graph counted by the previous version", func() error {
			if err := store.DowngradeCounts(ctx, s); err != nil {
				return err
			}
			if stale, err := store.StaleDerived(ctx, s); err != nil || len(stale) == 0 {
				return fmt.Errorf("after downgrading the kept counts, StaleDerived found %d stale values (err %v); want some", len(stale), err)
			}
			_, err := s.Load(ctx, store.ToRows(ds, name), store.LoadOptions{})
			return err
		}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		stale, err := store.StaleDerived(ctx, s)
		if err != nil {
			t.Fatalf("after %s: %v", st.name, err)
		}
		if len(stale) > 0 {
			t.Fatalf("after %s, %d derived values are stale, e.g. %v", st.name, len(stale), stale[:min(5, len(stale))])
		}
	}
}
