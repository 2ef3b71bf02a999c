package inbound_test

import (
	"strings"
	"testing"

	"github.com/casedesk/casedesk/inbound"
)

func TestStripQuoted(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{
			name: "a Gmail reply loses the attribution and the quote",
			in: "Thanks, the refund arrived today.\n\n" +
				"On Mon, Jan 5, 2026 at 9:14 AM Acme Billing <reply@billing.example> wrote:\n\n" +
				"> Your refund of 12.50 EUR has been issued.\n>\n> Case C-7Q4K2M\n",
			want: "Thanks, the refund arrived today.",
		},
		{
			name: "a Gmail attribution wrapped over two lines is recognised",
			in: "Yes, please close it.\n\n" +
				"On Mon, Jan 5, 2026 at 9:14 AM Acme Billing Customer Service <\n" +
				"reply+c-7q4k2m.k7jjc1ywafyqzthe3c3ffmr5z6wd6gjf@reply.casedesk.example> wrote:\n\n" +
				"> Can we close your case?\n",
			want: "Yes, please close it.",
		},
		{
			name: "an attribution wrapped before wrote: is recognised",
			in:   "Done.\n\nOn Tue, 6 Jan 2026 at 08:00, Acme Billing Customer Service <support@billing.example>\nwrote:\n> Please confirm.\n",
			want: "Done.",
		},
		{
			name: "an Outlook reply is cut at the rule and header block",
			in: "Hello,\r\n\r\nThe invoice number is INV-2291.\r\n\r\nRegards,\r\nJane\r\n\r\n" +
				"________________________________\r\n" +
				"From: Acme Billing <reply@billing.example>\r\n" +
				"Sent: Monday, January 5, 2026 9:14 AM\r\n" +
				"To: Jane Customer <jane@example.com>\r\n" +
				"Subject: Information needed for case C-7Q4K2M\r\n\r\n" +
				"Please send us the invoice number.\r\n",
			want: "Hello,\n\nThe invoice number is INV-2291.\n\nRegards,\nJane",
		},
		{
			name: "an Outlook header block in bold without a rule is cut",
			in:   "See attached.\n\n*From:* Acme Billing <reply@billing.example>\n*Sent:* Monday, January 5, 2026 9:14 AM\n*To:* Jane\n\nPlease send the statement.\n",
			want: "See attached.",
		},
		{
			name: "an Outlook original-message separator is cut",
			in:   "I never received it.\n\n-----Original Message-----\nFrom: Acme Billing [mailto:reply@billing.example]\nSent: 05 January 2026 09:14\nSubject: Refund\n\nYour refund was issued.\n",
			want: "I never received it.",
		},
		{
			name: "a French Outlook header block is cut",
			in:   "Bonjour,\nC'est réglé.\n\nDe : Acme Billing <reply@billing.example>\nEnvoyé : lundi 5 janvier 2026 09:14\nÀ : Jane\nObjet : Dossier C-7Q4K2M\n\nBonjour…\n",
			want: "Bonjour,\nC'est réglé.",
		},
		{
			name: "a German Outlook separator is cut",
			in:   "Danke.\n\n-----Ursprüngliche Nachricht-----\nVon: Acme Billing\nGesendet: Montag, 5. Januar 2026 09:14\n",
			want: "Danke.",
		},
		{
			name: "an Apple Mail reply quotes its attribution, and Sent from my iPhone stays",
			in: "Got it, thanks!\n\nSent from my iPhone\n\n" +
				"> On 5 Jan 2026, at 09:14, Acme Billing <reply@billing.example> wrote:\n> \n> Your case C-7Q4K2M is resolved.\n> \n",
			want: "Got it, thanks!\n\nSent from my iPhone",
		},
		{
			name: "a French Gmail attribution with a non-breaking space before the colon is recognised",
			in:   "Merci beaucoup.\n\nLe lun. 5 janv. 2026 à 09:14, Acme Billing <reply@billing.example> a écrit\u00a0:\n\n> Votre remboursement a été effectué.\n",
			want: "Merci beaucoup.",
		},
		{
			name: "a German attribution with the name after schrieb is recognised",
			in:   "Vielen Dank.\n\nAm Mo., 5. Jan. 2026 um 09:14 Uhr schrieb Acme Billing <reply@billing.example>:\n\n> Ihre Erstattung wurde veranlasst.\n",
			want: "Vielen Dank.",
		},
		{
			name: "Spanish, Dutch and Portuguese attributions are recognised",
			in: "Gracias.\n\nEl lun, 5 ene 2026 a las 9:14, Acme Billing (<reply@billing.example>) escribió:\n> Hola\n" +
				"Op ma 5 jan. 2026 om 09:14 schreef Acme Billing <reply@billing.example>:\n> Hallo\n" +
				"Em seg., 5 de jan. de 2026 às 09:14, Acme Billing <reply@billing.example> escreveu:\n> Olá\n",
			want: "Gracias.",
		},
		{
			name: "an attribution followed by unquoted history cuts the rest",
			in:   "Confirmed.\n\nOn 05/01/2026 09:14, Acme Billing wrote:\nYour refund was issued.\nAcme Billing\n",
			want: "Confirmed.",
		},
		{
			name: "answers written between quoted lines are kept",
			in: "On Mon, Jan 5, 2026 at 9:14 AM Acme Billing <reply@billing.example> wrote:\n" +
				"> What is the invoice number?\n\nINV-2291\n\n> And the amount charged twice?\n\n12.50 EUR, on 2 January.\n\n> Regards, Acme\n",
			want: "INV-2291\n\n12.50 EUR, on 2 January.",
		},
		{
			name: "the signature after the delimiter is dropped",
			in:   "Please call me back.\n\n-- \nJane Customer\n+44 20 7946 0000\n",
			want: "Please call me back.",
		},
		{
			name: "a signature delimiter whose space was trimmed is dropped too",
			in:   "Please call me back.\n--\nJane\n\nOn Mon, Jan 5, 2026 at 9:14 AM Acme wrote:\n> Hi\n",
			want: "Please call me back.",
		},
		{
			name: "a forwarded message is the customer's content and is kept",
			in:   "Here is the bank's letter.\n\n---------- Forwarded message ---------\nFrom: Bank <no-reply@bank.example>\nDate: Sun, Jan 4, 2026\nSubject: Chargeback\n\nWe have reversed the charge.\n",
			want: "Here is the bank's letter.\n\n---------- Forwarded message ---------",
		},
		{
			name: "a reply with no quote only loses trailing white space",
			in:   "  Indented first line.\nSecond line.   \n\n\nThird, after two blank lines.\t\n\n  \n",
			want: "  Indented first line.\nSecond line.\n\n\nThird, after two blank lines.",
		},
		{
			name: "a sentence that looks like an attribution but has no date is kept",
			in:   "On reflection, here is what I wrote:\nI was charged twice.\n",
			want: "On reflection, here is what I wrote:\nI was charged twice.",
		},
		{
			name: "a line that begins with From: but no header block follows is kept",
			in:   "From: my bank statement, the charge is 12.50.\nPlease check.\n",
			want: "From: my bank statement, the charge is 12.50.\nPlease check.",
		},
		{
			name: "a reply that is all quote is empty",
			in:   "> On Mon wrote:\n> hi\n",
			want: "",
		},
		{
			name: "nothing stays nothing",
			in:   "",
			want: "",
		},
		{
			name: "old Mac line ends are read as line ends",
			in:   "Thanks.\r\r> quoted\r",
			want: "Thanks.",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := inbound.StripQuoted(tc.in); got != tc.want {
				t.Errorf("StripQuoted(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzStripQuoted(f *testing.F) {
	f.Add("Thanks.\n\nOn Mon, Jan 5, 2026 at 9:14 AM A <a@b> wrote:\n> x\n")
	f.Add("________________________________\nFrom: a\nSent: b\n")
	f.Fuzz(func(t *testing.T, in string) {
		out := inbound.StripQuoted(in)
		if len(out) > len(in) {
			t.Fatalf("StripQuoted grew %q to %q", in, out)
		}
		if strings.HasSuffix(out, " ") || strings.HasSuffix(out, "\n") || strings.Contains(out, "\r") {
			t.Fatalf("StripQuoted(%q) = %q has trailing white space or CR", in, out)
		}
	})
}
