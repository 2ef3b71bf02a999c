package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk/mail"
)

func TestTheWebhookDisabledEmailSaysWhichEndpointAndHowToEnableIt(t *testing.T) {
	at := time.Date(2027, 3, 9, 10, 0, 0, 0, time.UTC)
	subject, text, html, err := mail.RenderWebhookDisabled(mail.WebhookDisabledData{
		EndpointID: "WH-3K7Q9M2P", URL: "https://billing.example.com/hooks?a=1&b=2", Description: "billing <platform> 4111 1111 1111 1111",
		Reason: "every delivery failed for 3 days", DisabledAt: at, FailingSince: at.Add(-72 * time.Hour),
		LastError: "HTTP 503 Service Unavailable", Pending: 4, Failed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if subject != "casedesk: webhook endpoint WH-3K7Q9M2P disabled" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"https://billing.example.com/hooks?a=1&b=2", "every delivery failed for 3 days",
		"POST /v1/webhooks/endpoints/WH-3K7Q9M2P/enable", "4 deliveries wait", "HTTP 503", "Failing since: Sat 6 Mar 2027"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text+html, "4111 1111 1111 1111") {
		t.Error("a card number in the description is not masked")
	}
	if strings.Contains(html, "<platform>") || !strings.Contains(html, "billing &lt;platform&gt;") ||
		!strings.Contains(html, "hooks?a=1&amp;b=2") || !strings.Contains(html, "<title>"+subject+"</title>") {
		t.Errorf("HTML does not escape what it shows:\n%s", html)
	}
	if _, _, _, err := mail.RenderWebhookDisabled(mail.WebhookDisabledData{EndpointID: "WH-1"}); err == nil {
		t.Error("rendered without a URL or a time")
	}
}
