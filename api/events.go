package api

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// customerPageEvents is how many events the customer's page shows at once.
const customerPageEvents = 50

// publicEventTypes lists the event types of the customer's page, sorted.
func publicEventTypes() []string {
	types := make([]string, 0, len(publicEvents))
	for t := range publicEvents {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// caseEvents pages the timeline of the case of the path, oldest first.
func (s *Server) caseEvents(c *gin.Context) {
	page, err := casedesk.ParseEventPage(c.Query)
	if err != nil {
		writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	id := caseID(c)
	if _, err := s.CaseReads.Case(ctx, id); err != nil {
		writeError(c, err)
		return
	}
	events, more, err := s.CaseReads.CaseEventPage(ctx, id, page)
	if err != nil {
		writeError(c, err)
		return
	}
	var next *string
	if more && len(events) > 0 {
		cursor := casedesk.EventCursor(events[len(events)-1].Seq)
		next = &cursor
	}
	c.JSON(http.StatusOK, gin.H{"items": events, "next_cursor": next})
}
