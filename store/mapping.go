package store

import (
	"fmt"
)

// Checked reads of the values Neo4j returns inside records: maps, lists and
// their elements. A value of an unexpected type is an error that names what
// was being read, never a zero value or a panic. Columns are read with
// recordValue, node properties with propReader (scan.go).

// as is v as a T; what names the value in the error. A null is an error:
// use asOpt where a null is legitimate.
func as[T any](v any, what string) (T, error) {
	t, ok := v.(T)
	if !ok {
		if v == nil {
			return t, fmt.Errorf("%s is null, not %s", what, typeName[T]())
		}
		return t, fmt.Errorf("%s is a %T, not %s", what, v, typeName[T]())
	}
	return t, nil
}

// asOpt is v as a T, or T's zero value when v is null (an optional property,
// an absent relationship property); a value of any other type is an error.
func asOpt[T any](v any, what string) (T, error) {
	if v == nil {
		var zero T
		return zero, nil
	}
	return as[T](v, what)
}

// typeName names T as Cypher would, for error messages.
func typeName[T any]() string {
	var zero T
	switch any(zero).(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("a %T", zero)
}
