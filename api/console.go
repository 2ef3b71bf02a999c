package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/postgres"
)

// QueueStore counts the cases of the console's queues.
type QueueStore interface {
	CountCases(ctx context.Context, f casedesk.CaseFilter) (int, error)
}

// ChangeFeed tells of every case change committed to the read model.
type ChangeFeed interface {
	Subscribe() (*postgres.Subscription, func())
}

type queueView struct {
	casedesk.Queue
	Count int `json:"count"`
}

func (s *Server) listQueues(c *gin.Context) {
	var out []queueView
	for _, q := range casedesk.Queues(currentUser(c).ID) {
		n, err := s.Queues.CountCases(c.Request.Context(), q.Filter)
		if err != nil {
			writeError(c, err)
			return
		}
		out = append(out, queueView{Queue: q, Count: n})
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// streamKeepAlive is how often an idle stream sends a comment, so that
// proxies keep it open and a dead client is noticed.
const streamKeepAlive = 20 * time.Second

// stream sends Server-Sent Events: "case" with {"id","version"} for every
// committed case change, "reset" when some may have been missed (the
// client then rereads what it shows), and "presence" with a case's viewers
// (casedesk.CasePresence) each time they change; when the stream starts or
// presence may have been missed, "presence_reset" and then the presence of
// every case with viewers.
func (s *Server) stream(c *gin.Context) {
	if s.Changes == nil {
		writeError(c, casedesk.Errorf(casedesk.EUNAVAILABLE, "live updates are not available on this server"))
		return
	}
	sub, stop := s.Changes.Subscribe()
	defer stop()
	var presence <-chan string
	var psub *postgres.PresenceSubscription
	if s.Presence != nil {
		var pstop func()
		psub, pstop = s.Presence.Subscribe()
		defer pstop()
		presence = psub.C
	}
	w := c.Writer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	// The stream outlives the server's write timeout; each write gets its own.
	rc := http.NewResponseController(w)
	deadline := func() { _ = rc.SetWriteDeadline(time.Now().Add(2 * streamKeepAlive)) }
	deadline()
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	s.writeAllPresence(w)
	w.Flush()
	tick := time.NewTicker(streamKeepAlive)
	defer tick.Stop()
	ctx := c.Request.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			deadline()
			fmt.Fprint(w, ": keep-alive\n\n")
		case ch := <-sub.C:
			deadline()
			if sub.Lost() {
				fmt.Fprint(w, "event: reset\ndata: {}\n\n")
			}
			if ch.ID != "" {
				b, _ := json.Marshal(ch)
				fmt.Fprintf(w, "event: case\ndata: %s\n\n", b)
			}
		case id := <-presence:
			deadline()
			if psub.Lost() {
				s.writeAllPresence(w)
			} else if id != "" {
				writePresence(w, s.Presence.Case(id))
			}
		}
		if _, err := w.Write(nil); err != nil {
			return
		}
		w.Flush()
	}
}

// writeAllPresence writes "presence_reset" (forget every viewer) and then a
// "presence" event for every case with viewers.
func (s *Server) writeAllPresence(w io.Writer) {
	if s.Presence == nil {
		return
	}
	fmt.Fprint(w, "event: presence_reset\ndata: {}\n\n")
	for _, p := range s.Presence.All() {
		writePresence(w, p)
	}
}

func writePresence(w io.Writer, p casedesk.CasePresence) {
	b, _ := json.Marshal(p)
	fmt.Fprintf(w, "event: presence\ndata: %s\n\n", b)
}

// consolePaths are served by the API itself; every other GET is the console's.
var apiPrefixes = []string{"/v1/", "/c/", "/openapi.json", "/healthz", "/readyz", "/metrics"}

// notFound answers an unknown route: the console for a browser's GET of any
// path the API does not own, else a problem document.
func (s *Server) notFound(c *gin.Context) {
	p := c.Request.URL.Path
	isAPI := p == "/v1" || p == "/c"
	for _, prefix := range apiPrefixes {
		isAPI = isAPI || strings.HasPrefix(p, prefix)
	}
	if s.Console != nil && !isAPI && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
		c.Status(http.StatusOK) // gin preset 404 for an unknown route
		s.Console.ServeHTTP(c.Writer, c.Request)
		c.Abort()
		return
	}
	writeError(c, casedesk.Errorf(casedesk.ENOTFOUND, "no such endpoint"))
}

// caseActions lists what the caller may do with the case now, for the
// console to offer only those.
func (s *Server) caseActions(c *gin.Context) {
	cs, err := s.CaseReads.Case(c.Request.Context(), caseID(c))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"case_version": cs.Version, "items": casedesk.AvailableActions(cs, currentUser(c).Actor())})
}
