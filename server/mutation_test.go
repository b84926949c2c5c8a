package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/dataset"
	"github.com/shenzhenplan/kgapi/internal/testneo4j"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/store"
)

// reloadBundled restores the bundled data after a test that changed it.
func reloadBundled(t *testing.T) {
	t.Helper()
	st := testneo4j.Store(t)
	testneo4j.Wipe(t, st)
	ds, err := dataset.Parse("../data/shenzhen-2019-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(context.Background(), store.ToRows(ds, "shenzhen-2019-2025"), store.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestMutations(t *testing.T) {
	srv := guarded(t, nil, server.Deps{Tokens: tokens(t)})
	t.Cleanup(func() { reloadBundled(t) })
	run := func(t *testing.T, q string) gqlResponse {
		t.Helper()
		return gql(t, srv.URL, q, secret)
	}
	data := func(t *testing.T, r gqlResponse) map[string]any {
		t.Helper()
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var m map[string]any
		if err := json.Unmarshal(r.Data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}

	t.Run("StatusHistoryIsAppendOnlyNewestFirst", func(t *testing.T) {
		run(t, `mutation { setMeasureStatus(code: "S2.A1.M1", status: IN_PROGRESS, note: "ground broken", asOf: "2026-01-15") { status } }`)
		r := run(t, `mutation { setMeasureStatus(code: "S2.A1.M1", status: COMPLETED, note: "opened") { status statusHistory { status note asOf by recordedAt } } }`)
		m := data(t, r)["setMeasureStatus"].(map[string]any)
		if m["status"] != "COMPLETED" {
			t.Errorf("status %v", m["status"])
		}
		h := m["statusHistory"].([]any)
		if len(h) != 2 {
			t.Fatalf("history has %d entries, want 2: %v", len(h), h)
		}
		first, second := h[0].(map[string]any), h[1].(map[string]any)
		if first["status"] != "COMPLETED" || second["status"] != "IN_PROGRESS" || second["asOf"] != "2026-01-15" || first["by"] != "alice" {
			t.Errorf("history not newest first with its fields: %v", h)
		}
		if first["recordedAt"].(string) < second["recordedAt"].(string) {
			t.Errorf("recordedAt not newest first: %v", h)
		}
	})

	t.Run("UnknownCodeIsNotFound", func(t *testing.T) {
		r := run(t, `mutation { setMeasureStatus(code: "S9.M9", status: COMPLETED) { status } }`)
		if r.code() != "NOT_FOUND" {
			t.Errorf("code %q, want NOT_FOUND: %+v", r.code(), r.Errors)
		}
	})

	t.Run("BadDateIsBadUserInput", func(t *testing.T) {
		r := run(t, `mutation { setMeasureStatus(code: "S1.M1", status: COMPLETED, asOf: "2026-02-30") { status } }`)
		if r.code() != "BAD_USER_INPUT" {
			t.Errorf("code %q, want BAD_USER_INPUT: %+v", r.code(), r.Errors)
		}
	})

	t.Run("UpsertCreatesThenUpdates", func(t *testing.T) {
		r := run(t, `mutation { upsertMeasure(input: {plan: "shenzhen-pdz-action-plan", code: "S2.A8.M2", title: "Protect mangroves", sources: [{source: "gbi-article", excerpt: "protecting the ecology of the city"}]}) { code title status aspect { number } section { number } sources { excerpt } } }`)
		m := data(t, r)["upsertMeasure"].(map[string]any)
		if m["status"] != "UNKNOWN" || m["aspect"].(map[string]any)["number"].(float64) != 8 {
			t.Errorf("created measure: %v", m)
		}
		r = run(t, `mutation { upsertMeasure(input: {plan: "shenzhen-pdz-action-plan", code: "S2.A8.M2", title: "Protect the mangroves", status: PLANNED}) { title status statusHistory { status } } }`)
		m = data(t, r)["upsertMeasure"].(map[string]any)
		if m["title"] != "Protect the mangroves" || m["status"] != "PLANNED" || len(m["statusHistory"].([]any)) != 1 {
			t.Errorf("updated measure: %v", m)
		}
		p := data(t, run(t, `{ plan { catalogedMeasureCount } }`))["plan"].(map[string]any)
		if p["catalogedMeasureCount"].(float64) != 39 {
			t.Errorf("catalogued %v after one new measure, want 39", p["catalogedMeasureCount"])
		}
	})

	// A mutation happens completely or not at all.
	t.Run("FailedUpsertWritesNothing", func(t *testing.T) {
		cases := []struct{ name, input, code string }{
			{"UnknownSource", `{plan: "shenzhen-pdz-action-plan", code: "S2.A8.M3", title: "x", sources: [{source: "no-such-source", excerpt: "x"}]}`, "NOT_FOUND"},
			{"UnknownAspect", `{plan: "shenzhen-pdz-action-plan", code: "S2.A9.M1", title: "x"}`, "NOT_FOUND"},
			{"UnknownPlan", `{plan: "no-such-plan", code: "S1.M1", title: "x"}`, "NOT_FOUND"},
			{"BadCode", `{plan: "shenzhen-pdz-action-plan", code: "M1", title: "x"}`, "BAD_USER_INPUT"},
			{"EmptyTitle", `{plan: "shenzhen-pdz-action-plan", code: "S2.A8.M3", title: "  "}`, "BAD_USER_INPUT"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := run(t, `mutation { upsertMeasure(input: `+c.input+`) { code } }`)
				if r.code() != c.code {
					t.Errorf("code %q, want %s: %+v", r.code(), c.code, r.Errors)
				}
			})
		}
		if m := data(t, run(t, `{ measure(code: "S2.A8.M3") { code } }`)); m["measure"] != nil {
			t.Errorf("a failed upsert left a measure behind: %v", m)
		}
	})

	t.Run("LinkAndUnlink", func(t *testing.T) {
		// S2.A1.M1 has no target date in the file (its sources give none).
		r := run(t, `mutation { linkMeasure(input: {code: "S2.A1.M1", kind: MILESTONE, target: "2035", source: {source: "xinhua-2019-08-18", excerpt: "By 2035, Shenzhen will become a national model"}}) { milestones { year } } }`)
		years := data(t, r)["linkMeasure"].(map[string]any)["milestones"].([]any)
		if len(years) != 1 {
			t.Fatalf("milestones after link: %v", years)
		}
		// Linking again changes nothing (idempotent).
		r = run(t, `mutation { linkMeasure(input: {code: "S2.A1.M1", kind: MILESTONE, target: "2035"}) { milestones { year } } }`)
		if n := len(data(t, r)["linkMeasure"].(map[string]any)["milestones"].([]any)); n != 1 {
			t.Errorf("milestones after a second link: %d", n)
		}
		// The filter on milestone years sees the new link.
		f := data(t, run(t, `{ measures(filter: {milestoneYear: {min: 2030}}) { nodes { code } } }`))
		if s, _ := json.Marshal(f); !strings.Contains(string(s), "S2.A1.M1") {
			t.Errorf("milestone filter does not see the new link: %s", s)
		}
		r = run(t, `mutation { unlinkMeasure(input: {code: "S2.A1.M1", kind: MILESTONE, target: "2035"}) { milestones { year } } }`)
		if n := len(data(t, r)["unlinkMeasure"].(map[string]any)["milestones"].([]any)); n != 0 {
			t.Errorf("milestones after unlink: %d", n)
		}
		for _, bad := range []struct{ q, code string }{
			{`mutation { linkMeasure(input: {code: "S1.M1", kind: PROJECT, target: "no-such-project"}) { code } }`, "NOT_FOUND"},
			{`mutation { linkMeasure(input: {code: "S9.M1", kind: PROJECT, target: "qianhai-free-trade-zone"}) { code } }`, "NOT_FOUND"},
			{`mutation { linkMeasure(input: {code: "S1.M1", kind: PROJECT, target: "qianhai-free-trade-zone", source: {source: "nowhere", excerpt: "x"}}) { code } }`, "NOT_FOUND"},
		} {
			if r := run(t, bad.q); r.code() != bad.code {
				t.Errorf("%s: code %q, want %s", bad.q, r.code(), bad.code)
			}
		}
	})

	// The loader does not undo a status set through the API.
	t.Run("LoaderKeepsStatusSetThroughTheAPI", func(t *testing.T) {
		run(t, `mutation { setMeasureStatus(code: "S3.M1", status: COMPLETED) { status } }`)
		st := testneo4j.Store(t)
		ds, err := dataset.Parse("../data/shenzhen-2019-2025.yaml")
		if err != nil {
			t.Fatal(err)
		}
		// Change the measure's title in the file so the loader rewrites it.
		for i := range ds.Plans {
			for j := range ds.Plans[i].Sections {
				for k := range ds.Plans[i].Sections[j].Measures {
					if m := &ds.Plans[i].Sections[j].Measures[k]; m.Code == "S3.M1" {
						m.Title += " (revised)"
					}
				}
			}
		}
		if _, err := st.Load(context.Background(), store.ToRows(ds, "shenzhen-2019-2025"), store.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		m := data(t, run(t, `{ measure(code: "S3.M1") { title status } }`))["measure"].(map[string]any)
		if !strings.HasSuffix(m["title"].(string), "(revised)") || m["status"] != "COMPLETED" {
			t.Errorf("after a reload: %v (want the file's title and the API's status)", m)
		}
	})
}
