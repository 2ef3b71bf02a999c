package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// caseMessages lists the email of a case: sent, pending, failed, or captured
// when no SendGrid key is configured, so staff see what the customer gets.
func (s *Server) caseMessages(c *gin.Context) {
	ctx := c.Request.Context()
	id := caseID(c)
	if _, err := s.Store.Case(ctx, id); err != nil {
		writeError(c, err)
		return
	}
	msgs, err := s.Store.CaseMessages(ctx, id)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": msgs})
}
