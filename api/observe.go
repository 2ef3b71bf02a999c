package api

import (
	"fmt"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/casedesk/casedesk/links"
	"github.com/casedesk/casedesk/metrics"
	"github.com/casedesk/casedesk/tracing"
)

// observe starts each request's server span (continuing the caller's
// traceparent, if any) and counts the request in the metrics by its route
// template when it ends. It runs first, so the request's logs, its calls to
// Temporal and its queries all belong to the span.
func (s *Server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		ctx := otel.GetTextMapPropagator().Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		ctx, span := tracing.Tracer().Start(ctx, c.Request.Method+" "+route(c), trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", c.Request.Method),
				// A customer link's token is the customer's capability: traces get /c/….
				attribute.String("url.path", links.Redact(c.Request.URL.Path))))
		defer span.End()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		status := c.Writer.Status()
		span.SetAttributes(attribute.Int("http.response.status_code", status),
			attribute.String("casedesk.request_id", c.GetString(ctxRequestID)))
		if r := c.FullPath(); r != "" {
			span.SetName(c.Request.Method + " " + r)
			span.SetAttributes(attribute.String("http.route", r))
		}
		if status >= 500 {
			span.SetStatus(codes.Error, fmt.Sprint(status))
		}
		metrics.HTTPRequest(c.FullPath(), c.Request.Method, status, time.Since(start))
	}
}

// route is the matched route template, known before the handler runs.
func route(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// requestLogAttrs are the attributes every log line of a request carries:
// its ID and, when it is traced, its trace ID. It also puts the request ID
// on the request's context, for logs written with it.
func requestLogAttrs(c *gin.Context, id string) []any {
	c.Request = c.Request.WithContext(tracing.WithRequestID(c.Request.Context(), id))
	return tracing.LogAttrs(c.Request.Context())
}

// serveMetrics is GET /metrics: the process's Prometheus metrics.
var serveMetrics = gin.WrapH(metrics.Handler())
