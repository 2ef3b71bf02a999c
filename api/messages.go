package api

import "github.com/gin-gonic/gin"

// caseMessages lists the email of a case: sent, pending, failed, or captured
// when no SendGrid key is configured, so staff see what the customer gets.
func (s *Server) caseMessages(c *gin.Context) { caseItems(s, c, s.CaseReads.CaseMessages) }
