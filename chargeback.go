package casedesk

import (
	"slices"
	"strings"
	"time"
)

// Card networks whose chargebacks we handle.
const (
	NetworkVisa       = "visa"
	NetworkMastercard = "mastercard"
)

// Networks lists the card networks.
var Networks = []string{NetworkVisa, NetworkMastercard}

// reasonCodes lists each network's chargeback reason codes with their names:
// Visa's dispute categories 10 (fraud), 11 (authorization), 12 (processing
// errors) and 13 (consumer disputes); Mastercard's four-digit codes.
var reasonCodes = map[string][][2]string{
	NetworkVisa: {
		{"10.1", "EMV liability shift counterfeit fraud"}, {"10.2", "EMV liability shift non-counterfeit fraud"},
		{"10.3", "Other fraud: card-present environment"}, {"10.4", "Other fraud: card-absent environment"},
		{"10.5", "Visa Fraud Monitoring Program"},
		{"11.1", "Card recovery bulletin"}, {"11.2", "Declined authorization"}, {"11.3", "No authorization"},
		{"12.1", "Late presentment"}, {"12.2", "Incorrect transaction code"}, {"12.3", "Incorrect currency"},
		{"12.4", "Incorrect account number"}, {"12.5", "Incorrect amount"}, {"12.6", "Duplicate processing or paid by other means"},
		{"12.7", "Invalid data"},
		{"13.1", "Merchandise or services not received"}, {"13.2", "Cancelled recurring transaction"},
		{"13.3", "Not as described or defective merchandise or services"}, {"13.4", "Counterfeit merchandise"},
		{"13.5", "Misrepresentation"}, {"13.6", "Credit not processed"}, {"13.7", "Cancelled merchandise or services"},
		{"13.8", "Original credit transaction not accepted"}, {"13.9", "Non-receipt of cash or load transaction value"},
	},
	NetworkMastercard: {
		{"4808", "Authorization-related chargeback"}, {"4812", "Account number not on file"},
		{"4831", "Transaction amount differs"}, {"4834", "Point-of-interaction error"},
		{"4837", "No cardholder authorization"}, {"4840", "Fraudulent processing of transactions"},
		{"4841", "Cancelled recurring or digital goods transactions"}, {"4842", "Late presentment"},
		{"4846", "Correct transaction currency code not provided"}, {"4849", "Questionable merchant activity"},
		{"4850", "Installment billing dispute"}, {"4853", "Cardholder dispute"},
		{"4854", "Cardholder dispute: not elsewhere classified (US only)"}, {"4855", "Goods or services not provided"},
		{"4859", "Addendum, no-show or ATM dispute"}, {"4860", "Credit not processed"},
		{"4863", "Cardholder does not recognize: potential fraud"}, {"4870", "Chip liability shift"},
		{"4871", "Chip/PIN liability shift"}, {"4999", "Domestic chargeback dispute (Europe region only)"},
	},
}

// ReasonCodeName returns the name of network's reason code, and whether the
// network has that code.
func ReasonCodeName(network, code string) (string, bool) {
	for _, rc := range reasonCodes[network] {
		if rc[0] == code {
			return rc[1], true
		}
	}
	return "", false
}

// ReasonCodes returns the codes of network in order.
func ReasonCodes(network string) []string {
	out := make([]string, 0, len(reasonCodes[network]))
	for _, rc := range reasonCodes[network] {
		out = append(out, rc[0])
	}
	return out
}

// Chargeback stages.
const (
	StageNeedsResponse  = "needs_response"
	StageUnderReview    = "under_review"
	StagePreArbitration = "pre_arbitration"
	StageWon            = "won"
	StageLost           = "lost"
)

// Chargeback outcomes.
const (
	OutcomeWon     = "won"
	OutcomeLost    = "lost"
	OutcomeExpired = "expired"
)

// Evidence kinds an agent may attach to a chargeback.
var EvidenceKinds = []string{
	"receipt", "customer_communication", "shipping_documentation", "refund_policy",
	"cancellation_policy", "service_documentation", "duplicate_charge_documentation", "uncategorized",
}

// Chargeback holds what a chargeback case knows beyond the common fields.
type Chargeback struct {
	PaymentID  string    `json:"payment_id"`
	Amount     Money     `json:"amount"`
	Network    string    `json:"network"`
	ReasonCode string    `json:"reason_code"`
	ReasonName string    `json:"reason_name"`
	DueBy      time.Time `json:"due_by"`
	Stage      string    `json:"stage"`
	// Evidence holds what was attached, in order.
	Evidence []Evidence `json:"evidence"`
	// Responses counts the responses submitted (one per stage that needs one).
	Responses   int        `json:"responses"`
	RespondedAt *time.Time `json:"responded_at"`
	// Timer facts, so each fires once.
	Warned    bool `json:"warned"`
	Escalated bool `json:"escalated"`
}

// Evidence is one document attached to a chargeback.
type Evidence struct {
	Kind    string    `json:"kind"`
	Text    string    `json:"text"`
	AddedBy string    `json:"added_by"`
	AddedAt time.Time `json:"added_at"`
}

// Chargeback deadlines relative to due_by (calendar time, set by the network).
const (
	ChargebackWarnBefore     = 3 * 24 * time.Hour
	ChargebackEscalateBefore = 24 * time.Hour
)

// Dispute holds what a dispute case knows beyond the common fields: the
// invoice or the payment the customer disputes, and how much.
type Dispute struct {
	InvoiceID string `json:"invoice_id,omitempty"`
	PaymentID string `json:"payment_id,omitempty"`
	Amount    Money  `json:"amount"`
	// Explanation is what the customer is told about the outcome.
	Explanation string `json:"explanation"`
}

func validNetwork(v *Validation, network, code string) {
	switch {
	case network == "":
		v.Add("network", "is required")
	case !slices.Contains(Networks, network):
		v.Add("network", "must be one of %s", strings.Join(Networks, ", "))
	case code == "":
		v.Add("reason_code", "is required")
	default:
		if _, ok := ReasonCodeName(network, code); !ok {
			if network == NetworkVisa {
				v.Add("reason_code", "is not a Visa reason code (10.1–10.5, 11.1–11.3, 12.1–12.7, 13.1–13.9)")
			} else {
				v.Add("reason_code", "is not a Mastercard reason code (four digits such as 4837 or 4853)")
			}
		}
	}
}

// The chargeback commands.
type (
	// AddEvidence attaches a document to a chargeback.
	AddEvidence struct {
		Expect
		Kind string `json:"kind"`
		Text string `json:"text"`
	}
	// Respond submits the representment to the network.
	Respond struct {
		Expect
		Summary string `json:"summary"`
	}
	// AcceptLoss ends the chargeback lost without responding.
	AcceptLoss struct {
		Expect
		Reason string `json:"reason"`
	}
	// NetworkOutcome records what the network decided.
	NetworkOutcome struct {
		Expect
		Outcome string `json:"outcome"`
	}
)

// Name implements Command.
func (AddEvidence) Name() string { return "evidence" }

// Name implements Command.
func (Respond) Name() string { return "respond" }

// Name implements Command.
func (AcceptLoss) Name() string { return "accept-loss" }

// Name implements Command.
func (NetworkOutcome) Name() string { return "network-outcome" }

// NetworkOutcomes lists what a network may decide on a response.
var NetworkOutcomes = []string{StageWon, StageLost, StagePreArbitration}

// awaitingResponse reports whether the chargeback waits for our response.
func (cb *Chargeback) awaitingResponse() bool {
	return cb.Stage == StageNeedsResponse || cb.Stage == StagePreArbitration
}

func (d *decision) requireChargeback(action string) error {
	if d.c.Chargeback == nil {
		return Errorf(ECONFLICT, "only chargeback cases can %s", action)
	}
	return nil
}

// requireAwaitingResponse refuses cmd unless the case is a chargeback that
// waits for our response, in a status that takes cmd.
func (d *decision) requireAwaitingResponse(cmd Command, action, why string) error {
	if err := d.requireChargeback(action); err != nil {
		return err
	}
	if !d.c.Chargeback.awaitingResponse() {
		return Errorf(ECONFLICT, "the chargeback is %s; %s", d.c.Chargeback.Stage, why)
	}
	return d.require(cmd)
}

func (d *decision) addEvidence(cmd AddEvidence) error {
	var v Validation
	kind := CleanText(cmd.Kind)
	if kind == "" {
		v.Add("kind", "is required")
	} else if !slices.Contains(EvidenceKinds, kind) {
		v.Add("kind", "must be one of %s", strings.Join(EvidenceKinds, ", "))
	}
	text, err := checkBody("text", cmd.Text, MaxBodyLen)
	mergeInto(&v, err)
	if err := v.Err(); err != nil {
		return err
	}
	if err := d.requireAwaitingResponse(cmd, "take evidence", "evidence goes with a response"); err != nil {
		return err
	}
	cb := d.chargeback()
	cb.Evidence = append(cb.Evidence, Evidence{Kind: kind, Text: text, AddedBy: d.by.ID, AddedAt: d.now})
	d.emit(EventEvidenceAdded, map[string]any{"kind": kind, "text": text, "count": len(cb.Evidence)})
	return nil
}

func (d *decision) respond(cmd Respond, r Rules) error {
	summary := CleanText(cmd.Summary)
	if n := len([]rune(summary)); n > MaxBodyLen {
		return Invalid("summary", "is %d characters long; the limit is %d", n, MaxBodyLen)
	}
	if err := d.requireChargeback("respond to the network"); err != nil {
		return err
	}
	cb := d.c.Chargeback
	switch {
	case cb.Stage == StageUnderReview:
		return Errorf(ECONFLICT, "a response was already submitted; the network is reviewing it")
	case !cb.awaitingResponse():
		return Errorf(ECONFLICT, "the chargeback is %s; there is nothing to respond to", cb.Stage)
	case len(cb.Evidence) == 0:
		return Errorf(ECONFLICT, "attach evidence before responding")
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	// A supervisor approves the response before it goes to the network.
	return d.gate(r, ApprovalChargebackResponse, summary)
}

// submitResponse sends the approved response: the chargeback goes under review.
func (d *decision) submitResponse(summary string) error {
	w := d.chargeback()
	if !w.awaitingResponse() {
		return Errorf(ECONFLICT, "the chargeback is %s; there is nothing to respond to", w.Stage)
	}
	w.Stage = StageUnderReview
	w.Responses++
	w.RespondedAt = at(d.now)
	d.emit(EventResponded, map[string]any{"summary": summary, "evidence": len(w.Evidence), "response": w.Responses})
	return nil
}

func (d *decision) acceptLoss(cmd AcceptLoss, r Rules) error {
	reason, err := checkBody("reason", cmd.Reason, MaxReasonLen)
	if err != nil {
		return err
	}
	if err := d.requireAwaitingResponse(cmd, "accept a loss", "a loss can only be accepted instead of responding"); err != nil {
		return err
	}
	// A supervisor approves accepting the loss.
	return d.gate(r, ApprovalChargebackLoss, reason)
}

func (d *decision) networkOutcome(cmd NetworkOutcome, r Rules) error {
	if cmd.Outcome == "" {
		return Invalid("outcome", "is required")
	}
	if !slices.Contains(NetworkOutcomes, cmd.Outcome) {
		return Invalid("outcome", "must be one of %s", strings.Join(NetworkOutcomes, ", "))
	}
	if err := d.requireChargeback("record a network outcome"); err != nil {
		return err
	}
	if d.c.Chargeback.Stage != StageUnderReview {
		return Errorf(ECONFLICT, "the chargeback is %s; the network decides only on a submitted response", d.c.Chargeback.Stage)
	}
	d.chargeback().Stage = cmd.Outcome
	d.emit(EventNetworkOutcome, map[string]any{"outcome": cmd.Outcome})
	switch cmd.Outcome {
	case StageWon:
		return d.resolveAs(OutcomeWon, "The network decided in our favour.", r)
	case StageLost:
		return d.resolveAs(OutcomeLost, "The network decided for the cardholder.", r)
	}
	return nil
}
