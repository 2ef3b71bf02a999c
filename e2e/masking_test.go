package e2e_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/casedesk/casedesk"
)

// cardVariants are ways people and mail programs write 4111 1111 1111 1111.
var cardVariants = map[string]string{
	"dots":             "4111.1111.1111.1111",
	"two spaces":       "4111  1111  1111  1111",
	"a wrapped email":  "4111\n1111\n1111\n1111",
	"full-width":       "４１１１ １１１１ １１１１ １１１１",
	"no-break spaces":  "4111\u00a01111\u00a01111\u00a01111",
	"zero-width joins": "4111\u200b1111\u200b1111\u200b1111",
}

// leaksCard reports whether text holds the digits of the test card in any of
// its variants, once every separator is dropped and digits made ASCII.
func leaksCard(text string) bool {
	var b strings.Builder
	for _, r := range text {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		case r >= '0' && r <= '9', r == '*':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '\n' || r == '\u00a0' || r == '\u200b' || r == '\\' || r == 'n' || r == 'u':
			// separators, and the escapes JSON writes them as
		default:
			b.WriteByte('|')
		}
	}
	return strings.Contains(b.String(), "411111111111")
}

func historyText(t *testing.T, s *system, id string) string {
	t.Helper()
	buf, err := protojson.Marshal(workflowHistory(t, s, id))
	if err != nil {
		t.Fatal(err)
	}
	// Payloads are base64 in the JSON form of a history: read them too.
	text := string(buf)
	for _, m := range regexp.MustCompile(`"data":"([A-Za-z0-9+/=]+)"`).FindAllStringSubmatch(text, -1) {
		if raw, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
			text += "\n" + string(raw)
		}
	}
	return text
}

func TestCardNumbersAreMaskedWhateverTheirDisguise(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent, admin := s.as(casedesk.RoleAgent), s.as(casedesk.RoleAdmin)
	feed := s.as(casedesk.RoleIntegration)
	for name, card := range cardVariants {
		t.Run(name, func(t *testing.T) {
			id := s.openAssigned()
			expect(t, s.call("POST", "/v1/cases/"+id+"/notes", agent, map[string]any{"body": "Caller read out " + card}), http.StatusOK)
			token := testSigner.CaseToken(id, time.Now().Add(time.Hour))
			status, _, _ := page(t, "POST", s.url+"/c/"+token+"/reply", url.Values{"token": {token}, "body": {"My card is " + card}})
			if status != http.StatusSeeOther {
				t.Fatalf("customer-page reply: %d", status)
			}
			cu := s.call("POST", "/v1/customers", admin, map[string]any{"name": "Pat " + card, "email": "pat-" + randomHex(4) + "@example.com"})
			expect(t, cu, http.StatusCreated)
			pay := s.call("POST", "/v1/customers/"+s.customer.ID+"/payments", feed,
				map[string]any{"amount": "10.00", "currency": "USD", "method": "card", "reference": "ch " + card})
			expect(t, pay, http.StatusCreated)

			for what, text := range map[string]string{
				"the case":          string(s.call("GET", "/v1/cases/"+id, agent, nil).raw),
				"the timeline":      string(s.call("GET", "/v1/cases/"+id+"/events", agent, nil).raw),
				"the customer page": func() string { _, body, _ := page(t, "GET", s.url+"/c/"+token, nil); return body }(),
				"Temporal history":  historyText(t, s, id),
				"the customer":      string(s.call("GET", "/v1/customers/"+cu.body["id"].(string), agent, nil).raw),
				"the payment":       string(s.call("GET", "/v1/payments/"+pay.body["id"].(string), agent, nil).raw),
			} {
				if leaksCard(text) {
					t.Errorf("%s shows the card number written with %s", what, name)
				}
			}
		})
	}
}
