package inbound

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/k3a/html2text"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
)

// Message is a customer's email as posted by SendGrid Inbound Parse.
//
// From, To and Cc are bare addresses (no display names) from the message's
// headers, which the sender wrote and can forge. Envelope is the SMTP
// envelope SendGrid received: Envelope.To holds every address at the parse
// domain the message was delivered to, Bcc included, so it is where to look
// for a reply address. Text is the text/plain body with LF line ends, HTML
// the text/html body; either may be empty. Header holds the message's own
// headers (canonical keys), from the form's headers field or the raw message.
type Message struct {
	From, To, Cc        []string
	Subject, Text, HTML string
	Header              textproto.MIMEHeader
	Envelope            struct {
		From string   `json:"from"`
		To   []string `json:"to"`
	}
}

// Sender is the address the message is from: the From header, or the
// envelope's sender when the header has none.
func (m Message) Sender() string {
	if len(m.From) > 0 {
		return m.From[0]
	}
	return m.Envelope.From
}

// PlainText is the message's text: the text/plain body, or, for mail sent
// as HTML only, the HTML body converted to text.
func (m Message) PlainText() string {
	if strings.TrimSpace(m.Text) != "" || strings.TrimSpace(m.HTML) == "" {
		return m.Text
	}
	return HTMLToText(m.HTML)
}

// HTMLToText converts an HTML body to plain text: tags dropped, entities
// decoded, block elements and <br> as line breaks, lists as "- " items and
// links as their text and address. Blank lines are squeezed to one.
func HTMLToText(html string) string {
	// The converter breaks lines at <p> and <br> only; mail clients write
	// their lines as <div>s.
	html = blockEnd.ReplaceAllString(html, "$0<br>")
	text := html2text.HTML2TextWithOptions(html, html2text.WithUnixLineBreaks(), html2text.WithListSupport(),
		html2text.WithLinksInnerText())
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	out := lines[:0]
	for i, l := range lines {
		l = strings.TrimRight(l, " \t\u00a0")
		if l == "" && (i == 0 || len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// maxMIMEDepth bounds the nesting of multiparts in a raw message.
const maxMIMEDepth = 8

// ParseInbound parses an Inbound Parse POST (multipart/form-data) of at most
// maxBytes, attachments included. It reads the fields from, to, cc, subject,
// text, html and envelope, converting each text field from the charset that
// the charsets field names for it. With "Send Raw" set, SendGrid posts the
// whole message in the field email instead of text and html; the bodies, and
// any header missing from the form, are then taken from it. Attachments and
// other fields are read past and dropped.
//
// A message needs a sender, in from or in the envelope; anything else may be
// missing. Errors are ErrTooLarge, ErrCharset (a charset this package cannot
// convert) or ErrMalformed.
func ParseInbound(r *http.Request, maxBytes int64) (Message, error) {
	var m Message
	if maxBytes <= 0 {
		return Message{}, errors.New("inbound: maxBytes must be positive")
	}
	if r.Body == nil {
		return Message{}, fmt.Errorf("%w: no body", ErrMalformed)
	}
	if r.ContentLength > maxBytes {
		return Message{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, r.ContentLength, maxBytes)
	}
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return Message{}, fmt.Errorf("%w: want multipart/form-data", ErrMalformed)
	}

	// Stream the parts rather than r.ParseMultipartForm: attachments are of
	// no use here and need not be buffered or spooled to disk.
	body := &limitedBody{r: http.MaxBytesReader(nil, r.Body, maxBytes)}
	fields, raw, err := readParts(multipart.NewReader(body, params["boundary"]))
	if body.err != nil {
		// Whatever a parser made of a body cut short, the cause is the limit.
		return Message{}, readError(body.err)
	} else if err != nil {
		return Message{}, readError(err)
	}

	var charsets map[string]string
	if b := fields["charsets"]; len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &charsets); err != nil {
			return Message{}, fmt.Errorf("%w: charsets is not a JSON object of strings", ErrMalformed)
		}
	}
	text := make(map[string]string)
	for _, name := range []string{"from", "to", "cc", "subject", "text", "html", "headers"} {
		b, ok := fields[name]
		if !ok {
			continue
		}
		s, err := decodeCharset(b, charsets[name])
		if err != nil {
			return Message{}, fmt.Errorf("%w (field %s)", err, name)
		}
		text[name] = s
	}
	if raw != nil {
		// The form's fields are SendGrid's own parse; the raw message only
		// fills what the form leaves out.
		for name, s := range map[string]string{
			"from": raw.from, "to": raw.to, "cc": raw.cc, "subject": raw.subject,
			"text": raw.text, "html": raw.html,
		} {
			if _, ok := text[name]; !ok && s != "" {
				text[name] = s
			}
		}
	}

	if b := fields["envelope"]; len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &m.Envelope); err != nil {
			return Message{}, fmt.Errorf("%w: envelope is not the expected JSON", ErrMalformed)
		}
	}
	m.From = parseAddresses(text["from"])
	m.To = parseAddresses(text["to"])
	m.Cc = parseAddresses(text["cc"])
	m.Subject = strings.TrimSpace(text["subject"])
	m.Text = strings.ReplaceAll(text["text"], "\r\n", "\n")
	m.HTML = text["html"]
	m.Header = parseHeaderBlock(text["headers"])
	if raw != nil {
		for k, v := range raw.header {
			if _, ok := m.Header[k]; !ok {
				m.Header[k] = v
			}
		}
	}
	if len(m.From) == 0 && m.Envelope.From == "" {
		return Message{}, fmt.Errorf("%w: no sender", ErrMalformed)
	}
	return m, nil
}

// readParts reads the form fields that ParseInbound uses, and parses the raw
// message if there is one.
func readParts(mr *multipart.Reader) (fields map[string][]byte, raw *rawMessage, err error) {
	fields = make(map[string][]byte)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return fields, raw, nil
		} else if err != nil {
			return nil, nil, err
		}
		name := part.FormName()
		if part.FileName() != "" {
			continue // an attachment; NextPart reads past it
		}
		switch name {
		case "from", "to", "cc", "subject", "text", "html", "headers", "envelope", "charsets":
			if _, seen := fields[name]; seen {
				continue
			}
			if fields[name], err = io.ReadAll(part); err != nil {
				return nil, nil, err
			}
		case "email":
			if raw != nil {
				continue
			}
			if raw, err = parseRawMessage(part); err != nil {
				return nil, nil, err
			}
		}
	}
}

// limitedBody remembers the error of the size limit, which parsers reading
// through it may report as something else (a header line cut short).
type limitedBody struct {
	r   io.Reader
	err error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.err = err
	}
	return n, err
}

// rawMessage is what ParseInbound takes from the field email: header values
// (encoded words decoded) and the first text/plain and text/html bodies that
// are not attachments.
type rawMessage struct {
	header                textproto.MIMEHeader
	from, to, cc, subject string
	text, html            string
	hasText, hasHTML      bool
}

func parseRawMessage(r io.Reader) (*rawMessage, error) {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return nil, readError(err)
	}
	rm := &rawMessage{
		header:  textproto.MIMEHeader(msg.Header),
		from:    decodeHeader(msg.Header.Get("From")),
		to:      decodeHeader(msg.Header.Get("To")),
		cc:      decodeHeader(msg.Header.Get("Cc")),
		subject: decodeHeader(msg.Header.Get("Subject")),
	}
	if err := rm.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0); err != nil {
		return nil, err
	}
	return rm, nil
}

// walk looks for the bodies in one MIME entity, descending into multiparts.
func (rm *rawMessage) walk(header textproto.MIMEHeader, body io.Reader, depth int) error {
	ct := header.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii" // RFC 2045's default
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil && mediaType == "" {
		return nil // an entity we cannot type is not a body we can read
	}
	if disp, _, _ := mime.ParseMediaType(header.Get("Content-Disposition")); disp == "attachment" {
		return nil
	}
	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		if depth >= maxMIMEDepth {
			return fmt.Errorf("%w: MIME nested too deep", ErrMalformed)
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil
			} else if err != nil {
				return readError(err)
			}
			if err := rm.walk(part.Header, part, depth+1); err != nil {
				return err
			}
		}
	case mediaType == "text/plain" && !rm.hasText:
		s, err := readEntity(header, body, params["charset"])
		if err != nil {
			return err
		}
		rm.text, rm.hasText = s, true
	case mediaType == "text/html" && !rm.hasHTML:
		s, err := readEntity(header, body, params["charset"])
		if err != nil {
			return err
		}
		rm.html, rm.hasHTML = s, true
	}
	return nil
}

// readEntity undoes an entity's transfer encoding and charset. The multipart
// reader has already undone quoted-printable in parts (and dropped the
// header); a top-level body still carries it.
func readEntity(header textproto.MIMEHeader, body io.Reader, charset string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(header.Get("Content-Transfer-Encoding"))) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return "", readError(err)
	}
	return decodeCharset(b, charset)
}

// decodeCharset converts b from the named charset to UTF-8. No name means
// UTF-8, SendGrid's default. Names are resolved as browsers do (WHATWG
// Encoding), so us-ascii and iso-8859-1 read as windows-1252, their superset.
// Bytes invalid in the charset become U+FFFD.
func decodeCharset(b []byte, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.EqualFold(name, "utf-8") || strings.EqualFold(name, "utf8") {
		if utf8.Valid(b) {
			return string(b), nil
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	enc, err := htmlindex.Get(name)
	if err != nil || enc == encoding.Replacement {
		return "", fmt.Errorf("%w: %q", ErrCharset, name)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrCharset, name, err)
	}
	return string(out), nil
}

// charsetReader lets the mime package decode encoded words in any charset
// that decodeCharset knows.
func charsetReader(name string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(name)
	if err != nil || enc == encoding.Replacement {
		return nil, fmt.Errorf("%w: %q", ErrCharset, name)
	}
	return enc.NewDecoder().Reader(input), nil
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// decodeHeader decodes RFC 2047 encoded words, keeping the raw value when
// they cannot be decoded.
func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// parseAddresses returns the bare addresses of an address-list header. Real
// mail has malformed headers ("Doe, Jane <jane@example.com>"); when the
// strict parse fails, every word with an '@' inside is taken instead.
func parseAddresses(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out []string
	if list, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(s); err == nil {
		for _, a := range list {
			out = append(out, a.Address)
		}
		return out
	}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune(" \t\r\n,;<>\"'()[]", r)
	}) {
		if at := strings.IndexByte(w, '@'); at > 0 && at < len(w)-1 {
			out = append(out, w)
		}
	}
	return out
}

// blockEnd finds the end of block elements that mail clients use as lines.
var blockEnd = regexp.MustCompile(`(?i)</(div|blockquote|tr|table|h[1-6])\s*>`)

// maxHeaders bounds the header fields kept of a message.
const maxHeaders = 500

// parseHeaderBlock reads the header block SendGrid posts in the field
// headers. Real mail has malformed lines; what cannot be read is skipped,
// and a block that cannot be read at all gives no headers, never an error:
// headers only help tell automatic mail from a person's.
func parseHeaderBlock(block string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	block = strings.ReplaceAll(block, "\r\n", "\n")
	var name, value string
	flush := func() {
		if name != "" && len(h) < maxHeaders {
			h.Add(name, decodeHeader(strings.TrimSpace(value)))
		}
		name, value = "", ""
	}
	for _, line := range strings.Split(block, "\n") {
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" {
				value += " " + strings.TrimSpace(line)
			}
			continue
		}
		flush()
		k, v, ok := strings.Cut(line, ":")
		if ok && k != "" && !strings.ContainsAny(k, " \t") {
			name, value = textproto.CanonicalMIMEHeaderKey(k), v
		}
	}
	flush()
	return h
}
