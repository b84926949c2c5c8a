package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/server"
)

// The built-in manifest (server/web-documents.json) holds exactly the
// documents the API's own pages send: the explorer's operations and
// GraphiQL's saved examples, byte for byte as the pages send them, so
// TRUSTED_DOCUMENTS=only does not break them. After editing either file,
// regenerate it: UPDATE_WEB_DOCUMENTS=1 go test ./server/ -run TestWebDocumentsManifest
func TestWebDocumentsManifest(t *testing.T) {
	sources := []struct {
		file string
		re   *regexp.Regexp
	}{
		// export const NAME_QUERY = `...`; (no escapes, no substitutions: explore's operations_test)
		{"explore/web/src/graphql.js", regexp.MustCompile("(?s)export const [A-Z_]+_QUERY = `([^`]*)`;")},
		// query: `...`, (a JavaScript template literal; \` is a backquote)
		{"playground/web/src/examples.js", regexp.MustCompile("(?s)\\bquery: `((?:[^`\\\\]|\\\\.)*)`")},
	}
	want := map[string]string{}
	for _, s := range sources {
		src, err := os.ReadFile(s.file)
		if err != nil {
			t.Fatal(err)
		}
		found := s.re.FindAllStringSubmatch(string(src), -1)
		if len(found) == 0 {
			t.Fatalf("%s: no documents found: has its layout changed?", s.file)
		}
		for _, m := range found {
			text := unescapeTemplate(m[1])
			if strings.Contains(text, "${") {
				t.Fatalf("%s: a document with a substitution: %q", s.file, text)
			}
			sum := sha256.Sum256([]byte(text))
			want["sha256:"+hex.EncodeToString(sum[:])] = text
		}
	}
	b, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if os.Getenv("UPDATE_WEB_DOCUMENTS") != "" {
		if err := os.WriteFile("web-documents.json", b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote web-documents.json: %d documents (rebuild the binary to embed it)", len(want))
		return
	}
	if string(server.WebDocuments()) != string(b) {
		t.Fatalf("web-documents.json is stale (%d documents expected): UPDATE_WEB_DOCUMENTS=1 go test ./server/ -run TestWebDocumentsManifest", len(want))
	}
	m, err := server.LoadManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != len(want) {
		t.Fatalf("built-in manifest has %d documents, want %d", m.Len(), len(want))
	}
}

// unescapeTemplate turns a template literal's source into its value for the
// escapes the examples use (\` \\ \$).
func unescapeTemplate(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
