// Package tracing sets up OpenTelemetry traces: exported by OTLP over HTTP
// when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
// set (the exporter reads the standard OTEL_EXPORTER_OTLP_* variables),
// and off otherwise. A trace starts at the API's HTTP request, crosses the
// Temporal client into the case workflow and its activities (the SDK's
// tracing interceptor, see temporalclient.Dial) and reaches every pgx query
// (otelpgx, see postgres.Open). It also puts the trace and request IDs on
// log records (LogHandler).
package tracing

import (
	"context"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation name of casedesk's own spans.
const Name = "github.com/casedesk/casedesk"

// Tracer makes casedesk's own spans (the HTTP server span).
func Tracer() trace.Tracer { return otel.Tracer(Name) }

// Setup installs the global tracer provider and the W3C trace-context
// propagator. With enabled false nothing is exported and spans cost next
// to nothing. The returned function flushes and stops the exporter.
func Setup(ctx context.Context, enabled bool, service string) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if !enabled {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(service)))
	if err != nil {
		return nil, err
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over service.
	if env, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, env); err == nil {
			res = merged
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the API request's ID, for the logs.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request ID ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// LogAttrs are the request_id and trace_id ctx carries, as slog arguments
// (none when ctx has neither).
func LogAttrs(ctx context.Context) []any {
	var out []any
	if id := RequestID(ctx); id != "" {
		out = append(out, slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		out = append(out, slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return out
}

// LogHandler wraps h so that a record logged with a context (InfoContext
// and the like) carries the request ID and the trace and span IDs of that
// context. Records without them pass unchanged.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if attrs := LogAttrs(ctx); len(attrs) > 0 {
			r = r.Clone()
			r.Add(attrs...)
		}
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(attrs)}
}

func (l logHandler) WithGroup(name string) slog.Handler { return logHandler{l.Handler.WithGroup(name)} }
