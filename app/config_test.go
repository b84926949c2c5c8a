package app_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shenzhenplan/kgapi/app"
	"github.com/shenzhenplan/kgapi/graph"
	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
	"github.com/shenzhenplan/kgapi/store"
)

func TestLoadConfig(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr []string // substrings; empty: valid
		check   func(t *testing.T, c app.Config)
	}{
		{name: "Defaults", check: func(t *testing.T, c app.Config) {
			if c.Neo4jURI != "bolt://127.0.0.1:7687" || c.ListenAddr != "127.0.0.1:8080" || c.LogFormat != "json" || c.QueryTimeout != 10*time.Second || c.Neo4jDatabase != "neo4j" {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "EnvironmentIsRead", env: map[string]string{"NEO4J_URI": "neo4j://db.example.org:7687", "CORS_ORIGINS": "https://a.example.org, http://localhost:5173/", "LOG_LEVEL": "DEBUG"},
			check: func(t *testing.T, c app.Config) {
				if c.Neo4jURI != "neo4j://db.example.org:7687" || len(c.CORSOrigins) != 2 || c.CORSOrigins[1] != "http://localhost:5173" || c.LogLevel != "debug" {
					t.Errorf("from env: %+v", c)
				}
			}},
		{name: "FlagOverridesEnvironment", env: map[string]string{"LISTEN_ADDR": "127.0.0.1:1"}, args: []string{"-listen-addr", "0.0.0.0:9090"},
			check: func(t *testing.T, c app.Config) {
				if c.ListenAddr != "0.0.0.0:9090" {
					t.Errorf("listen addr %q, want the flag's", c.ListenAddr)
				}
			}},
		{name: "BadScheme", env: map[string]string{"NEO4J_URI": "http://localhost:7474"}, wantErr: []string{"NEO4J_URI", "bolt://"}},
		{name: "BadListenAddr", env: map[string]string{"LISTEN_ADDR": "8080"}, wantErr: []string{"LISTEN_ADDR"}},
		{name: "BadOrigin", env: map[string]string{"CORS_ORIGINS": "example.org"}, wantErr: []string{"CORS_ORIGINS", "example.org"}},
		{name: "OriginPattern", env: map[string]string{"CORS_ORIGINS": "https://*.example.org"}, wantErr: []string{"CORS_ORIGINS", "*.example.org"}},
		{name: "AnyOriginInAList", env: map[string]string{"CORS_ORIGINS": "https://a.example.org,*"}, wantErr: []string{"CORS_ORIGINS", "stands alone"}},
		{name: "AnyOrigin", env: map[string]string{"CORS_ORIGINS": " * "}, check: func(t *testing.T, c app.Config) {
			if len(c.CORSOrigins) != 1 || c.CORSOrigins[0] != "*" {
				t.Errorf("CORS origins %q, want [*]", c.CORSOrigins)
			}
		}},
		{name: "BadLogFormat", env: map[string]string{"LOG_FORMAT": "xml"}, wantErr: []string{"LOG_FORMAT"}},
		{name: "BadTimeout", env: map[string]string{"QUERY_TIMEOUT": "soon"}, wantErr: []string{"QUERY_TIMEOUT"}},
		{name: "AllProblemsAtOnce", env: map[string]string{"LOG_LEVEL": "loud", "NEO4J_MAX_POOL": "0"}, wantErr: []string{"LOG_LEVEL", "NEO4J_MAX_POOL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := app.LoadConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, c)
				return
			}
			if err == nil {
				t.Fatal("invalid configuration accepted")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// The documented defaults are the ones the code applies when a setting is
// absent: the table derives them from the same constants.
func TestDefaultsAreTheCodes(t *testing.T) {
	c, err := app.LoadConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits != server.DefaultLimits {
		t.Errorf("limits %+v, want server.DefaultLimits %+v", c.Limits, server.DefaultLimits)
	}
	if c.QueryTimeout != plan.DefaultQueryTimeout || c.ResponseCacheTTL != server.DefaultResponseCacheTTL ||
		c.ChangePollInterval != graph.DefaultFollowInterval || c.ChangeLogRetention != store.DefaultChangeRetention ||
		c.TrustedDocuments != server.TrustedOff {
		t.Errorf("defaults differ from the code's: %+v", c)
	}
}
