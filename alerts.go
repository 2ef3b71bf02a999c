package casedesk

import (
	"fmt"
	"os"
	"slices"
	"time"
)

// How a staff alert finds its recipients (AlertRouting.Routes).
const (
	// RouteRole: every user with one of SupervisorRoles (the default).
	RouteRole = "role"
	// RouteTeam: the supervisors of the teams the case belongs to (by type
	// or category); every supervisor when no team takes the case.
	RouteTeam = "team"
	// RouteAssignee: the case's assignee; the team (or every supervisor)
	// while the case is unassigned.
	RouteAssignee = "assignee"
)

// How a staff member takes an alert of one kind.
const (
	AlertImmediate = "immediate"
	AlertDigest    = "digest"
)

// MailDigest is the email listing the alerts a staff member chose to take as
// a digest.
const MailDigest = "digest"

// DefaultDigestEvery is how often digests go out when the configuration
// does not say.
const DefaultDigestEvery = 30 * time.Minute

// StaffAlertKinds are the kinds of email sent to staff.
var StaffAlertKinds = []string{MailApprovalRequested, MailSLAWarning, MailSLABreach, MailApprovalExpiring}

// AlertRouting says who receives the staff alerts meant for supervisors, and
// whether an alert is sent at once or kept for a digest.
type AlertRouting struct {
	// Routes is, per kind, RouteRole, RouteTeam or RouteAssignee.
	Routes map[string]string `json:"routes"`
	Teams  []Team            `json:"teams"`
	// Modes is the mode of a kind for staff who have not chosen one;
	// AlertImmediate when absent.
	Modes map[string]string `json:"modes"`
	// DigestEvery is how often digests are sent.
	DigestEvery Duration `json:"digest_every"`
}

// Team is a group of supervisors and the cases they look after: cases of
// one of Types or filed under one of Categories (an empty list matches
// nothing; both empty: every case).
type Team struct {
	Name        string   `json:"name"`
	Types       []Type   `json:"types"`
	Categories  []string `json:"categories"`
	Supervisors []string `json:"supervisors"` // user IDs
}

// Duration is a time.Duration written as "30m" in JSON.
type Duration time.Duration

// UnmarshalText reads a Go duration such as "30m".
func (d *Duration) UnmarshalText(b []byte) error {
	x, err := time.ParseDuration(string(b))
	if err != nil || x <= 0 {
		return fmt.Errorf("must be a positive duration such as \"30m\"")
	}
	*d = Duration(x)
	return nil
}

// MarshalText writes d as a Go duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// StaffTarget is who a staff notice goes to: these users and everyone with
// one of these roles.
type StaffTarget struct {
	UserIDs []string
	Roles   []Role
}

// Target returns who notice n of case c goes to. n must be for staff.
func (r AlertRouting) Target(c Case, n Notice) StaffTarget {
	if n.Audience == AudienceAssignee {
		return StaffTarget{UserIDs: []string{c.AssigneeID}}
	}
	route := r.Routes[n.Kind]
	if route == RouteAssignee && c.AssigneeID != "" {
		return StaffTarget{UserIDs: []string{c.AssigneeID}}
	}
	if route == RouteTeam || route == RouteAssignee {
		var ids []string
		for _, t := range r.Teams {
			if t.takes(c) {
				ids = append(ids, t.Supervisors...)
			}
		}
		if len(ids) > 0 {
			slices.Sort(ids)
			return StaffTarget{UserIDs: slices.Compact(ids)}
		}
	}
	return StaffTarget{Roles: SupervisorRoles}
}

func (t Team) takes(c Case) bool {
	if len(t.Types) == 0 && len(t.Categories) == 0 {
		return true
	}
	return slices.Contains(t.Types, c.Type) || (c.Category != "" && slices.Contains(t.Categories, c.Category))
}

// Mode returns how an alert of kind reaches someone whose own choice for
// it is chosen ("" when they made none): their choice, else the configured
// mode of the kind, else AlertImmediate.
func (r AlertRouting) Mode(kind, chosen string) string {
	if chosen == AlertImmediate || chosen == AlertDigest {
		return chosen
	}
	if m := r.Modes[kind]; m != "" {
		return m
	}
	return AlertImmediate
}

// Every returns how often digests are sent.
func (r AlertRouting) Every() time.Duration {
	if r.DigestEvery > 0 {
		return time.Duration(r.DigestEvery)
	}
	return DefaultDigestEvery
}

// CheckAlertMode checks a staff member's choice for alerts of kind.
func CheckAlertMode(kind, mode string) error {
	var v Validation
	checkAlertMode(&v, "kind", "mode", kind, mode)
	return v.Err()
}

func checkAlertMode(v *Validation, kindField, modeField, kind, mode string) {
	if !slices.Contains(StaffAlertKinds, kind) {
		v.Add(kindField, "is not a staff alert; they are %v", StaffAlertKinds)
	}
	if mode != AlertImmediate && mode != AlertDigest {
		v.Add(modeField, "must be %s or %s", AlertImmediate, AlertDigest)
	}
}

// AlertModeRoles may choose how they take staff alerts: the supervisors and
// admins the alerts are for.
var AlertModeRoles = []Role{RoleSupervisor, RoleAdmin}

// AlertSetting is how one kind of staff alert reaches someone: Mode, which
// they chose (Chosen) or which is the desk's Default for the kind.
type AlertSetting struct {
	Kind    string `json:"kind"`
	Mode    string `json:"mode"`
	Chosen  bool   `json:"chosen"`
	Default string `json:"default"`
}

// Settings returns, for every staff alert kind in order, how it reaches
// someone whose own choices are chosen.
func (r AlertRouting) Settings(chosen map[string]string) []AlertSetting {
	out := make([]AlertSetting, len(StaffAlertKinds))
	for i, kind := range StaffAlertKinds {
		c := chosen[kind]
		out[i] = AlertSetting{Kind: kind, Mode: r.Mode(kind, c), Chosen: c != "", Default: r.Mode(kind, "")}
	}
	return out
}

// CheckAlertModes checks the alert modes someone of role asks for, by kind
// (nil: back to the desk's default), and returns them with "" for a choice
// withdrawn. Only AlertModeRoles choose; a kind left out stays as it is.
func CheckAlertModes(role Role, modes map[string]*string) (map[string]string, error) {
	if !slices.Contains(AlertModeRoles, role) {
		return nil, Errorf(EFORBIDDEN, "only supervisors and admins choose how they take staff alerts")
	}
	var v Validation
	out := make(map[string]string, len(modes))
	for _, kind := range sortedKeys(modes) {
		if modes[kind] == nil {
			checkAlertMode(&v, kind, kind, kind, AlertImmediate)
			out[kind] = ""
			continue
		}
		checkAlertMode(&v, kind, kind, kind, *modes[kind])
		out[kind] = *modes[kind]
	}
	return out, v.Err()
}

// ParseAlertRouting reads the JSON staff alert configuration (see
// docs/email.md) and checks it.
func ParseAlertRouting(data []byte) (AlertRouting, error) {
	var r AlertRouting
	if field, msg := decodeStrict(data, &r); field == "" && msg != "" {
		return AlertRouting{}, Errorf(EINVALID, "the alerts configuration %s", msg)
	} else if msg != "" {
		return AlertRouting{}, retitle(Invalid(field, "%s", msg), "the alerts configuration is invalid")
	}
	var v Validation
	for _, kind := range sortedKeys(r.Routes) {
		if !slices.Contains(StaffAlertKinds, kind) {
			v.Add("routes."+kind, "is not a staff alert; they are %v", StaffAlertKinds)
		}
		switch r.Routes[kind] {
		case RouteRole, RouteTeam, RouteAssignee:
		default:
			v.Add("routes."+kind, "must be %s, %s or %s", RouteRole, RouteTeam, RouteAssignee)
		}
	}
	for _, kind := range sortedKeys(r.Modes) {
		if !slices.Contains(StaffAlertKinds, kind) {
			v.Add("modes."+kind, "is not a staff alert; they are %v", StaffAlertKinds)
		}
		if m := r.Modes[kind]; m != AlertImmediate && m != AlertDigest {
			v.Add("modes."+kind, "must be %s or %s", AlertImmediate, AlertDigest)
		}
	}
	names := map[string]bool{}
	for i, t := range r.Teams {
		f := fmt.Sprintf("teams[%d]", i)
		if t.Name == "" || names[t.Name] {
			v.Add(f+".name", "must be set and differ from the other teams'")
		}
		names[t.Name] = true
		if len(t.Supervisors) == 0 {
			v.Add(f+".supervisors", "must name at least one user ID")
		}
		for j, typ := range t.Types {
			if !slices.Contains(Types, typ) {
				v.Add(fmt.Sprintf("%s.types[%d]", f, j), "must be one of %v", Types)
			}
		}
	}
	if err := v.Err(); err != nil {
		return AlertRouting{}, retitle(err, "the alerts configuration is invalid")
	}
	return r, nil
}

// LoadAlertRouting reads the staff alert configuration from path; an empty
// path is the default: every alert to every supervisor, at once.
func LoadAlertRouting(path string) (AlertRouting, error) {
	if path == "" {
		return AlertRouting{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return AlertRouting{}, fmt.Errorf("read %s: %w", path, err)
	}
	return ParseAlertRouting(data)
}
