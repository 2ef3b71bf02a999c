package casedesk

import "slices"

// consoleActions are the actions a person takes on a case, by API name: what
// the console offers.
var consoleActions = []Command{
	Assign{}, Reply{}, AddNote{}, RequestInfo{}, CustomerReply{}, Resolve{}, Reopen{}, Close{}, SetPriority{},
	SetCategory{}, Escalate{}, ProposeRefund{}, ProposeCredit{}, VerifyIdentity{},
	AddEvidence{}, Respond{}, AcceptLoss{}, NetworkOutcome{},
}

// AvailableActions lists, by API name, the actions that c's status (the
// accepts table), type and chargeback stage allow a member of staff now. The
// rules still decide each action when it is sent; this is what to offer.
func AvailableActions(c Case, by Actor) []string {
	if !by.Role.IsStaff() {
		return []string{}
	}
	out := []string{}
	for _, cmd := range consoleActions {
		if Accepts(c.Status, cmd) && typeAllows(c, cmd) {
			out = append(out, cmd.Name())
		}
	}
	return out
}

// typeAllows says which actions belong to a case's type: chargebacks end by
// the network's outcome or an accepted loss, not by resolve, and are not
// reopened; their own actions follow the stage.
func typeAllows(c Case, cmd Command) bool {
	cb := c.Chargeback
	answering := cb != nil && slices.Contains([]string{StageNeedsResponse, StagePreArbitration}, cb.Stage)
	switch cmd.(type) {
	case Resolve, Reopen:
		return c.Type != TypeChargeback
	case AddEvidence, AcceptLoss:
		return answering
	case Respond:
		return answering && len(cb.Evidence) > 0
	case NetworkOutcome:
		return cb != nil && cb.Stage == StageUnderReview
	}
	return true
}
