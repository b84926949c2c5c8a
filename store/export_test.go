package store

import "github.com/shenzhenplan/kgapi/plan"

// CompileMeasures exposes the measure-page compiler to the external tests,
// which PROFILE what it emits.
func CompileMeasures(q plan.MeasureQuery, scopes []string) (string, map[string]any, error) {
	cm, err := compileMeasures(q, scopes)
	if err != nil {
		return "", nil, err
	}
	return cm.cypher, cm.params, nil
}
