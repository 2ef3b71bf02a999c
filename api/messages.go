package api

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/links"
)

// caseMessages lists the email of a case: sent, pending, failed, or captured
// when no SendGrid key is configured, so staff see what the customer gets,
// with the token of every customer link redacted (/c/…): a working link
// would let staff reply or rate as the customer. The outbox keeps what was
// sent.
func (s *Server) caseMessages(c *gin.Context) {
	caseItems(s, c, func(ctx context.Context, id string) ([]casedesk.Message, error) {
		msgs, err := s.CaseReads.CaseMessages(ctx, id)
		for i := range msgs {
			msgs[i].Text = links.Redact(msgs[i].Text)
			msgs[i].HTML = links.Redact(msgs[i].HTML)
		}
		return msgs, err
	})
}
