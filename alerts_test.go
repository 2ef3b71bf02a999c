package casedesk

import (
	"slices"
	"strings"
	"testing"
)

func TestAlertRoutingTarget(t *testing.T) {
	r := AlertRouting{
		Routes: map[string]string{MailApprovalRequested: RouteTeam, MailSLABreach: RouteAssignee},
		Teams: []Team{
			{Name: "disputes", Types: []Type{TypeDispute, TypeChargeback}, Supervisors: []string{"U-2", "U-1"}},
			{Name: "refunds", Categories: []string{"refund_request"}, Supervisors: []string{"U-3", "U-1"}},
		},
	}
	every := StaffTarget{Roles: SupervisorRoles}
	for _, tt := range []struct {
		name string
		c    Case
		n    Notice
		want StaffTarget
	}{
		{"the assignee notice goes to the assignee", Case{AssigneeID: "U-9"}, Notice{MailSLAWarning, AudienceAssignee}, StaffTarget{UserIDs: []string{"U-9"}}},
		{"a kind without a route goes to every supervisor", Case{Type: TypeDispute}, Notice{MailApprovalExpiring, AudienceSupervisors}, every},
		{"a team route goes to the team of the type", Case{Type: TypeDispute}, Notice{MailApprovalRequested, AudienceSupervisors}, StaffTarget{UserIDs: []string{"U-1", "U-2"}}},
		{"and of the category, once each", Case{Type: TypeDispute, Category: "refund_request"}, Notice{MailApprovalRequested, AudienceSupervisors}, StaffTarget{UserIDs: []string{"U-1", "U-2", "U-3"}}},
		{"a case no team takes goes to every supervisor", Case{Type: TypeInquiry}, Notice{MailApprovalRequested, AudienceSupervisors}, every},
		{"an assignee route goes to the assignee", Case{Type: TypeDispute, AssigneeID: "U-9"}, Notice{MailSLABreach, AudienceSupervisors}, StaffTarget{UserIDs: []string{"U-9"}}},
		{"or to the team while unassigned", Case{Type: TypeDispute}, Notice{MailSLABreach, AudienceSupervisors}, StaffTarget{UserIDs: []string{"U-1", "U-2"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Target(tt.c, tt.n)
			if !slices.Equal(got.UserIDs, tt.want.UserIDs) || !slices.Equal(got.Roles, tt.want.Roles) {
				t.Errorf("Target = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAlertModes(t *testing.T) {
	r := AlertRouting{Modes: map[string]string{MailSLAWarning: AlertDigest}}
	for _, tt := range []struct{ kind, chosen, want string }{
		{MailSLABreach, "", AlertImmediate}, // breaches are immediate unless chosen otherwise
		{MailSLAWarning, "", AlertDigest},
		{MailSLAWarning, AlertImmediate, AlertImmediate},
		{MailApprovalRequested, AlertDigest, AlertDigest},
	} {
		if got := r.Mode(tt.kind, tt.chosen); got != tt.want {
			t.Errorf("Mode(%s, %q) = %s, want %s", tt.kind, tt.chosen, got, tt.want)
		}
	}
	if err := CheckAlertMode(MailSLABreach, AlertDigest); err != nil {
		t.Error(err)
	}
	if err := CheckAlertMode(MailCaseOpened, "weekly"); err == nil || len(err.(*Error).Fields) != 2 {
		t.Errorf("CheckAlertMode of a customer kind and an unknown mode: %v", err)
	}
}

func TestParseAlertRouting(t *testing.T) {
	r, err := ParseAlertRouting([]byte(`{"routes": {"approval_requested": "team"}, "modes": {"sla_warning": "digest"},
		"digest_every": "15m", "teams": [{"name": "disputes", "types": ["dispute"], "supervisors": ["U-1"]}]}`))
	if err != nil || r.Every().Minutes() != 15 || r.Routes[MailApprovalRequested] != RouteTeam || len(r.Teams) != 1 {
		t.Fatalf("ParseAlertRouting: %+v, %v", r, err)
	}
	if (AlertRouting{}).Every() != DefaultDigestEvery {
		t.Error("no digest_every is not the default")
	}
	for _, tt := range []struct{ doc, field string }{
		{`{"routes": {"case_opened": "team"}}`, "routes.case_opened"},
		{`{"routes": {"sla_breach": "everyone"}}`, "routes.sla_breach"},
		{`{"modes": {"sla_breach": "weekly"}}`, "modes.sla_breach"},
		{`{"teams": [{"name": "a", "supervisors": []}]}`, "teams[0].supervisors"},
		{`{"teams": [{"name": "a", "types": ["x"], "supervisors": ["U-1"]}]}`, "teams[0].types[0]"},
		{`{"digest_every": "soon"}`, ""},
		{`{"teams": 3}`, "teams"},
	} {
		_, err := ParseAlertRouting([]byte(tt.doc))
		if err == nil {
			t.Errorf("%s: accepted", tt.doc)
			continue
		}
		if tt.field != "" && !strings.Contains(fieldsOf(err), tt.field) {
			t.Errorf("%s: %v (fields %s), want a problem with %s", tt.doc, err, fieldsOf(err), tt.field)
		}
	}
}

func fieldsOf(err error) string {
	e, ok := err.(*Error)
	if !ok {
		return ""
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return strings.Join(out, ",")
}

func TestAlertChoices(t *testing.T) {
	digest, weekly := AlertDigest, "weekly"
	if _, err := CheckAlertModes(RoleAgent, map[string]*string{MailSLAWarning: &digest}); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("an agent chose alert modes: %v", err)
	}
	got, err := CheckAlertModes(RoleSupervisor, map[string]*string{MailApprovalRequested: &digest, MailSLABreach: nil})
	if err != nil || got[MailApprovalRequested] != AlertDigest || got[MailSLABreach] != "" || len(got) != 2 {
		t.Fatalf("CheckAlertModes = %v, %v", got, err)
	}
	_, err = CheckAlertModes(RoleAdmin, map[string]*string{MailCaseOpened: &digest, MailSLAWarning: &weekly})
	if e, ok := err.(*Error); !ok || len(e.Fields) != 2 || e.Fields[0].Field != MailCaseOpened || e.Fields[1].Field != MailSLAWarning {
		t.Errorf("a customer kind and an unknown mode: %v", err)
	}
	r := AlertRouting{Modes: map[string]string{MailSLAWarning: AlertDigest}}
	settings := r.Settings(map[string]string{MailApprovalRequested: AlertDigest})
	if len(settings) != len(StaffAlertKinds) {
		t.Fatalf("%d settings for %d kinds", len(settings), len(StaffAlertKinds))
	}
	for _, s := range settings {
		want := AlertSetting{Kind: s.Kind, Mode: AlertImmediate, Default: AlertImmediate}
		switch s.Kind {
		case MailApprovalRequested:
			want.Mode, want.Chosen = AlertDigest, true
		case MailSLAWarning:
			want.Mode, want.Default = AlertDigest, AlertDigest
		}
		if s != want {
			t.Errorf("setting %+v, want %+v", s, want)
		}
	}
}
