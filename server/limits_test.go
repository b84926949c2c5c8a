package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/server"
)

// A Limits with some fields set keeps the defaults of the others: before,
// Limits{MaxDepth: 5} left MaxBodyBytes at 0 and every POST was a 413.
func TestPartialLimitsKeepTheOtherDefaults(t *testing.T) {
	h := server.NewHandler(server.Deps{Log: zap.NewNop(), Limits: server.Limits{MaxDepth: 2}})
	post := func(query string) (int, string) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query})
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	t.Run("OK", func(t *testing.T) {
		if status, body := post("{ __typename }"); status != http.StatusOK || !strings.Contains(body, `"__typename":"Query"`) {
			t.Errorf("status %d, body %s; want 200 and the data", status, body)
		}
	})
	t.Run("TheSetLimitHolds", func(t *testing.T) {
		if _, body := post("{ plans { sections { title } } }"); !strings.Contains(body, "3 levels deep, more than the limit of 2") {
			t.Errorf("a query 3 levels deep was not rejected by MaxDepth 2: %s", body)
		}
	})
	t.Run("TheOthersAreTheDefaults", func(t *testing.T) {
		aliases := make([]string, server.DefaultLimits.MaxAliases)
		for i := range aliases {
			aliases[i] = "a" + string(rune('a'+i)) + ": __typename"
		}
		if status, body := post("{ " + strings.Join(aliases, " ") + " }"); status != http.StatusOK || strings.Contains(body, "errors") {
			t.Errorf("%d aliases (the default limit) were refused: status %d, %s", len(aliases), status, body)
		}
		if _, body := post("{ x: __typename " + strings.Join(aliases, " ") + " }"); !strings.Contains(body, fmt.Sprintf("more than the limit of %d", server.DefaultLimits.MaxAliases)) {
			t.Errorf("%d aliases were accepted: %s", len(aliases)+1, body)
		}
	})
}
