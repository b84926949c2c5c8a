package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shenzhenplan/kgapi/plan"
	"github.com/shenzhenplan/kgapi/server"
)

// The plan (extensions.plan) appears only when the knob is on, the request
// carries a valid token and asks with X-Debug: plan; then it has one entry
// per Cypher round trip the request made, each with its text and its
// parameters' names and types, never their values.
func TestDebugPlan(t *testing.T) {
	// Three levels: the page, then each measure's sectors through the
	// dataloader (or the compiled page), plus a search whose text must not
	// show up anywhere in the plan.
	const query = `{ measures(first: 3) { nodes { code sectors { name } } } search(text: "Qianhai-secret-input") { score } }`
	servers := map[bool]string{}
	var rt plan.RoundTrips
	for _, on := range []bool{false, true} {
		servers[on] = guarded(t, &rt, server.Deps{Tokens: tokens(t), DebugPlan: on, ResponseCacheBytes: 1 << 20}).URL
	}
	cases := []struct {
		name     string
		knob     bool
		token    string
		header   string
		wantPlan bool
		wantCode string
	}{
		{"AllThree", true, secret, "plan", true, ""},
		{"AllThreeInAList", true, secret, "timing, plan", true, ""},
		{"KnobOff", false, secret, "plan", false, ""},
		{"NoToken", true, "", "plan", false, ""},
		{"WrongToken", true, "wrong", "plan", false, "UNAUTHENTICATED"},
		{"NoHeader", true, secret, "", false, ""},
		{"OtherHeader", true, secret, "cost", false, ""},
		{"NothingAtAll", false, "", "", false, ""},
		// Twice: the second would be a response cache hit without its plan.
		{"AllThreeAgain", true, secret, "plan", true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": query})
			req, _ := http.NewRequest(http.MethodPost, servers[c.knob]+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			if c.header != "" {
				req.Header.Set("X-Debug", c.header)
			}
			before := rt.Count()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			trips := rt.Count() - before
			var out struct {
				Data       json.RawMessage                       `json:"data"`
				Errors     []struct{ Extensions map[string]any } `json:"errors"`
				Extensions map[string]json.RawMessage            `json:"extensions"`
			}
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("not JSON: %s", raw)
			}
			code := ""
			if len(out.Errors) > 0 {
				code, _ = out.Errors[0].Extensions["code"].(string)
			}
			if code != c.wantCode {
				t.Fatalf("code %q, want %q: %s", code, c.wantCode, raw)
			}
			planJSON, has := out.Extensions["plan"]
			if has != c.wantPlan {
				t.Fatalf("extensions.plan present: %v, want %v: %s", has, c.wantPlan, raw)
			}
			if !has {
				return
			}
			var plan []struct {
				Kind    string            `json:"kind"`
				Cypher  string            `json:"cypher"`
				Params  map[string]string `json:"params"`
				StartMs *float64          `json:"startMs"`
				Ms      *float64          `json:"ms"`
				Rows    *int              `json:"rows"`
			}
			if err := json.Unmarshal(planJSON, &plan); err != nil {
				t.Fatalf("plan: %v: %s", err, planJSON)
			}
			if len(plan) != trips || trips < 2 {
				t.Fatalf("%d plan entries for %d round trips (want equal, at least 2): %s", len(plan), trips, planJSON)
			}
			for i, e := range plan {
				if e.Kind != "read" || strings.TrimSpace(e.Cypher) == "" || e.Ms == nil || *e.Ms < 0 || e.StartMs == nil || e.Rows == nil {
					t.Errorf("entry %d incomplete: %+v", i, e)
				}
				for name, typ := range e.Params {
					if name == "" || typ == "" || strings.Contains(typ, "Qianhai") {
						t.Errorf("entry %d: parameter %q: %q", i, name, typ)
					}
				}
			}
			if bytes.Contains(planJSON, []byte("Qianhai-secret-input")) {
				t.Errorf("the plan shows a parameter's value: %s", planJSON)
			}
		})
	}
}
