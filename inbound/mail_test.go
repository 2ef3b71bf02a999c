package inbound_test

import (
	"strings"
	"testing"

	"github.com/casedesk/casedesk/inbound"
)

func TestHeaders(t *testing.T) {
	t.Run("the headers field gives the message's headers, folded lines joined", func(t *testing.T) {
		block := "Auto-Submitted: auto-replied;\r\n owner-email=\"jane@example.com\"\r\nX-Autoreply: yes\r\n" +
			"Subject: =?utf-8?q?Abwesenheitsnotiz=3A_Re=3A_Ihr_Fall?=\r\nnot a header line\r\n: no name\r\n"
		m, err := inbound.ParseInbound(post(t, withField(defaultFields(), "headers", block)...), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get("Auto-Submitted"); got != `auto-replied; owner-email="jane@example.com"` {
			t.Errorf("Auto-Submitted = %q", got)
		}
		if got := m.Header.Get("X-Autoreply"); got != "yes" {
			t.Errorf("X-Autoreply = %q", got)
		}
		if got := m.Header.Get("Subject"); got != "Abwesenheitsnotiz: Re: Ihr Fall" {
			t.Errorf("Subject = %q, want it decoded", got)
		}
		if len(m.Header) != 3 {
			t.Errorf("Header = %v, want the three readable fields", m.Header)
		}
	})
	t.Run("a post without headers has an empty header", func(t *testing.T) {
		m, err := inbound.ParseInbound(post(t, withField(defaultFields(), "headers", "")...), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Header) != 0 || m.Header.Get("Content-Type") != "" {
			t.Errorf("Header = %v", m.Header)
		}
	})
	t.Run("a raw post gives the raw message's headers", func(t *testing.T) {
		m, err := inbound.ParseInbound(post(t, rawFields(t, rawMultipart(t))...), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/mixed") {
			t.Errorf("Content-Type = %q, want the raw message's", ct)
		}
	})
}

func TestSender(t *testing.T) {
	m := inbound.Message{From: []string{"jane@example.com"}}
	m.Envelope.From = "bounces@example.com"
	if got := m.Sender(); got != "jane@example.com" {
		t.Errorf("Sender = %q, want the From header", got)
	}
	m.From = nil
	if got := m.Sender(); got != "bounces@example.com" {
		t.Errorf("Sender = %q, want the envelope's", got)
	}
}

func TestPlainText(t *testing.T) {
	for _, tc := range []struct {
		name, text, html, want string
	}{
		{"the text body wins", "Thanks!", "<p>Other</p>", "Thanks!"},
		{"HTML-only mail is converted", "", "<div dir=\"ltr\">Thanks, it <b>arrived</b> &amp; all is well.</div>", "Thanks, it arrived & all is well."},
		{"a blank text body counts as none", " \n ", "<p>Hello</p>", "Hello"},
		{"paragraphs and breaks are lines", "", "<p>First line</p><p>Second<br>Third</p>", "First line\n\nSecond\nThird"},
		{"scripts and styles are dropped", "", "<style>p{color:red}</style><p>Visible</p><script>alert(1)</script>", "Visible"},
		{"divs are lines", "", `<div dir="ltr">Thanks!</div><div>Jane</div>`, "Thanks!\nJane"},
		{"a link gives its text and address", "", `<p>See <a href="https://example.com/x">my statement</a></p>`, "See my statement <https://example.com/x>"},
		{"no body at all", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (inbound.Message{Text: tc.text, HTML: tc.html}).PlainText(); got != tc.want {
				t.Errorf("PlainText = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHTMLToTextThenStripQuoted(t *testing.T) {
	html := `<div dir="ltr">It was my Visa.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">` +
		`On Mon, 2 Mar 2026 at 10:00, casedesk support &lt;support@casedesk.test&gt; wrote:<br></div>` +
		`<blockquote class="gmail_quote">Which card did you pay with?</blockquote></div>`
	if got := inbound.StripQuoted(inbound.HTMLToText(html)); got != "It was my Visa." {
		t.Errorf("StripQuoted(HTMLToText) = %q", got)
	}
}
