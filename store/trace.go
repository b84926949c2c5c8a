package store

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracer makes a span per Cypher transaction. Without a configured tracer
// provider (no OTEL_ variables) it is a no-op.
var tracer = otel.Tracer("github.com/shenzhenplan/kgapi/store")

func startSpan(ctx context.Context, name, cypher string) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{attribute.String("db.system", "neo4j")}
	if cypher != "" {
		// Our own parameterised text: it never holds user data.
		attrs = append(attrs, attribute.String("db.query.text", truncate(cypher, 500)))
	}
	return tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "neo4j call failed")
	}
	span.End()
}
