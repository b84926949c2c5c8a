package graph_test

import "testing"

func TestSmoke(t *testing.T) {
	e := newEnv(t)
	var d struct{ Plans []struct{ Slug string } }
	query(t, e.url, `{ plans { slug } }`, nil, &d)
	t.Log(d, len(e.x.measures))
}
