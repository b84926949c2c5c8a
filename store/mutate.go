package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

var _ plan.Writer = (*Store)(nil)

// EditSource is the source that API edits cite when the caller gives none.
const EditSource = "api-edit"

// findMeasure is the start of every measure mutation: the measure with the
// code in the plan (any plan when $plan is null, the first by plan id).
const findMeasure = `MATCH (m:Measure {code: $code}) WHERE $plan IS NULL OR m.plan = $plan
WITH m ORDER BY m.plan LIMIT 1
`

// SetMeasureStatus implements plan.Writer: the status and one appended
// history entry, in one write transaction.
func (s *Store) SetMeasureStatus(ctx context.Context, planSlug, code string, status plan.Status, note, asOf *string, by string) (*plan.Measure, error) {
	var seq int64
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, findMeasure+`WITH m, m.status AS old
SET m.statusSeq = coalesce(m.statusSeq, 0) + 1, m.status = $status, m.statusSetBy = $by
CREATE (m)-[:HAS_STATUS_CHANGE]->(:StatusChange {seq: m.statusSeq, status: $status, note: $note, asOf: $asOf, recordedAt: toString(datetime()), by: $by})
RETURN m AS node, old`, map[string]any{"code": code, "plan": nullable(planIDOf(planSlug)), "status": string(status), "note": optStr(note), "asOf": optStr(asOf), "by": by})
		if err != nil {
			return nil, err
		}
		recs, err := res.Collect(ctx)
		if err != nil || len(recs) == 0 {
			return (*plan.Measure)(nil), err
		}
		props, err := recordNode(recs[0], "node")
		if err != nil {
			return nil, err
		}
		m, err := measureOf(props)
		if err != nil {
			return nil, err
		}
		old, err := recordValue[string](recs[0], "old")
		if err != nil {
			return nil, err
		}
		// The measure moves between the status counts of the nodes that count it.
		if err := moveStatusCount(ctx, tx, string(m.ID), plan.Status(old), status); err != nil {
			return nil, err
		}
		if seq, err = s.appendChange(ctx, tx, plan.Change{Kind: plan.ChangeMutation, IDs: []plan.ID{m.ID}, By: by}); err != nil {
			return nil, err
		}
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("set status of measure %s: %w", code, err)
	}
	plan.ReceiptFrom(ctx).Record(seq, nil)
	if out == nil || out.(*plan.Measure) == nil {
		return nil, plan.Errorf(plan.ENOTFOUND, "no measure with code %q%s", code, inPlan(planSlug))
	}
	return out.(*plan.Measure), nil
}

// UpsertMeasure implements plan.Writer. The measure's section (and aspect)
// come from its code and must exist in the plan; every source must exist.
func (s *Store) UpsertMeasure(ctx context.Context, in plan.MeasureWrite, by string) (*plan.Measure, bool, error) {
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	sec, asp, _ := plan.ParseMeasureCode(in.Code)
	planID := plan.NewID(plan.KindPlan, in.Plan)
	sectionID := plan.NewID(plan.KindSection, fmt.Sprintf("%s/S%d", in.Plan, sec))
	var aspectID any
	parent := string(sectionID)
	if asp > 0 {
		a := string(plan.NewID(plan.KindAspect, fmt.Sprintf("%s/S%d.A%d", in.Plan, sec, asp)))
		aspectID, parent = a, a
	}
	refs := make([]map[string]any, 0, len(in.Sources)+1)
	for _, r := range in.Sources {
		refs = append(refs, map[string]any{"source": string(plan.NewID(plan.KindSource, r.Source)), "sourceId": r.Source, "excerpt": r.Excerpt})
	}
	if len(refs) == 0 {
		refs = append(refs, map[string]any{"source": string(plan.NewID(plan.KindSource, EditSource)), "sourceId": EditSource, "excerpt": "edited by " + by})
	}
	props := map[string]any{
		"title": in.Title, "titleZh": optStr(in.TitleZh), "description": optStr(in.Description),
	}
	var status any
	if in.Status != nil {
		status = string(*in.Status)
	}
	type result struct {
		m       *plan.Measure
		created bool
	}
	var seq int64
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		// Check everything the measure will point at, in the same transaction.
		if err := checkUpsertTargets(ctx, tx, in, planID, parent, refs, asp > 0); err != nil {
			return nil, err
		}
		res, err := tx.Run(ctx, upsertMeasureCypher, map[string]any{
			"id": string(plan.NewID(plan.KindMeasure, in.Plan+"/"+in.Code)), "editSource": string(plan.NewID(plan.KindSource, EditSource)),
			"props": props, "plan": string(planID), "code": in.Code, "codeKey": CodeKey(in.Code),
			"section": string(sectionID), "aspect": aspectID, "sectionNumber": int64(sec), "aspectNumber": int64(asp),
			"status": status, "by": by, "parent": parent, "refs": refs,
			"sortSection": measureSortProps(sec, asp, nil)[sortSection], "noYear": int64(sortYearMissing),
			"searchText": measureSearchText(in.Code, in.Title, deref(in.TitleZh), deref(in.Description)),
		})
		if err != nil {
			return nil, err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return nil, err
		}
		props, err := recordNode(rec, "node")
		if err != nil {
			return nil, err
		}
		created, err := recordValue[bool](rec, "created")
		if err != nil {
			return nil, err
		}
		before, err := recordValue[[]any](rec, "before")
		if err != nil {
			return nil, err
		}
		// The counts of the plan (when the measure is new) and of the
		// section and aspect it left or joined.
		m, err := measureOf(props)
		if err != nil {
			return nil, err
		}
		ids, err := countsTouched(m, before, created, planID)
		if err != nil {
			return nil, err
		}
		oldStatus, err := recordValue[string](rec, "oldStatus")
		if err != nil {
			return nil, err
		}
		// A status change moves the measure between the status counts of
		// every node that counts it; the recount below then corrects the
		// section and aspect it may have left or joined.
		if !created {
			if err := moveStatusCount(ctx, tx, string(m.ID), plan.Status(oldStatus), m.Status); err != nil {
				return nil, err
			}
		}
		if len(ids) > 0 {
			if err := refreshCounts(ctx, tx, ids); err != nil {
				return nil, err
			}
		}
		if err := syncLinkKeys(ctx, tx, string(m.ID)); err != nil {
			return nil, err
		}
		if seq, err = s.appendChange(ctx, tx, plan.Change{Kind: plan.ChangeMutation, IDs: []plan.ID{m.ID}, By: by}); err != nil {
			return nil, err
		}
		return result{m, created}, nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("upsert measure %s/%s: %w", in.Plan, in.Code, err)
	}
	plan.ReceiptFrom(ctx).Record(seq, nil)
	r := out.(result)
	return r.m, r.created, nil
}

// upsertMeasureCypher writes a measure and what hangs on it: its section or
// aspect, its sources, and a status change when the status changes.
const upsertMeasureCypher = `OPTIONAL MATCH (old:Measure {id: $id})
WITH old IS NULL AS created, [old.sectionId, old.aspectId] AS before, old.status AS oldStatus
MERGE (src:Source:Entity {id: $editSource})
  ON CREATE SET src.title = 'Edits made through the API', src.dataset = 'api'
MERGE (m:Measure {id: $id})
  ON CREATE SET m:Entity, m.dataset = 'api', m.status = coalesce($status, 'UNKNOWN')
SET m += $props, m.plan = $plan, m.code = $code, m.codeKey = $codeKey,
    m.sectionId = $section, m.aspectId = $aspect, m.sectionNumber = $sectionNumber, m.aspectNumber = $aspectNumber,
    m.searchText = $searchText, m.sortSection = $sortSection, m.sortSectionDesc = -$sortSection,
    m.sortYear = coalesce(m.milestoneYear, $noYear), m.sortYearDesc = coalesce(-m.milestoneYear, $noYear),
    m.editedBy = $by, m.editedAt = toString(datetime())
FOREACH (_ IN CASE WHEN $status IS NULL OR $status = m.status THEN [] ELSE [1] END |
  SET m.statusSeq = coalesce(m.statusSeq, 0) + 1, m.status = $status, m.statusSetBy = $by
  CREATE (m)-[:HAS_STATUS_CHANGE]->(:StatusChange {seq: m.statusSeq, status: $status, recordedAt: toString(datetime()), by: $by}))
WITH m, created, before, oldStatus
OPTIONAL MATCH (m)-[old:PART_OF]->(x) WHERE x.id <> $parent
DELETE old
WITH DISTINCT m, created, before, oldStatus
MATCH (parent:Entity {id: $parent})
MERGE (m)-[r:PART_OF]->(parent) ON CREATE SET r.dataset = 'api'
WITH m, created, before, oldStatus
UNWIND $refs AS ref
MATCH (src:Source {id: ref.source})
MERGE (m)-[s:SUPPORTED_BY {excerpt: ref.excerpt}]->(src) ON CREATE SET s.source = ref.sourceId, s.dataset = 'api'
WITH DISTINCT m, created, before, oldStatus
RETURN m AS node, created, before, oldStatus`

// checkUpsertTargets checks, in the upsert's transaction, that the plan,
// the section or aspect and every cited source exist.
func checkUpsertTargets(ctx context.Context, tx neo4j.ManagedTransaction, in plan.MeasureWrite, planID plan.ID, parent string, refs []map[string]any, inAspect bool) error {
	res, err := tx.Run(ctx, `OPTIONAL MATCH (p:Plan {id: $plan})
OPTIONAL MATCH (parent:Entity {id: $parent})
WITH p, parent
UNWIND (CASE WHEN size($refs) = 0 THEN [null] ELSE $refs END) AS ref
OPTIONAL MATCH (src:Source {id: ref.source})
RETURN p IS NOT NULL AS plan, parent IS NOT NULL AS parent, collect(CASE WHEN src IS NULL THEN ref.sourceId END) AS missing`,
		map[string]any{"plan": string(planID), "parent": parent, "refs": refs})
	if err != nil {
		return err
	}
	rec, err := res.Single(ctx)
	if err != nil {
		return err
	}
	if ok, err := recordValue[bool](rec, "plan"); err != nil {
		return fmt.Errorf("check the plan: %w", err)
	} else if !ok {
		return plan.Errorf(plan.ENOTFOUND, "no plan with slug %q", in.Plan)
	}
	if ok, err := recordValue[bool](rec, "parent"); err != nil {
		return fmt.Errorf("check the parent: %w", err)
	} else if !ok {
		return plan.Errorf(plan.ENOTFOUND, "plan %q has no %s for code %s", in.Plan, map[bool]string{true: "aspect", false: "section"}[inAspect], in.Code)
	}
	missing, err := recordValue[[]any](rec, "missing")
	if err != nil {
		return fmt.Errorf("check the sources: %w", err)
	}
	for i, m := range missing {
		id, err := as[string](m, fmt.Sprintf("missing[%d]", i))
		if err != nil {
			return fmt.Errorf("check the sources: %w", err)
		}
		if id != "" && id != EditSource {
			return plan.Errorf(plan.ENOTFOUND, "no source with id %q", id)
		}
	}
	return nil
}

// countsTouched lists the nodes whose kept counts an upsert changes: the
// plan when the measure is new, and the section and aspect it left or
// joined (before holds the ids it had, nulls for a new measure or no
// aspect).
func countsTouched(m *plan.Measure, before []any, created bool, planID plan.ID) ([]string, error) {
	after := []any{string(m.SectionID)}
	if m.AspectID != nil {
		after = append(after, string(*m.AspectID))
	}
	var ids []string
	for i, v := range append(before, after...) {
		id, err := asOpt[string](v, fmt.Sprintf("before[%d]", i))
		if err != nil {
			return nil, err
		}
		if v != nil && (created || !slices.Contains(before, v) || !slices.Contains(after, v)) {
			ids = append(ids, id)
		}
	}
	if created {
		ids = append(ids, string(planID))
	}
	return ids, nil
}

// linkTarget is what a link kind links a measure to.
type linkTarget struct {
	rel   string
	label plan.Kind
}

// linkTargets is the allow-list of link kinds, from the model: each
// relationship the Measure kind has to another kind, named by the kind in
// capitals (PROJECT, SECTOR, PLACE, MILESTONE).
var linkTargets = func() map[plan.LinkKind]linkTarget {
	measure, _ := plan.KindOf(plan.KindMeasure)
	out := map[plan.LinkKind]linkTarget{}
	for _, e := range measure.Edges {
		if e.Type != "" && e.Ref == "" {
			out[plan.LinkKind(strings.ToUpper(string(e.To)))] = linkTarget{e.Type, e.To}
		}
	}
	return out
}()

// LinkMeasure implements plan.Writer. A measure's milestoneYear follows its DUE_BY links.
func (s *Store) LinkMeasure(ctx context.Context, in plan.LinkWrite, remove bool, by string) (*plan.Measure, error) {
	t, ok := linkTargets[in.Kind]
	if !ok {
		return nil, plan.Errorf(plan.EINVALID, "unknown link kind %q", in.Kind)
	}
	if in.Target == "" || len(in.Target) > 200 {
		return nil, plan.Errorf(plan.EINVALID, "target must be a slug")
	}
	ref := plan.SourceRef{Source: EditSource, Excerpt: "linked by " + by}
	if in.Source != nil {
		if err := in.Source.Validate(); err != nil {
			return nil, err
		}
		ref = *in.Source
	}
	change := `MERGE (m)-[r:` + t.rel + `]->(t)
  ON CREATE SET r.source = $sourceId, r.excerpt = $excerpt, r.dataset = 'api'
MERGE (src:Source:Entity {id: $source})
  ON CREATE SET src.title = 'Edits made through the API', src.dataset = 'api'`
	if remove {
		change = `WITH m, t OPTIONAL MATCH (m)-[r:` + t.rel + `]->(t) DELETE r`
	}
	var seq int64
	out, err := s.write(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		if !remove && ref.Source != EditSource {
			res, err := tx.Run(ctx, "MATCH (s:Source {id: $id}) RETURN count(s) AS n", map[string]any{"id": string(plan.NewID(plan.KindSource, ref.Source))})
			if err != nil {
				return nil, err
			}
			rec, err := res.Single(ctx)
			if err != nil {
				return nil, err
			}
			if n, err := recordValue[int64](rec, "n"); err != nil {
				return nil, fmt.Errorf("check the source: %w", err)
			} else if n == 0 {
				return nil, plan.Errorf(plan.ENOTFOUND, "no source with id %q", ref.Source)
			}
		}
		res, err := tx.Run(ctx, findMeasure+`OPTIONAL MATCH (t:`+string(t.label)+` {id: $target})
RETURN m IS NOT NULL AS measure, t IS NOT NULL AS target`, map[string]any{
			"code": in.Code, "plan": nullable(planIDOf(in.Plan)), "target": string(plan.NewID(t.label, in.Target))})
		if err != nil {
			return nil, err
		}
		recs, err := res.Collect(ctx)
		if err != nil {
			return nil, err
		}
		if len(recs) == 0 {
			return nil, plan.Errorf(plan.ENOTFOUND, "no measure with code %q%s", in.Code, inPlan(in.Plan))
		}
		if ok, err := recordValue[bool](recs[0], "target"); err != nil {
			return nil, fmt.Errorf("check the target: %w", err)
		} else if !ok {
			return nil, plan.Errorf(plan.ENOTFOUND, "no %s with slug %q", lower(string(t.label)), in.Target)
		}
		res, err = tx.Run(ctx, findMeasure+`MATCH (t:`+string(t.label)+` {id: $target})
`+change+`
WITH DISTINCT m, t
SET m.editedBy = $by, m.editedAt = toString(datetime()),
    m.milestoneYear = COLLECT { MATCH (m)-[:DUE_BY]->(y:Milestone) RETURN y.year ORDER BY y.year LIMIT 1 }[0]
SET m.sortYear = coalesce(m.milestoneYear, $noYear), m.sortYearDesc = coalesce(-m.milestoneYear, $noYear)
WITH m, t
CALL {
  WITH t
  MATCH (t)-[:`+plan.RelTypeWithin+`*0..8]->(c)
  RETURN collect(c.id) AS counted
}
RETURN m AS node, counted`, map[string]any{
			"code": in.Code, "plan": nullable(planIDOf(in.Plan)), "target": string(plan.NewID(t.label, in.Target)),
			"source": string(plan.NewID(plan.KindSource, ref.Source)), "sourceId": ref.Source, "excerpt": ref.Excerpt, "by": by,
			"noYear": int64(sortYearMissing),
		})
		if err != nil {
			return nil, err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return nil, err
		}
		props, err := recordNode(rec, "node")
		if err != nil {
			return nil, err
		}
		// The target's count and, for a place, those of the places it is within.
		counted, err := recordValue[[]any](rec, "counted")
		if err != nil {
			return nil, err
		}
		ids := make([]string, 0, len(counted))
		for i, v := range counted {
			id, err := as[string](v, fmt.Sprintf("counted[%d]", i))
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		if err := refreshCounts(ctx, tx, ids); err != nil {
			return nil, err
		}
		m, err := measureOf(props)
		if err != nil {
			return nil, err
		}
		if err := syncLinkKeys(ctx, tx, string(m.ID)); err != nil {
			return nil, err
		}
		if seq, err = s.appendChange(ctx, tx, plan.Change{Kind: plan.ChangeMutation, IDs: []plan.ID{m.ID}, By: by}); err != nil {
			return nil, err
		}
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("link measure %s to %s %s: %w", in.Code, in.Kind, in.Target, err)
	}
	plan.ReceiptFrom(ctx).Record(seq, nil)
	return out.(*plan.Measure), nil
}

// StatusHistory implements plan.Writer: newest first, for all ids in one round trip.
func (s *Store) StatusHistory(ctx context.Context, ids []plan.ID) (map[plan.ID][]plan.StatusChange, error) {
	recs, err := s.read(ctx, `UNWIND $ids AS key
MATCH (:Measure {id: key})-[:HAS_STATUS_CHANGE]->(c:StatusChange)
RETURN key, c.status AS status, c.note AS note, c.asOf AS asOf, c.recordedAt AS recordedAt, c.by AS by
ORDER BY key, c.seq DESC`, map[string]any{"ids": idStrings(ids)})
	if err != nil {
		return nil, fmt.Errorf("status history of %d measures: %w", len(ids), err)
	}
	out := map[plan.ID][]plan.StatusChange{}
	for _, rec := range recs {
		key, c, err := scanStatusChange(rec)
		if err != nil {
			return nil, fmt.Errorf("status history: %w", err)
		}
		out[plan.ID(key)] = append(out[plan.ID(key)], c)
	}
	return out, nil
}

// scanStatusChange reads a record of StatusHistory: the measure's id and
// the change. Every column but key is a property of the change, optional
// (null reads as "", and as nil for note and asOf); a value of another type
// is an error.
func scanStatusChange(rec *neo4j.Record) (string, plan.StatusChange, error) {
	var cols [6]string
	for i, k := range []string{"key", "status", "note", "asOf", "recordedAt", "by"} {
		v, err := recordValue[string](rec, k)
		if err != nil {
			return "", plan.StatusChange{}, err
		}
		cols[i] = v
	}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return cols[0], plan.StatusChange{
		Status: plan.Status(cols[1]), Note: opt(cols[2]), AsOf: opt(cols[3]), RecordedAt: cols[4], By: cols[5],
	}, nil
}

func singleMeasure(ctx context.Context, res neo4j.ResultWithContext) (*plan.Measure, error) {
	recs, err := res.Collect(ctx)
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	props, err := recordNode(recs[0], "node")
	if err != nil {
		return nil, err
	}
	return measureOf(props)
}

func optStr(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func inPlan(slug string) string {
	if slug == "" {
		return ""
	}
	return fmt.Sprintf(" in plan %q", slug)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// syncLinkKeys gives every link of the measure id to a scope node the
// measure's current sort keys (linkKeys), in tx.
func syncLinkKeys(ctx context.Context, tx neo4j.ManagedTransaction, id string) error {
	res, err := tx.Run(ctx, "MATCH (m:Measure {id: $id})-[r:"+strings.Join(linkTypes, "|")+"]->(h)\n"+linkKeysSet("r", "m", "h"), map[string]any{"id": id})
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		return fmt.Errorf("sort keys of the links of %s: %w", id, err)
	}
	return nil
}
