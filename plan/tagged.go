package plan

import "reflect"

// TaggedProps reads the stored properties of a node of a kind whose rows
// the model alone describes (KindModel.Records): the fields of its Go type
// tagged `kg:"<property>"`, by property, without the id, nil pointers and
// empty values left out. The exports write such nodes from it.
func TaggedProps(n Node) map[string]any {
	out := map[string]any{}
	v := reflect.ValueOf(n)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return out
	}
	v = v.Elem()
	for i := range v.NumField() {
		name, ok := v.Type().Field(i).Tag.Lookup("kg")
		if !ok || name == "id" {
			continue
		}
		f := v.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		}
		if f.IsZero() {
			continue
		}
		out[name] = f.Interface()
	}
	return out
}
