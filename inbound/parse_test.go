package inbound_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"

	"github.com/casedesk/casedesk/inbound"
)

// field is one part of an Inbound Parse POST.
type field struct {
	name, value string
	// For an attachment: its file name and type.
	filename, contentType string
}

// post builds a POST as SendGrid's Inbound Parse sends it: multipart/form-data,
// one part per field with no Content-Type of its own, attachments as file
// parts named attachment1, attachment2, ….
func post(t *testing.T, fields ...field) *http.Request {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, f := range fields {
		h := textproto.MIMEHeader{}
		if f.filename != "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.name, f.filename))
			h.Set("Content-Type", f.contentType)
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, f.name))
		}
		p, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		p.Write([]byte(f.value))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid/inbound", &body)
	r.Header.Set("Content-Type", w.FormDataContentType())
	r.Header.Set("User-Agent", "Sendlib/1.0 reply.casedesk.example")
	return r
}

func encode(t *testing.T, enc encoding.Encoding, s string) string {
	t.Helper()
	b, err := enc.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	replyTo   = "reply+c-7q4k2m.k7jjc1ywafyqzthe3c3ffmr5z6wd6gjf@reply.casedesk.example"
	gmailText = "Thanks, the refund arrived today.\r\n\r\nOn Mon, Jan 5, 2026 at 9:14 AM Acme Billing <" + replyTo + "> wrote:\r\n\r\n> Your refund of 12.50 EUR has been issued.\r\n>\r\n> Case C-7Q4K2M\r\n"
)

// defaultFields are the fields of a default (not raw) post, in the order
// SendGrid sends them.
func defaultFields() []field {
	return []field{
		{name: "headers", value: "Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn Mon, 05 Jan 2026 09:15:02 +0000 (UTC)\nMIME-Version: 1.0\nFrom: Jane Customer <jane@example.com>\nDate: Mon, 5 Jan 2026 10:15:00 +0100\nSubject: Re: Your refund for case C-7Q4K2M\nTo: Acme Billing <" + replyTo + ">\nCc: John Customer <john@example.com>, accounts@example.com\nContent-Type: multipart/mixed; boundary=\"000000000000a1b2c3\"\n"},
		{name: "dkim", value: "{@example.com : pass}"},
		{name: "to", value: "Acme Billing <" + replyTo + ">"},
		{name: "cc", value: "John Customer <john@example.com>, accounts@example.com"},
		{name: "html", value: "<div dir=\"ltr\">Thanks, the refund arrived today.</div><br><div class=\"gmail_quote\">…</div>\r\n"},
		{name: "from", value: "Jane Customer <jane@example.com>"},
		{name: "text", value: gmailText},
		{name: "sender_ip", value: "209.85.128.41"},
		{name: "spam_report", value: "Spam detection software, running on the system \"mx0047p1mdw1.sendgrid.net\", has NOT identified this incoming email as spam.\n"},
		{name: "envelope", value: `{"to":["` + replyTo + `"],"from":"jane@example.com"}`},
		{name: "attachments", value: "1"},
		{name: "subject", value: "Re: Your refund for case C-7Q4K2M"},
		{name: "spam_score", value: "0.011"},
		{name: "attachment-info", value: `{"attachment1":{"filename":"statement.pdf","name":"statement.pdf","type":"application/pdf"}}`},
		{name: "charsets", value: `{"to":"UTF-8","cc":"UTF-8","html":"UTF-8","subject":"UTF-8","from":"UTF-8","text":"UTF-8"}`},
		{name: "SPF", value: "pass"},
		{name: "attachment1", filename: "statement.pdf", contentType: "application/pdf", value: "%PDF-1.4\n\x00\xff\xfe binary \r\n--not-a-boundary\r\n%%EOF"},
	}
}

func withField(fields []field, name, value string) []field {
	out := make([]field, 0, len(fields))
	for _, f := range fields {
		if f.name == name {
			if value == "" {
				continue
			}
			f.value = value
		}
		out = append(out, f)
	}
	return out
}

func TestParseInbound(t *testing.T) {
	t.Run("a default post gives addresses, subject, bodies and envelope; the attachment is ignored", func(t *testing.T) {
		m, err := inbound.ParseInbound(post(t, defaultFields()...), 1<<20)
		if err != nil {
			t.Fatalf("ParseInbound: %v", err)
		}
		want := inbound.Message{
			From:    []string{"jane@example.com"},
			To:      []string{replyTo},
			Cc:      []string{"john@example.com", "accounts@example.com"},
			Subject: "Re: Your refund for case C-7Q4K2M",
			Text:    strings.ReplaceAll(gmailText, "\r\n", "\n"),
			HTML:    "<div dir=\"ltr\">Thanks, the refund arrived today.</div><br><div class=\"gmail_quote\">…</div>\r\n",
		}
		want.Envelope.From = "jane@example.com"
		want.Envelope.To = []string{replyTo}
		if m.Header.Get("Date") != "Mon, 5 Jan 2026 10:15:00 +0100" || m.Header.Get("Mime-Version") != "1.0" || len(m.Header) != 8 {
			t.Errorf("Header = %v", m.Header)
		}
		want.Header = m.Header
		if !reflect.DeepEqual(m, want) {
			t.Errorf("ParseInbound =\n%+v\nwant\n%+v", m, want)
		}
		if got := inbound.StripQuoted(m.Text); got != "Thanks, the refund arrived today." {
			t.Errorf("StripQuoted(Text) = %q", got)
		}
	})

	t.Run("fields in other charsets are converted to UTF-8 as the charsets field says", func(t *testing.T) {
		fields := defaultFields()
		fields = withField(fields, "from", encode(t, charmap.ISO8859_1, "Hélène Dupont <helene@example.fr>"))
		fields = withField(fields, "subject", encode(t, charmap.ISO8859_1, "Re: Réclamation C-7Q4K2M"))
		fields = withField(fields, "text", encode(t, charmap.Windows1252, "Le remboursement de 12,50 € est bien arrivé.\r\n"))
		fields = withField(fields, "html", encode(t, japanese.ShiftJIS, "<p>返金を受け取りました。</p>"))
		fields = withField(fields, "charsets", `{"to":"UTF-8","cc":"us-ascii","html":"Shift_JIS","subject":"iso-8859-1","from":"ISO-8859-1","text":"windows-1252"}`)
		m, err := inbound.ParseInbound(post(t, fields...), 1<<20)
		if err != nil {
			t.Fatalf("ParseInbound: %v", err)
		}
		if m.Subject != "Re: Réclamation C-7Q4K2M" || m.Text != "Le remboursement de 12,50 € est bien arrivé.\n" || m.HTML != "<p>返金を受け取りました。</p>" {
			t.Errorf("ParseInbound = subject %q, text %q, html %q", m.Subject, m.Text, m.HTML)
		}
		if !reflect.DeepEqual(m.From, []string{"helene@example.fr"}) {
			t.Errorf("From = %q", m.From)
		}
	})

	t.Run("a field in ISO-2022-JP is converted", func(t *testing.T) {
		fields := withField(defaultFields(), "text", encode(t, japanese.ISO2022JP, "返金ありがとうございます。\n"))
		fields = withField(fields, "charsets", `{"text":"iso-2022-jp"}`)
		m, err := inbound.ParseInbound(post(t, fields...), 1<<20)
		if err != nil || m.Text != "返金ありがとうございます。\n" {
			t.Errorf("ParseInbound = %q, %v", m.Text, err)
		}
	})

	t.Run("a field in a charset this package does not know is refused clearly", func(t *testing.T) {
		for _, cs := range []string{"x-klingon", "utf-7", "iso-2022-kr"} {
			fields := withField(defaultFields(), "charsets", `{"text":"`+cs+`"}`)
			_, err := inbound.ParseInbound(post(t, fields...), 1<<20)
			if !errors.Is(err, inbound.ErrCharset) || !strings.Contains(err.Error(), cs) || !strings.Contains(err.Error(), "text") {
				t.Errorf("charset %s: err = %v, want ErrCharset naming it and the field", cs, err)
			}
		}
	})

	t.Run("invalid UTF-8 in a UTF-8 field is replaced, not passed on", func(t *testing.T) {
		fields := withField(defaultFields(), "text", "caf\xe9 ok\n")
		m, err := inbound.ParseInbound(post(t, fields...), 1<<20)
		if err != nil || m.Text != "caf\uFFFD ok\n" {
			t.Errorf("ParseInbound = %q, %v", m.Text, err)
		}
	})

	t.Run("missing optional fields are empty", func(t *testing.T) {
		fields := defaultFields()
		for _, name := range []string{"text", "html", "subject", "to", "cc", "charsets", "headers", "attachment1"} {
			fields = withField(fields, name, "")
		}
		m, err := inbound.ParseInbound(post(t, fields...), 1<<20)
		if err != nil {
			t.Fatalf("ParseInbound: %v", err)
		}
		if m.Text != "" || m.HTML != "" || m.Subject != "" || m.To != nil || m.Cc != nil || len(m.From) != 1 || len(m.Envelope.To) != 1 {
			t.Errorf("ParseInbound = %+v", m)
		}
	})

	t.Run("the envelope alone names the sender well enough", func(t *testing.T) {
		m, err := inbound.ParseInbound(post(t, withField(defaultFields(), "from", "")...), 1<<20)
		if err != nil || m.From != nil || m.Envelope.From != "jane@example.com" {
			t.Errorf("ParseInbound = %+v, %v", m, err)
		}
	})

	t.Run("a post with no sender at all is malformed", func(t *testing.T) {
		fields := withField(withField(defaultFields(), "from", ""), "envelope", `{"to":["`+replyTo+`"]}`)
		if _, err := inbound.ParseInbound(post(t, fields...), 1<<20); !errors.Is(err, inbound.ErrMalformed) {
			t.Errorf("err = %v, want ErrMalformed", err)
		}
	})

	t.Run("headers that are not valid address lists still yield their addresses", func(t *testing.T) {
		fields := withField(defaultFields(), "from", "Customer, Jane <jane@example.com>")
		fields = withField(fields, "to", "=?UTF-8?B?QWNtZSBGw6lkw6lyYXRpb24=?= <"+replyTo+">, undisclosed-recipients:;")
		fields = withField(fields, "cc", "Team: a@example.com, b@example.com;")
		m, err := inbound.ParseInbound(post(t, fields...), 1<<20)
		if err != nil {
			t.Fatalf("ParseInbound: %v", err)
		}
		if !reflect.DeepEqual(m.From, []string{"jane@example.com"}) || !reflect.DeepEqual(m.To, []string{replyTo}) ||
			!reflect.DeepEqual(m.Cc, []string{"a@example.com", "b@example.com"}) {
			t.Errorf("From %q, To %q, Cc %q", m.From, m.To, m.Cc)
		}
	})

	t.Run("a post larger than the limit is refused, attachments included", func(t *testing.T) {
		fields := append(defaultFields(), field{name: "attachment2", filename: "scan.jpg", contentType: "image/jpeg", value: strings.Repeat("\xff\xd8", 40000)})
		r := post(t, fields...)
		if _, err := inbound.ParseInbound(r, 64<<10); !errors.Is(err, inbound.ErrTooLarge) {
			t.Errorf("with Content-Length: err = %v, want ErrTooLarge", err)
		}
		r = post(t, fields...)
		r.ContentLength = -1
		if _, err := inbound.ParseInbound(r, 64<<10); !errors.Is(err, inbound.ErrTooLarge) {
			t.Errorf("without Content-Length: err = %v, want ErrTooLarge", err)
		}
		r = post(t, fields...)
		if _, err := inbound.ParseInbound(r, r.ContentLength); err != nil {
			t.Errorf("at exactly the limit: %v", err)
		}
	})

	t.Run("a body cut short by the limit in the raw message is too large, not malformed", func(t *testing.T) {
		r := post(t, rawFields(t, rawMultipart(t))...)
		r.ContentLength = -1
		if _, err := inbound.ParseInbound(r, 700); !errors.Is(err, inbound.ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
	})

	t.Run("a post that is not well-formed multipart/form-data is malformed", func(t *testing.T) {
		good := post(t, defaultFields()...)
		full, _ := io.ReadAll(good.Body)
		for name, r := range map[string]*http.Request{
			"urlencoded": func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("from=jane%40example.com"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			}(),
			"no boundary": func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(full))
				r.Header.Set("Content-Type", "multipart/form-data")
				return r
			}(),
			"no content type": httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(full)),
			"truncated": func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(full[:len(full)/2]))
				r.Header.Set("Content-Type", good.Header.Get("Content-Type"))
				return r
			}(),
			"empty": func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", http.NoBody)
				r.Header.Set("Content-Type", good.Header.Get("Content-Type"))
				return r
			}(),
			"bad envelope":  post(t, withField(defaultFields(), "envelope", `{"to":"not-a-list"`)...),
			"bad charsets":  post(t, withField(defaultFields(), "charsets", `["UTF-8"]`)...),
			"bad raw email": post(t, append(defaultFields(), field{name: "email", value: "this is bad invalid data"})...),
		} {
			if _, err := inbound.ParseInbound(r, 1<<20); !errors.Is(err, inbound.ErrMalformed) {
				t.Errorf("%s: err = %v, want ErrMalformed", name, err)
			}
		}
	})

	t.Run("a limit that is not positive is a programming error", func(t *testing.T) {
		if _, err := inbound.ParseInbound(post(t, defaultFields()...), 0); err == nil {
			t.Error("no error")
		}
	})
}

// rawMultipart is a reply as Apple Mail sends it: alternative text (ISO-8859-1,
// quoted-printable) and HTML (base64), then an attachment, with encoded-word
// headers.
func rawMultipart(t *testing.T) string {
	html := base64.StdEncoding.EncodeToString([]byte("<div>Merci, j’ai bien reçu le remboursement.</div><blockquote>…</blockquote>"))
	return "Return-Path: <helene@example.fr>\r\n" +
		"Received: from mail.example.fr (mail.example.fr [192.0.2.10]) by mx.sendgrid.net; Mon, 05 Jan 2026 09:15:02 +0000\r\n" +
		"From: =?ISO-8859-1?Q?H=E9l=E8ne_Dupont?= <helene@example.fr>\r\n" +
		"To: \"Acme Billing\" <" + replyTo + ">\r\n" +
		"Cc: =?UTF-8?Q?Fran=C3=A7ois?= <francois@example.fr>\r\n" +
		"Subject: =?UTF-8?B?UmU6IFJlbWJvdXJzZW1lbnQgcmXDp3U=?=\r\n" +
		"Date: Mon, 5 Jan 2026 10:15:00 +0100\r\n" +
		"Message-Id: <A1B2C3D4-0000-4000-8000-000000000001@example.fr>\r\n" +
		"Mime-Version: 1.0 (Mac OS X Mail 16.0)\r\n" +
		"Content-Type: multipart/mixed; boundary=\"Apple-Mail=_MIXED\"\r\n" +
		"\r\n" +
		"--Apple-Mail=_MIXED\r\n" +
		"Content-Type: multipart/alternative; boundary=\"Apple-Mail=_ALT\"\r\n" +
		"\r\n" +
		"--Apple-Mail=_ALT\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n" +
		"Content-Type: text/plain; charset=iso-8859-1\r\n" +
		"\r\n" +
		"Merci, j'ai bien re=E7u le remboursement.\r\n" +
		"\r\n" +
		"> Le 5 janv. 2026 =E0 09:14, Acme Billing <reply@example.com> a =E9crit :\r\n" +
		">=20\r\n" +
		"> Votre remboursement a =E9t=E9 effectu=E9.\r\n" +
		"\r\n" +
		"--Apple-Mail=_ALT\r\n" +
		"Content-Transfer-Encoding: base64\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n" +
		"\r\n" +
		html[:40] + "\r\n" + html[40:] + "\r\n" +
		"--Apple-Mail=_ALT--\r\n" +
		"\r\n" +
		"--Apple-Mail=_MIXED\r\n" +
		"Content-Disposition: attachment; filename=releve.txt\r\n" +
		"Content-Type: text/plain; name=releve.txt; charset=utf-8\r\n" +
		"\r\n" +
		"Not the body.\r\n" +
		"--Apple-Mail=_MIXED--\r\n"
}

// rawFields are the fields of a post with "Send Raw" set: the message in
// email, no text or html, SendGrid's own parse of the headers beside it.
func rawFields(t *testing.T, email string) []field {
	return []field{
		{name: "dkim", value: "{@example.fr : pass}"},
		{name: "email", value: email},
		{name: "to", value: `"Acme Billing" <` + replyTo + ">"},
		{name: "from", value: "Hélène Dupont <helene@example.fr>"},
		{name: "sender_ip", value: "192.0.2.10"},
		{name: "envelope", value: `{"to":["` + replyTo + `"],"from":"helene@example.fr"}`},
		{name: "subject", value: "Re: Remboursement reçu"},
		{name: "charsets", value: `{"to":"UTF-8","from":"UTF-8","subject":"UTF-8"}`},
		{name: "SPF", value: "pass"},
	}
}

func TestParseInboundRaw(t *testing.T) {
	t.Run("a raw post gives the text/plain body, decoded, and the HTML", func(t *testing.T) {
		m, err := inbound.ParseInbound(post(t, rawFields(t, rawMultipart(t))...), 1<<20)
		if err != nil {
			t.Fatalf("ParseInbound: %v", err)
		}
		if m.Text != "Merci, j'ai bien reçu le remboursement.\n\n> Le 5 janv. 2026 à 09:14, Acme Billing <reply@example.com> a écrit :\n> \n> Votre remboursement a été effectué.\n" {
			t.Errorf("Text = %q", m.Text)
		}
		if m.HTML != "<div>Merci, j’ai bien reçu le remboursement.</div><blockquote>…</blockquote>" {
			t.Errorf("HTML = %q", m.HTML)
		}
		if m.Subject != "Re: Remboursement reçu" || !reflect.DeepEqual(m.From, []string{"helene@example.fr"}) ||
			!reflect.DeepEqual(m.To, []string{replyTo}) || m.Envelope.From != "helene@example.fr" {
			t.Errorf("ParseInbound = %+v", m)
		}
		if !reflect.DeepEqual(m.Cc, []string{"francois@example.fr"}) {
			t.Errorf("Cc = %q, want it from the raw headers", m.Cc)
		}
		if got := inbound.StripQuoted(m.Text); got != "Merci, j'ai bien reçu le remboursement." {
			t.Errorf("StripQuoted(Text) = %q", got)
		}
	})

	t.Run("headers missing from the form are taken from the raw message", func(t *testing.T) {
		fields := rawFields(t, rawMultipart(t))
		for _, name := range []string{"from", "to", "subject", "charsets"} {
			fields = withField(fields, name, "")
		}
		m, err := inbound.ParseInbound(post(t, fields...), 1<<20)
		if err != nil {
			t.Fatalf("ParseInbound: %v", err)
		}
		if m.Subject != "Re: Remboursement reçu" || !reflect.DeepEqual(m.From, []string{"helene@example.fr"}) || !reflect.DeepEqual(m.To, []string{replyTo}) {
			t.Errorf("ParseInbound = %+v", m)
		}
	})

	t.Run("a single-part message in base64 and windows-1252 is decoded", func(t *testing.T) {
		body := encode(t, charmap.Windows1252, "Bonjour, le montant de 12,50 € manque.\r\n")
		email := "From: Jane <jane@example.com>\r\nTo: " + replyTo + "\r\nSubject: =?windows-1252?Q?Montant_=80?=\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=\"windows-1252\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			base64.StdEncoding.EncodeToString([]byte(body)) + "\r\n"
		fields := withField(withField(rawFields(t, email), "subject", ""), "from", "")
		m, err := inbound.ParseInbound(post(t, fields...), 1<<20)
		if err != nil {
			t.Fatalf("ParseInbound: %v", err)
		}
		if m.Text != "Bonjour, le montant de 12,50 € manque.\n" || m.Subject != "Montant €" || m.HTML != "" {
			t.Errorf("ParseInbound = text %q, subject %q, html %q", m.Text, m.Subject, m.HTML)
		}
	})

	t.Run("a single-part quoted-printable message with no MIME headers is read as it is", func(t *testing.T) {
		for _, tc := range []struct{ email, want string }{
			{"From: jane@example.com\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nLine one=\r\n continues.\r\n", "Line one continues.\n"},
			{"From: jane@example.com\n\nPlain old mail.\n", "Plain old mail.\n"},
		} {
			m, err := inbound.ParseInbound(post(t, rawFields(t, tc.email)...), 1<<20)
			if err != nil || m.Text != tc.want {
				t.Errorf("ParseInbound = %q, %v; want %q", m.Text, err, tc.want)
			}
		}
	})

	t.Run("an attachment is never taken for the body", func(t *testing.T) {
		email := "From: jane@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"old.txt\"\r\n\r\nOld letter.\r\n" +
			"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe real reply.\r\n--b--\r\n"
		m, err := inbound.ParseInbound(post(t, rawFields(t, email)...), 1<<20)
		if err != nil || m.Text != "The real reply." {
			t.Errorf("ParseInbound = %q, %v", m.Text, err)
		}
	})

	t.Run("a raw body in an unknown charset is refused clearly", func(t *testing.T) {
		email := "From: jane@example.com\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nnuqneH\r\n"
		if _, err := inbound.ParseInbound(post(t, rawFields(t, email)...), 1<<20); !errors.Is(err, inbound.ErrCharset) {
			t.Errorf("err = %v, want ErrCharset", err)
		}
	})

	t.Run("multiparts nested without end are refused", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("From: jane@example.com\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
		for i := 1; i < 50; i++ {
			fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
		}
		if _, err := inbound.ParseInbound(post(t, rawFields(t, b.String())...), 1<<20); !errors.Is(err, inbound.ErrMalformed) {
			t.Errorf("err = %v, want ErrMalformed", err)
		}
	})
}

// TestParseInboundSDKSamples parses the sample posts shipped with SendGrid's
// Go SDK (see testdata/README.md); they use LF line ends.
func TestParseInboundSDKSamples(t *testing.T) {
	for _, tc := range []struct {
		file, subject string
	}{
		{"testdata/sdk_default_data.txt", "Testing non-raw"},
		{"testdata/sdk_raw_data.txt", "Testing with Request.bin"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "multipart/form-data; boundary=xYzZY")
			m, err := inbound.ParseInbound(r, 1<<20)
			if err != nil {
				t.Fatalf("ParseInbound: %v", err)
			}
			if strings.TrimSpace(m.Text) != "Hello Twilio SendGrid!" || !strings.Contains(m.HTML, "<strong>Hello Twilio SendGrid!") {
				t.Errorf("text %q, html %q", m.Text, m.HTML)
			}
			if m.Subject != tc.subject || !reflect.DeepEqual(m.From, []string{"test@example.com"}) || m.Envelope.From != "test@example.com" || len(m.Envelope.To) != 1 {
				t.Errorf("ParseInbound = %+v", m)
			}
		})
	}
}

func FuzzParseInboundRaw(f *testing.F) {
	f.Add(rawMultipart(nil))
	f.Add("From: a@b.c\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain; charset=shift_jis\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--x--\r\n")
	f.Fuzz(func(t *testing.T, email string) {
		m, err := inbound.ParseInbound(post(t, rawFields(t, email)...), 1<<20)
		if err != nil {
			if !errors.Is(err, inbound.ErrMalformed) && !errors.Is(err, inbound.ErrCharset) {
				t.Fatalf("unexpected kind of error: %v", err)
			}
			return
		}
		if !utf8Valid(m.Text) || !utf8Valid(m.HTML) || !utf8Valid(m.Subject) {
			t.Fatalf("invalid UTF-8 in %+v", m)
		}
		inbound.StripQuoted(m.Text)
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
