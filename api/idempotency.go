package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// IdempotencyStore keeps the first response to each (actor, Idempotency-Key).
type IdempotencyStore interface {
	BeginIdempotent(ctx context.Context, req casedesk.IdempotentRequest) (*casedesk.IdempotentRequest, error)
	CompleteIdempotent(ctx context.Context, req casedesk.IdempotentRequest) error
	AbandonIdempotent(ctx context.Context, req casedesk.IdempotentRequest) error
	SweepIdempotencyKeys(ctx context.Context, now time.Time) (int64, error)
}

// ctxUpdateID is where idempotent() leaves the Temporal update ID of a case
// action sent with an Idempotency-Key.
const ctxUpdateID = "casedesk.update_id"

// updateID returns the update ID for the case action of c ("" when the
// request has no Idempotency-Key: Temporal then picks one).
func updateID(c *gin.Context) string { return c.GetString(ctxUpdateID) }

// idempotent honours Idempotency-Key on every POST that changes something,
// as Stripe does: the same key, actor and request within 24 hours get the
// first response again with Idempotent-Replayed: true and change nothing;
// the same key with another request is 409. A case action's key also
// travels as its Temporal update ID, so a retry that reaches the workflow
// (through any API replica, also while the first is still running) is the
// same update. Opening a case keeps its own reservation (openCase).
func (s *Server) idempotent() gin.HandlerFunc {
	return func(c *gin.Context) {
		raw := c.GetHeader("Idempotency-Key")
		if c.Request.Method != http.MethodPost || raw == "" || c.FullPath() == "/v1/cases" || s.Idempotency == nil {
			c.Next()
			return
		}
		key, err := casedesk.CheckIdempotencyKey(raw)
		if err != nil {
			writeError(c, err)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
		if err != nil {
			writeError(c, malformed("the request body is larger than %d bytes", maxBody))
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		user := currentUser(c)
		sum := sha256.Sum256([]byte(c.Request.Method + "\n" + c.Request.URL.Path + "\n" + string(body)))
		req := casedesk.IdempotentRequest{ActorID: user.ID, Key: key, RequestHash: sum[:], StartedAt: s.Now()}
		ctx := c.Request.Context()
		earlier, err := s.Idempotency.BeginIdempotent(ctx, req)
		if err != nil {
			writeError(c, err)
			return
		}
		outcome, err := casedesk.DecideIdempotent(earlier, req.RequestHash, req.StartedAt)
		caseAction := strings.HasPrefix(c.FullPath(), "/v1/cases/:id/") || strings.HasPrefix(c.FullPath(), "/v1/approvals/:id/")
		switch {
		case err != nil:
			writeError(c, err)
			return
		case outcome == casedesk.IdempotentReplay:
			replay(c, *earlier)
			return
		case outcome == casedesk.IdempotentInProgress && !caseAction:
			writeError(c, casedesk.Errorf(casedesk.ECONFLICT, "a request with Idempotency-Key %q is still being processed; retry shortly", key))
			return
		}
		// An in-progress case action goes on: its update ID makes it the
		// same update as the first, and it gets the same answer.
		id := sha256.Sum256([]byte(user.ID + "\x00" + key))
		c.Set(ctxUpdateID, "idem-"+hex.EncodeToString(id[:16]))
		rec := &recorder{ResponseWriter: c.Writer}
		c.Writer = rec
		c.Next()
		// Keep the answer unless it was an outage or an internal error,
		// which a retry should try again.
		done := context.WithoutCancel(ctx)
		if status := rec.Status(); status >= 500 {
			err = s.Idempotency.AbandonIdempotent(done, req)
		} else {
			req.Status, req.ContentType, req.Location, req.Response = status, rec.Header().Get("Content-Type"), rec.Header().Get("Location"), rec.body.Bytes()
			err = s.Idempotency.CompleteIdempotent(done, req)
		}
		if err != nil {
			logger(c).Error("keeping the response of an Idempotency-Key failed", "error", err)
		}
	}
}

// replay writes the first response of a request again.
func replay(c *gin.Context, first casedesk.IdempotentRequest) {
	if first.Location != "" {
		c.Header("Location", first.Location)
	}
	c.Header("Idempotent-Replayed", "true")
	c.Data(first.Status, first.ContentType, first.Response)
	c.Abort()
}

// recorder keeps a copy of what a handler writes.
type recorder struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteString(s string) (int, error) {
	r.body.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}

// SweepIdempotencyKeys deletes expired keys every interval until ctx ends.
func (s *Server) SweepIdempotencyKeys(ctx context.Context, interval time.Duration) {
	if s.Idempotency == nil {
		return
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.Idempotency.SweepIdempotencyKeys(ctx, now())
		switch {
		case errors.Is(err, context.Canceled):
			return
		case err != nil:
			s.Logger.Warn("sweeping idempotency keys failed", "error", err)
		case n > 0:
			s.Logger.Info("swept expired idempotency keys", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
