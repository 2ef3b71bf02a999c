package mail

import (
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/casedesk/casedesk"
)

// KindWebhookDisabled is the email to the admins about a webhook endpoint
// that was disabled. It belongs to no case.
const KindWebhookDisabled = "webhook_disabled"

// WebhookDisabledData is what the webhook_disabled email shows.
type WebhookDisabledData struct {
	EndpointID   string
	URL          string
	Description  string
	Reason       string
	DisabledAt   time.Time
	FailingSince time.Time // zero: not known
	LastError    string
	Pending      int // deliveries waiting for the endpoint
	Failed       int // deliveries that gave up while it was failing
	ProductName  string
}

var webhookDisabled = kindTemplates{
	texttemplate.Must(texttemplate.New(KindWebhookDisabled).Funcs(funcs).ParseFS(templateFS, "templates/"+KindWebhookDisabled+".txt")),
	// The layout's page, with this file's "html" in place of the layout's.
	htmltemplate.Must(htmltemplate.New(KindWebhookDisabled).Funcs(funcs).ParseFS(templateFS,
		"templates/layout.html", "templates/"+KindWebhookDisabled+".html")),
}

// RenderWebhookDisabled renders the email telling the admins that a webhook
// endpoint was disabled and how to enable it again. Card numbers in the
// free text are masked; the HTML body escapes everything.
func RenderWebhookDisabled(d WebhookDisabledData) (subject, text, html string, err error) {
	if d.EndpointID == "" || d.URL == "" || d.DisabledAt.IsZero() {
		return "", "", "", fmt.Errorf("mail: %s: EndpointID, URL and DisabledAt are required", KindWebhookDisabled)
	}
	if d.ProductName == "" {
		d.ProductName = DefaultProductName
	}
	for _, s := range []*string{&d.Description, &d.Reason, &d.LastError} {
		*s = casedesk.MaskCardNumbers(strings.TrimSpace(*s))
	}
	v := struct {
		WebhookDisabledData
		Subject string
	}{WebhookDisabledData: d}
	return webhookDisabled.execute(KindWebhookDisabled, &v, func(subject string) { v.Subject = subject })
}
