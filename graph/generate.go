package graph

// gqlgen runs from the repository root, where gqlgen.yml and schema.graphqls live.
//go:generate sh -c "cd .. && go tool gqlgen generate --config gqlgen.yml"
