package workflows

// Change IDs of workflow.GetVersion, one per change to released workflow
// code (docs/architecture.md, "Versioning workflow code"). Never remove or
// rename one while a case that ran the old branch may still be open.
const (
	// changeCumulativeAuthority: the store decides the level a proposal
	// needs from the cumulative totals and checks the caller's identity,
	// under its lock; before it, the level was the amount's alone.
	changeCumulativeAuthority = "cumulative-authority"
	// changeReleaseFailedHolds: a movement that failed to post gives its
	// money back; before it, its hold stayed held.
	changeReleaseFailedHolds = "release-failed-holds"
	// changeProjectionActivity: a projection the local activity could not
	// write is retried by one regular activity with a retry policy, which
	// costs the same few history events however long PostgreSQL is down;
	// before it, each retry was a durable timer plus another local activity.
	changeProjectionActivity = "projection-activity"
	// changeCaseBounds: update handlers decide with the case's bounds
	// (bounds.go) as validators do; before it, without them.
	changeCaseBounds = "case-bounds"
	// changeOverdueClocks: an action decided after an SLA target passed
	// fires the breach first (Rules.LateClocksWait); before it, a reply
	// that beat the breach timer's task counted as on time.
	changeOverdueClocks = "overdue-clocks"
	// changeSettleClosedCase: a closed case records the posting, failure
	// or release of its money (Rules.ClosedRefusesSettlement); before it,
	// a refund posted after the case closed was refused and posted again
	// without end.
	changeSettleClosedCase = "settle-closed-case"
)
