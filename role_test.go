package casedesk_test

import (
	"testing"

	"github.com/casedesk/casedesk"
)

func TestRolePredicates(t *testing.T) {
	tests := []struct {
		role                                    casedesk.Role
		staff, approve, assignable, feedBilling bool
	}{
		{casedesk.RoleAgent, true, false, true, false},
		{casedesk.RoleSupervisor, true, true, true, false},
		{casedesk.RoleAdmin, true, true, false, true},
		{casedesk.RoleIntegration, false, false, false, true},
		{casedesk.RoleSystem, false, false, false, false},
		{casedesk.RoleCustomer, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			if got := tt.role.IsStaff(); got != tt.staff {
				t.Errorf("IsStaff() = %v, want %v", got, tt.staff)
			}
			if got := tt.role.CanApprove(); got != tt.approve {
				t.Errorf("CanApprove() = %v, want %v", got, tt.approve)
			}
			if got := tt.role.CanAssignCases(); got != tt.assignable {
				t.Errorf("CanAssignCases() = %v, want %v", got, tt.assignable)
			}
			if got := tt.role.CanRecordBilling(); got != tt.feedBilling {
				t.Errorf("CanRecordBilling() = %v, want %v", got, tt.feedBilling)
			}
		})
	}
}

func TestIntegrationIsAUserRoleButNotStaff(t *testing.T) {
	req := casedesk.NewUserRequest{Name: "Billing feed", Email: "billing@example.com", Role: casedesk.RoleIntegration}
	if err := req.Validate(); err != nil {
		t.Errorf("an admin cannot create an integration user: %v", err)
	}
	if err := casedesk.CheckAssignee(casedesk.User{ID: "U-1", Role: casedesk.RoleIntegration}); err == nil {
		t.Error("an integration user was accepted as a case assignee")
	}
}
