package inbound_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"

	"github.com/casedesk/casedesk/inbound"
	"github.com/casedesk/casedesk/links"
)

// A customer's reply reaches its case: the mailer sent the case email with
// Reply-To set to signer.ReplyAddress; Inbound Parse posts the answer, whose
// envelope names that address.
func ExampleParseInbound() {
	signer := links.Signer{Secret: []byte("an example secret of 32 bytes or more")}
	const replyDomain = "reply.casedesk.example"
	replyTo := signer.ReplyAddress("C-7Q4K2M", replyDomain)

	// What SendGrid posts (abridged).
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("from", "Jane Customer <jane@example.com>")
	w.WriteField("to", "Acme Billing <"+replyTo+">")
	w.WriteField("text", "Thanks, it arrived.\r\n\r\nOn Mon, Jan 5, 2026 at 9:14 AM Acme Billing wrote:\r\n> Your refund was issued.\r\n")
	w.WriteField("envelope", `{"to":["`+replyTo+`"],"from":"jane@example.com"}`)
	w.WriteField("charsets", `{"to":"UTF-8","from":"UTF-8","text":"UTF-8"}`)
	w.Close()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid/inbound", &body)
	r.Header.Set("Content-Type", w.FormDataContentType())

	msg, err := inbound.ParseInbound(r, 30<<20)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The envelope is where SendGrid delivered the message, Bcc included.
	for _, addr := range append(msg.Envelope.To, msg.To...) {
		if caseID, err := signer.VerifyReplyAddress(addr, replyDomain); err == nil {
			fmt.Printf("%s from %s: %q\n", caseID, msg.Envelope.From, inbound.StripQuoted(msg.Text))
			break
		}
	}
	// Output: C-7Q4K2M from jane@example.com: "Thanks, it arrived."
}
