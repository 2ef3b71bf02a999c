package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/postgres"
)

// PresenceHub sends the console's presence heartbeats to every replica and
// keeps who views which case (postgres.Presence).
type PresenceHub interface {
	Beat(ctx context.Context, h casedesk.Heartbeat) error
	Case(id string) casedesk.CasePresence
	All() []casedesk.CasePresence
	Subscribe() (*postgres.PresenceSubscription, func())
}

type presenceRequest struct {
	Typing *bool `json:"typing"`
}

// presenceBeat records that the caller views the case of the path (and
// whether they are typing), or, for DELETE, that they left it. The answer is
// the case's viewers as this replica knew them before the heartbeat.
func (s *Server) presenceBeat(left bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.Presence == nil {
			writeError(c, casedesk.Errorf(casedesk.EUNAVAILABLE, "presence is not available on this server"))
			return
		}
		var req presenceRequest
		if !left && !bind(c, &req, false) {
			return
		}
		if !left && req.Typing == nil {
			writeError(c, casedesk.Invalid("typing", "is required: true or false"))
			return
		}
		ctx := c.Request.Context()
		id := caseID(c)
		if _, err := s.CaseReads.Case(ctx, id); err != nil {
			writeError(c, err)
			return
		}
		u := currentUser(c)
		h := casedesk.Heartbeat{CaseID: id, UserID: u.ID, Name: u.Name, Typing: !left && *req.Typing, Left: left, At: s.Now().UTC()}
		if err := s.Presence.Beat(ctx, h); err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, s.Presence.Case(id))
	}
}
