package inbound

import (
	"regexp"
	"strings"
	"unicode"
)

// ws is white space as mail clients write it, non-breaking spaces included
// (French puts one before a colon).
const ws = `[\s\x{00A0}\x{202F}]`

var (
	// "-----Original Message-----" and its translations (Outlook).
	originalMessage = regexp.MustCompile(`(?i)^` + ws + `*-{3,}` + ws + `*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original|originalmeddelande|oprindelig meddelelse|opprinnelig melding|alkuperäinen viesti|wiadomość oryginalna|oryginalna wiadomość)` + ws + `*-{3,}` + ws + `*$`)

	// The rule Outlook draws above the header block of the quoted message.
	rule = regexp.MustCompile(`^` + ws + `*_{10,}` + ws + `*$`)

	// First and second lines of a quoted header block: "From: …" then
	// "Sent: …" or "Date: …", possibly in bold (*From:*) or translated.
	headerFrom = regexp.MustCompile(`(?i)^` + ws + `*\*?(from|de|von|van|da|från|fra|od|lähettäjä)` + ws + `*:\*?` + ws + `*\S`)
	headerSent = regexp.MustCompile(`(?i)^` + ws + `*\*?(sent|date|envoyé|gesendet|datum|verzonden|inviato|data|enviado|enviada|fecha|skickat|sendt|wysłano|lähetetty)` + ws + `*:\*?` + ws + `*\S`)

	// An attribution line: "On <date>, <name> wrote:" and its translations,
	// "Le … a écrit :", "Am … schrieb …:", "El … escribió:", "Il … ha
	// scritto:", "Op … schreef …:", "Em … escreveu:", "Den … skrev …:",
	// "W dniu … napisał(a):".
	attribution = regexp.MustCompile(`(?i)^` + ws + `*(on|le|am|el|il|op|em|den|w dniu)` + ws + `.*` + ws +
		`(wrote|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|skrev|napisał\(a\)|napisała|napisał)(` + ws + `.*)?:` + ws + `*$`)
)

// StripQuoted returns the new part of a plain-text reply: it drops the
// quoted history that mail clients append or interleave, and the sender's
// signature. Specifically it drops
//
//   - every line that starts with '>' (so answers written between quoted
//     lines survive);
//   - an attribution line ("On Mon, 8 Jan 2024 at 10:00, Jane <jane@…>
//     wrote:", or its French, German, Spanish, Italian, Dutch, Portuguese,
//     Scandinavian or Polish form, possibly wrapped over up to three lines),
//     and, unless '>' lines follow it, everything after it;
//   - from an Outlook "-----Original Message-----" line, a rule of
//     underscores before a header block, or a "From: …" line followed by a
//     "Sent:" or "Date:" line, everything to the end;
//   - from a signature delimiter ("-- ", or "--" once trailing blanks are
//     stripped) everything to the end;
//
// and trailing white space of every line and of the whole. Line ends become
// LF. A forwarded message ("---------- Forwarded message ---------") is the
// customer's new content and is kept.
func StripQuoted(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}

	var out []string
	dropped := false // whether a line was dropped since the last one kept
	keep := func(l string) {
		if l == "" && dropped && len(out) > 0 && out[len(out)-1] == "" {
			return // don't leave a double gap where a quote was
		}
		out = append(out, l)
		if l != "" {
			dropped = false
		}
	}

scan:
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case isQuote(l):
			dropped = true
		case l == "--" || originalMessage.MatchString(l):
			break scan
		case rule.MatchString(l) && isHeaderBlock(lines, nextNonBlank(lines, i+1)):
			break scan
		case isHeaderBlock(lines, i):
			break scan
		default:
			if n := attributionLen(lines, i); n > 0 {
				if next := nextNonBlank(lines, i+n); next < len(lines) && isQuote(lines[next]) {
					i += n - 1
					dropped = true
					continue
				}
				break scan
			}
			keep(l)
		}
	}
	return strings.TrimLeft(strings.TrimRightFunc(strings.Join(out, "\n"), unicode.IsSpace), "\n")
}

func isQuote(l string) bool {
	return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">")
}

func nextNonBlank(lines []string, i int) int {
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	return i
}

// isHeaderBlock reports whether lines[i] is "From: …" with "Sent: …" or
// "Date: …" on one of the next three lines.
func isHeaderBlock(lines []string, i int) bool {
	if i >= len(lines) || !headerFrom.MatchString(lines[i]) {
		return false
	}
	for j := i + 1; j < len(lines) && j <= i+3; j++ {
		if headerSent.MatchString(lines[j]) {
			return true
		}
	}
	return false
}

// attributionLen returns how many lines, one to three, make the attribution
// starting at lines[i], or 0 if none does. Clients wrap a long attribution,
// typically before the address or before "wrote:". A date needs a digit,
// which keeps "On reflection, I wrote:" in the reply.
func attributionLen(lines []string, i int) int {
	joined := ""
	for n := 1; n <= 3 && i+n <= len(lines); n++ {
		l := lines[i+n-1]
		if n > 1 && (strings.TrimSpace(l) == "" || isQuote(l)) {
			return 0
		}
		joined = strings.TrimSpace(joined + " " + l)
		if strings.ContainsAny(joined, "0123456789") && attribution.MatchString(joined) {
			return n
		}
	}
	return 0
}
