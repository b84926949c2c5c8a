// Package settings is how the commands read their settings: a table of
// knobs, each an environment variable overridden by its flag, and the
// Neo4j connection's knobs that the API and the loader share.
package settings

import (
	"flag"
	"strings"

	"github.com/shenzhenplan/kgapi/devdb"
)

// Knob is one setting: its environment variable, its flag, its default
// (as the flag would be written) and its help.
type Knob struct {
	Env, Flag, Default, Help string
}

// Neo4j are the connection's knobs, the same for every command.
var Neo4j = []Knob{
	{"NEO4J_URI", "neo4j-uri", "bolt://127.0.0.1:7687", "Neo4j address: bolt://host:port for one server, neo4j://host:port for a cluster (+s / +ssc for TLS)"},
	{"NEO4J_USER", "neo4j-user", "neo4j", "Neo4j user"},
	{"NEO4J_PASSWORD", "neo4j-password", devdb.DefaultPassword, "Neo4j password (the default is the local development database's)"},
	{"NEO4J_DATABASE", "neo4j-database", "neo4j", "Neo4j database name"},
}

// Values are the knobs' values once the flags are parsed, by variable name.
type Values map[string]*string

// Register declares a flag on fs for each knob, whose default is the
// environment variable's value when set (getenv), else the knob's default.
func Register(fs *flag.FlagSet, getenv func(string) string, knobs []Knob) Values {
	vals := Values{}
	for _, k := range knobs {
		def := k.Default
		if v := getenv(k.Env); v != "" {
			def = v
		}
		vals[k.Env] = fs.String(k.Flag, def, k.Help+" ($"+k.Env+")")
	}
	return vals
}

// Get is the value of the knob env, trimmed.
func (v Values) Get(env string) string { return strings.TrimSpace(*v[env]) }

// Raw is the value of the knob env as given (a password keeps its spaces).
func (v Values) Raw(env string) string { return *v[env] }
