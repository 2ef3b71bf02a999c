package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
)

// DigestItem is one alert listed in a digest: its case and subject.
type DigestItem struct {
	CaseID  string
	Subject string
}

var digestHTML = htmltemplate.Must(htmltemplate.New("digest").Parse(`<!doctype html>
<html><body>
<p>{{len .}} alerts came up since your last digest:</p>
<ul>{{range .}}
<li>{{.Subject}}</li>{{end}}
</ul>
</body></html>
`))

// RenderDigest renders the digest of alerts items: one email listing them
// for staff who chose a digest over an email per alert.
func RenderDigest(items []DigestItem, product string) (subject, text, html string, err error) {
	if product == "" {
		product = DefaultProductName
	}
	subject = fmt.Sprintf("%s: %d alerts in your digest", product, len(items))
	var b strings.Builder
	fmt.Fprintf(&b, "%d alerts came up since your last digest:\n\n", len(items))
	for _, it := range items {
		fmt.Fprintf(&b, "- %s\n", it.Subject)
	}
	fmt.Fprintf(&b, "\n-- \n%s\n", product)
	var h bytes.Buffer
	if err := digestHTML.Execute(&h, items); err != nil {
		return "", "", "", err
	}
	return subject, b.String(), h.String(), nil
}
