package graph

// gqlgen runs from the repository root, where gqlgen.yml and schema.graphqls
// live: internal/gqlgen is gqlgen's generate plus the pass that marshals
// lists of leaf objects without a goroutine per element.
//go:generate sh -c "cd .. && go run ./internal/gqlgen"
