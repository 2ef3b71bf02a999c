package casedesk_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestClassifyInbound(t *testing.T) {
	h := func(kv ...string) map[string][]string {
		out := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = append(out[kv[i]], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		name string
		mail casedesk.InboundMail
		want string
	}{
		{"a person's reply", casedesk.InboundMail{From: "jane@example.com", Subject: "Re: your case"}, casedesk.InboundReply},
		{"Auto-Submitted: no is a person's", casedesk.InboundMail{From: "jane@example.com", Header: h("Auto-Submitted", "no")}, casedesk.InboundReply},
		{"Auto-Submitted: auto-replied", casedesk.InboundMail{From: "jane@example.com", Header: h("Auto-Submitted", "auto-replied")}, casedesk.InboundAutoReply},
		{"Auto-Submitted with parameters", casedesk.InboundMail{From: "jane@example.com", Header: h("Auto-Submitted", "Auto-Generated; owner=jane")}, casedesk.InboundAutoReply},
		{"Precedence: bulk", casedesk.InboundMail{From: "jane@example.com", Header: h("Precedence", "bulk")}, casedesk.InboundAutoReply},
		{"Precedence: junk", casedesk.InboundMail{From: "jane@example.com", Header: h("Precedence", "junk")}, casedesk.InboundAutoReply},
		{"Precedence: list", casedesk.InboundMail{From: "jane@example.com", Header: h("Precedence", "List")}, casedesk.InboundAutoReply},
		{"Precedence: auto_reply", casedesk.InboundMail{From: "jane@example.com", Header: h("Precedence", "auto_reply")}, casedesk.InboundAutoReply},
		{"Precedence: first-class is a person's", casedesk.InboundMail{From: "jane@example.com", Header: h("Precedence", "first-class")}, casedesk.InboundReply},
		{"X-Autoreply", casedesk.InboundMail{From: "jane@example.com", Header: h("X-Autoreply", "yes")}, casedesk.InboundAutoReply},
		{"X-Autorespond", casedesk.InboundMail{From: "jane@example.com", Header: h("X-Autorespond", "")}, casedesk.InboundAutoReply},
		{"an Out of Office subject", casedesk.InboundMail{From: "jane@example.com", Subject: "Out of Office: Re: your case"}, casedesk.InboundAutoReply},
		{"an Automatic reply subject", casedesk.InboundMail{From: "jane@example.com", Subject: "Automatic reply: Re: your case"}, casedesk.InboundAutoReply},
		{"out of office inside a reply's subject is a person's", casedesk.InboundMail{From: "jane@example.com", Subject: "Re: out of office next week"}, casedesk.InboundReply},
		{"a mailer-daemon sender", casedesk.InboundMail{From: "MAILER-DAEMON@mx.example.com"}, casedesk.InboundBounce},
		{"a postmaster sender", casedesk.InboundMail{From: "postmaster@example.com", Header: h("Auto-Submitted", "auto-replied")}, casedesk.InboundBounce},
		{"a delivery-status report", casedesk.InboundMail{From: "jane@example.com",
			Header: h("Content-Type", `multipart/report; report-type=delivery-status; boundary="x"`)}, casedesk.InboundBounce},
		{"another kind of report is not a bounce", casedesk.InboundMail{From: "jane@example.com",
			Header: h("Content-Type", `multipart/report; report-type=disposition-notification; boundary="x"`)}, casedesk.InboundReply},
		{"an Undeliverable subject", casedesk.InboundMail{From: "jane@example.com", Subject: "Undeliverable: your case"}, casedesk.InboundBounce},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := casedesk.ClassifyInbound(tc.mail)
			if got != tc.want {
				t.Errorf("ClassifyInbound = %q (%s), want %q", got, why, tc.want)
			}
			if (got == casedesk.InboundReply) != (why == "") {
				t.Errorf("why = %q for %s", why, got)
			}
		})
	}
}

func TestSameAddress(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"jane@example.com", "jane@example.com", true},
		{"Jane@Example.COM", " jane@example.com ", true},
		{"jane@example.com", "jane@example.org", false},
		{"jane+x@example.com", "jane@example.com", false},
		{"", "", false},
		{"\u212aate@example.com", "kate@example.com", false}, // the Kelvin sign folds to k
	} {
		if got := casedesk.SameAddress(tc.a, tc.b); got != tc.want {
			t.Errorf("SameAddress(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestAutomaticMailChangesNothing(t *testing.T) {
	for _, s := range []casedesk.Status{sNew, sOpen, sWaiting, sPending, sEscalated, sResolved} {
		for _, kind := range []string{casedesk.InboundAutoReply, casedesk.InboundBounce} {
			t.Run(kind+" to a "+string(s)+" case", func(t *testing.T) {
				in := caseIn(t, s)
				if s == sWaiting {
					in.SLA.Paused, in.SLA.WaitingSince = true, ptr(t0)
				}
				got, events, err := decide(t, rules, in, casedesk.RecordAutoMail{Kind: kind, From: "jane@example.com",
					Subject: "Out of Office", Why: "Auto-Submitted: auto-replied"}, casedesk.MailActor, now)
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]string{casedesk.InboundAutoReply: casedesk.EventAutoReplyReceived, casedesk.InboundBounce: casedesk.EventBounceReceived}[kind]
				wantAccepted(t, in, got, events, casedesk.MailActor, now, want)
				noted, _ := mustDecide(t, in, casedesk.AddNote{Body: "x"}, agent, now)
				if got.Status != in.Status || !reflect.DeepEqual(got.SLA, noted.SLA) || !reflect.DeepEqual(got.ReopenUntil, in.ReopenUntil) {
					t.Errorf("automatic mail changed the case: status %s, SLA %+v", got.Status, got.SLA)
				}
				if events[0].Data["from"] != "jane@example.com" || events[0].Data["why"] != "Auto-Submitted: auto-replied" {
					t.Errorf("event data %v", events[0].Data)
				}
			})
		}
	}
	t.Run("a long subject is clipped, not refused", func(t *testing.T) {
		_, events, err := decide(t, rules, caseIn(t, sOpen), casedesk.RecordAutoMail{Kind: casedesk.InboundAutoReply,
			From: "a@example.com", Subject: strings.Repeat("x", 5000)}, casedesk.MailActor, now)
		if err != nil || len([]rune(events[0].Data["subject"].(string))) != casedesk.MaxSubjectLen {
			t.Errorf("err %v", err)
		}
	})
	t.Run("an unknown kind is refused", func(t *testing.T) {
		_, _, err := decide(t, rules, caseIn(t, sOpen), casedesk.RecordAutoMail{Kind: "spam"}, casedesk.MailActor, now)
		wantFields(t, err, "kind")
	})
}

func TestUnverifiedReplies(t *testing.T) {
	attach := casedesk.AttachUnverifiedReply{From: "boss@example.com", Subject: "Fwd: your case", Body: "  Please refund her.  "}

	t.Run("a reply from another address waits on the case and changes nothing else", func(t *testing.T) {
		for _, s := range []casedesk.Status{sOpen, sWaiting, sResolved} {
			in := caseIn(t, s)
			got, events, err := decide(t, rules, in, attach, casedesk.MailActor, now)
			if err != nil {
				t.Fatal(err)
			}
			wantAccepted(t, in, got, events, casedesk.MailActor, now, casedesk.EventUnverifiedReply)
			noted, _ := mustDecide(t, in, casedesk.AddNote{Body: "x"}, agent, now)
			if got.Status != s || !reflect.DeepEqual(got.SLA, noted.SLA) {
				t.Errorf("a %s case became %s", s, got.Status)
			}
			want := []casedesk.UnverifiedReply{{Seq: events[0].Seq, From: "boss@example.com", Subject: "Fwd: your case",
				Body: "Please refund her.", ReceivedAt: now}}
			if !reflect.DeepEqual(got.UnverifiedReplies, want) {
				t.Errorf("unverified replies %+v, want %+v", got.UnverifiedReplies, want)
			}
		}
	})

	t.Run("accepting it is the customer's reply it would have been", func(t *testing.T) {
		in := caseIn(t, sWaiting)
		in.SLA.Paused, in.SLA.WaitingSince = true, ptr(t0)
		held, events, _ := decide(t, rules, in, attach, casedesk.MailActor, now)
		seq := events[0].Seq
		got, events, err := decide(t, rules, held, casedesk.AcceptUnverifiedReply{Seq: seq}, agent, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		direct, directEvents, _ := decide(t, rules, held, casedesk.CustomerReply{Body: "Please refund her."}, casedesk.CustomerActor, now.Add(time.Minute))
		if got.Status != direct.Status || !reflect.DeepEqual(got.SLA, direct.SLA) {
			t.Errorf("accepted: status %s SLA %+v; a direct reply: %s %+v", got.Status, got.SLA, direct.Status, direct.SLA)
		}
		if len(got.UnverifiedReplies) != 0 {
			t.Errorf("still pending: %+v", got.UnverifiedReplies)
		}
		if events[0].Type != casedesk.EventUnverifiedAccepted || events[0].Actor != agent.ID || events[0].Data["reply_seq"] != seq {
			t.Errorf("first event %+v", events[0])
		}
		if len(events) != len(directEvents)+1 {
			t.Fatalf("events %v, want the accept and then %v", eventTypes(events), eventTypes(directEvents))
		}
		for i, e := range events[1:] {
			if e.Type != directEvents[i].Type || e.Actor != casedesk.CustomerActor.ID {
				t.Errorf("event %d: %s by %s, want %s by customer", i+1, e.Type, e.Actor, directEvents[i].Type)
			}
		}
		if r := events[1]; r.Data["body"] != "Please refund her." || r.Data["from"] != "boss@example.com" || r.Data["accepted_by"] != agent.ID {
			t.Errorf("customer_replied data %v", r.Data)
		}
	})

	t.Run("accepting it on a resolved case reopens it", func(t *testing.T) {
		held, events, _ := decide(t, rules, caseIn(t, sResolved), attach, casedesk.MailActor, now)
		got, _, err := decide(t, rules, held, casedesk.AcceptUnverifiedReply{Seq: events[0].Seq}, agent, now)
		if err != nil || got.Status != sOpen {
			t.Errorf("status %s, %v", got.Status, err)
		}
	})

	t.Run("discarding it drops it and changes nothing else", func(t *testing.T) {
		in := caseIn(t, sResolved)
		held, events, _ := decide(t, rules, in, attach, casedesk.MailActor, now)
		got, devents, err := decide(t, rules, held, casedesk.DiscardUnverifiedReply{Seq: events[0].Seq, Reason: "not the customer"}, agent, now)
		if err != nil {
			t.Fatal(err)
		}
		wantAccepted(t, held, got, devents, agent, now, casedesk.EventUnverifiedDiscarded)
		if got.Status != sResolved || len(got.UnverifiedReplies) != 0 || devents[0].Data["reason"] != "not the customer" {
			t.Errorf("status %s, pending %+v, data %v", got.Status, got.UnverifiedReplies, devents[0].Data)
		}
		_, _, err = decide(t, rules, got, casedesk.AcceptUnverifiedReply{Seq: events[0].Seq}, agent, now)
		wantCode(t, err, casedesk.ENOTFOUND)
	})

	t.Run("an unknown reply is not found", func(t *testing.T) {
		in := caseIn(t, sOpen)
		got, events, err := decide(t, rules, in, casedesk.AcceptUnverifiedReply{Seq: 1}, agent, now)
		wantRefused(t, in, got, events, err, casedesk.ENOTFOUND)
		got, events, err = decide(t, rules, in, casedesk.DiscardUnverifiedReply{Seq: 1}, agent, now)
		wantRefused(t, in, got, events, err, casedesk.ENOTFOUND)
	})

	t.Run("only staff accept or discard", func(t *testing.T) {
		held, events, _ := decide(t, rules, caseIn(t, sOpen), attach, casedesk.MailActor, now)
		for _, by := range []casedesk.Actor{casedesk.MailActor, casedesk.CustomerActor} {
			_, _, err := decide(t, rules, held, casedesk.AcceptUnverifiedReply{Seq: events[0].Seq}, by, now)
			wantCode(t, err, casedesk.EFORBIDDEN)
			_, _, err = decide(t, rules, held, casedesk.DiscardUnverifiedReply{Seq: events[0].Seq}, by, now)
			wantCode(t, err, casedesk.EFORBIDDEN)
		}
	})

	t.Run("a case holds a bounded number of them", func(t *testing.T) {
		c := caseIn(t, sOpen)
		for range casedesk.MaxPendingUnverified {
			c, _ = mustDecide(t, c, attach, casedesk.MailActor, now)
		}
		_, _, err := decide(t, rules, c, attach, casedesk.MailActor, now)
		wantCode(t, err, casedesk.ECONFLICT)
	})

	t.Run("bad input names the field", func(t *testing.T) {
		_, _, err := decide(t, rules, caseIn(t, sOpen), casedesk.AttachUnverifiedReply{}, casedesk.MailActor, now)
		wantFields(t, err, "from", "body")
		_, _, err = decide(t, rules, caseIn(t, sOpen), casedesk.DiscardUnverifiedReply{Seq: 2, Reason: strings.Repeat("x", casedesk.MaxReasonLen+1)}, agent, now)
		wantFields(t, err, "reason")
	})
}

func TestFollowUp(t *testing.T) {
	prev := caseIn(t, sClosed)
	prev.Category = "double_charge"
	req := casedesk.FollowUp(prev, "  One more thing.  ", nil)
	want := casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: prev.CustomerID, Subject: prev.Subject,
		Description: "One more thing.", Channel: casedesk.ChannelEmail, Priority: prev.Priority,
		Category: "double_charge", FollowUpOf: prev.ID}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("FollowUp = %+v, want %+v", req, want)
	}
	if got := casedesk.FollowUp(prev, "x", []string{"other"}); got.Category != "" {
		t.Errorf("a category no longer configured was kept: %q", got.Category)
	}
	if got := casedesk.FollowUp(prev, strings.Repeat("é", casedesk.MaxBodyLen+10), nil); len([]rune(got.Description)) != casedesk.MaxBodyLen {
		t.Errorf("a long reply was not cut to the limit")
	}

	t.Run("the customer's email opens it, and only a follow-up", func(t *testing.T) {
		c, events, err := rules.Open("C-NEW001", req, casedesk.CustomerActor, now)
		if err != nil || c.FollowUpOf != prev.ID || c.OpenedBy != "customer" || events[0].Data["follow_up_of"] != prev.ID {
			t.Fatalf("Open = %+v, %v, %v", c, events, err)
		}
		plain := req
		plain.FollowUpOf = ""
		_, _, err = rules.Open("C-NEW002", plain, casedesk.CustomerActor, now)
		wantCode(t, err, casedesk.EFORBIDDEN)
	})
	t.Run("it must follow up a case of the same customer", func(t *testing.T) {
		if err := req.CheckFollowUp(&prev); err != nil {
			t.Errorf("CheckFollowUp: %v", err)
		}
		wantFields(t, req.CheckFollowUp(nil), "follow_up_of")
		other := prev
		other.CustomerID = "CU-2"
		wantFields(t, req.CheckFollowUp(&other), "follow_up_of")
		if err := (casedesk.OpenRequest{}).CheckFollowUp(nil); err != nil {
			t.Errorf("no follow-up: %v", err)
		}
	})
}
