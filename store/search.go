package store

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shenzhenplan/kgapi/plan"
)

// LuceneQuery turns user text into a Lucene query that means "any of these
// words": every character with a meaning in Lucene's syntax is escaped and
// the operators AND, OR, NOT and TO are lower-cased, so user text never
// errors or changes the query's meaning. It returns "" for text with no words.
func LuceneQuery(text string) string {
	var terms []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		switch f {
		case "AND", "OR", "NOT", "TO":
			f = strings.ToLower(f)
		}
		var b strings.Builder
		for _, r := range f {
			if strings.ContainsRune(`+-&|!(){}[]^"~*?:\/`, r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		if b.Len() > 0 {
			terms = append(terms, b.String())
		}
	}
	return strings.Join(terms, " ")
}

// Search implements plan.Store.
func (s *Store) Search(ctx context.Context, text string, kinds []plan.Kind, first int) ([]plan.SearchHit, error) {
	q := LuceneQuery(text)
	if q == "" {
		return nil, nil
	}
	var labels any
	if len(kinds) > 0 {
		l := make([]string, len(kinds))
		for i, k := range kinds {
			l[i] = string(k)
		}
		labels = l
	}
	recs, err := s.read(ctx, `CALL db.index.fulltext.queryNodes($index, $q, {limit: $fetch}) YIELD node, score
WHERE $labels IS NULL OR any(l IN labels(node) WHERE l IN $labels)
WITH node, score
ORDER BY score DESC, node.id
LIMIT $first
RETURN `+anyNodeExpr("node")+` AS node, score`, map[string]any{"index": SearchIndex, "q": q, "labels": labels, "first": int64(first), "fetch": int64(first * 20)})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", truncate(text, 40), err)
	}
	words := strings.Fields(strings.ToLower(text))
	hits := make([]plan.SearchHit, 0, len(recs))
	for _, rec := range recs {
		n, err := scanRecord(rec, "node")
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		score, err := recordValue[float64](rec, "score")
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		props, err := recordNode(rec, "node")
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		snip, err := snippet(props, words)
		if err != nil {
			return nil, fmt.Errorf("search: snippet of %s: %w", n.NodeID(), err)
		}
		hits = append(hits, plan.SearchHit{Node: n, Score: score, Snippet: snip})
	}
	return hits, nil
}

// snippet is the first text field that contains a searched word, cut to
// about 160 characters around it. A text field that is not a string is an
// error.
func snippet(props map[string]any, words []string) (*string, error) {
	p := &propReader{m: props}
	for _, field := range []string{"title", "name", "titleZh", "nameZh", "summary", "description", "label", "code"} {
		v := p.str(field)
		if p.err != nil {
			return nil, p.err
		}
		if v == "" {
			continue
		}
		lv := strings.ToLower(v)
		for _, w := range words {
			if i := strings.Index(lv, w); i >= 0 {
				out := around(v, i, 160)
				return &out, nil
			}
		}
	}
	return nil, nil
}

func around(s string, at, width int) string {
	if len(s) <= width {
		return s
	}
	start := max(0, at-width/3)
	for start > 0 && !utf8.RuneStart(s[start]) {
		start--
	}
	end := min(len(s), start+width)
	for end < len(s) && !utf8.RuneStart(s[end]) {
		end++
	}
	out := s[start:end]
	if start > 0 {
		out = "…" + out
	}
	if end < len(s) {
		out += "…"
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
