package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shenzhenplan/kgapi/plan"
)

// X-Debug: plan (DEBUG_PLAN=true): a request that carries a valid token and
// the header gets, in its response's extensions.plan, every Cypher round
// trip the response made, in the order they started: its parameterised
// text, its parameters' names and types (never their values: they hold the
// caller's input), when it started and how long it took in milliseconds,
// and the rows it returned. The store records them (plan.RoundTripLog);
// without the knob, the token or the header nothing is recorded.

type planWantedKey struct{}

func planWanted(ctx context.Context) bool {
	b, _ := ctx.Value(planWantedKey{}).(bool)
	return b
}

// wantsPlan reports whether the X-Debug header asks for the plan
// (X-Debug: plan, or a comma-separated list that names it).
func wantsPlan(h http.Header) bool {
	for _, v := range h.Values("X-Debug") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "plan") {
				return true
			}
		}
	}
	return false
}

// withDebugPlan marks the requests whose responses show their plan: the
// knob is on, the request carries a valid token and asks with X-Debug.
func withDebugPlan(enabled bool, next http.Handler) http.Handler {
	if !enabled {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if callerFrom(r.Context()).authenticated && wantsPlan(r.Header) {
			r = r.WithContext(context.WithValue(r.Context(), planWantedKey{}, true))
		}
		next.ServeHTTP(w, r)
	})
}

// recordPlan is the response middleware that records the round trips of a
// response that asked for its plan and adds them to its extensions.
func recordPlan(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !planWanted(ctx) {
		return next(ctx)
	}
	log := plan.NewRoundTripLog()
	resp := next(plan.WithRoundTripLog(ctx, log))
	if resp == nil {
		return nil
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["plan"] = log.Entries()
	return resp
}
