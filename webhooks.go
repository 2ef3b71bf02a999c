package casedesk

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Webhook event types: what an endpoint subscribes to.
const (
	HookCaseOpened            = "case.opened"
	HookCaseAssigned          = "case.assigned"
	HookCaseStatusChanged     = "case.status_changed"
	HookCaseResolved          = "case.resolved"
	HookCaseClosed            = "case.closed"
	HookCaseReopened          = "case.reopened"
	HookSLAWarning            = "sla.warning"
	HookSLABreached           = "sla.breached"
	HookApprovalRequested     = "approval.requested"
	HookApprovalDecided       = "approval.decided"
	HookApprovalExpired       = "approval.expired"
	HookRefundPosted          = "refund.posted"
	HookCreditPosted          = "credit.posted"
	HookChargebackStage       = "chargeback.stage_changed"
	HookEmailDelivery         = "email.delivery"
	HookCSATReceived          = "csat.received"
	HookAll                   = "*"
	maxWebhookURL             = 2048
	maxWebhookDescription     = 500
	maxWebhookEndpointsEvents = 32
)

// WebhookEventTypes is the documented list of event types, in order.
var WebhookEventTypes = []string{
	HookCaseOpened, HookCaseAssigned, HookCaseStatusChanged, HookCaseResolved, HookCaseClosed,
	HookCaseReopened, HookSLAWarning, HookSLABreached, HookApprovalRequested, HookApprovalDecided,
	HookApprovalExpired, HookRefundPosted, HookCreditPosted, HookChargebackStage, HookEmailDelivery,
	HookCSATReceived,
}

// hookOfEvent maps timeline event types to the webhook event they are sent as.
var hookOfEvent = map[string]string{
	EventOpened:            HookCaseOpened,
	EventAssigned:          HookCaseAssigned,
	EventResolved:          HookCaseResolved,
	EventClosed:            HookCaseClosed,
	EventReopened:          HookCaseReopened,
	EventSLAWarning:        HookSLAWarning,
	EventDeadlineWarning:   HookSLAWarning,
	EventSLABreached:       HookSLABreached,
	EventApprovalRequested: HookApprovalRequested,
	EventApprovalApproved:  HookApprovalDecided,
	EventApprovalRejected:  HookApprovalDecided,
	EventApprovalExpired:   HookApprovalExpired,
	EventRefundIssued:      HookRefundPosted,
	EventCreditApplied:     HookCreditPosted,
	EventResponded:         HookChargebackStage,
	EventLossAccepted:      HookChargebackStage,
	EventNetworkOutcome:    HookChargebackStage,
	EventChargebackExpired: HookChargebackStage,
}

// WebhookTypeOf returns the webhook event type a timeline event is sent as,
// or "" when none is.
func WebhookTypeOf(timelineType string) string { return hookOfEvent[timelineType] }

// WebhookDeliveryEvents are the email delivery events sent as email.delivery.
var WebhookDeliveryEvents = []string{"delivered", "bounce", "dropped"}

// Subscribed reports whether an endpoint subscribed to events takes typ.
func Subscribed(events []string, typ string) bool {
	return slices.Contains(events, HookAll) || slices.Contains(events, typ)
}

// Webhook delivery policy.
const (
	// WebhookTimeout is how long a receiver has to answer 2xx.
	WebhookTimeout = 10 * time.Second
	// WebhookRetryFor is how long a delivery is retried, and how long an
	// endpoint may fail every delivery before it is disabled.
	WebhookRetryFor = 72 * time.Hour
	// WebhookRotationOverlap is how long the old secret keeps signing.
	WebhookRotationOverlap = 24 * time.Hour
	// DefaultWebhookRetry is the first retry's delay.
	DefaultWebhookRetry = 30 * time.Second
	// maxWebhookDelay caps one delay between attempts.
	maxWebhookDelay = 6 * time.Hour
)

// WebhookBackoff is the delay after the attempt-th failed attempt (1 for the
// first): first doubling each time, never more than six hours.
func WebhookBackoff(first time.Duration, attempt int) time.Duration {
	if first <= 0 {
		first = DefaultWebhookRetry
	}
	d := first
	for i := 1; i < attempt && d < maxWebhookDelay; i++ {
		d *= 2
	}
	return min(d, maxWebhookDelay)
}

// WebhookEndpointRequest is the body of POST /v1/webhooks/endpoints.
type WebhookEndpointRequest struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// Validate checks the request; production allows only https URLs naming no
// loopback, private, link-local or metadata address.
func (r *WebhookEndpointRequest) Validate(production bool) error {
	var v Validation
	r.Description = MaskCardNumbers(strings.TrimSpace(r.Description))
	if err := CheckWebhookURL(r.URL, production); err != nil {
		v.Add("url", "%s", err.Error())
	}
	switch {
	case len(r.Events) == 0:
		v.Add("events", "name at least one event type, or \"*\"")
	case len(r.Events) > maxWebhookEndpointsEvents:
		v.Add("events", "at most %d event types", maxWebhookEndpointsEvents)
	}
	for i, e := range r.Events {
		if e != HookAll && !slices.Contains(WebhookEventTypes, e) {
			v.Add(fmt.Sprintf("events[%d]", i), "unknown event type %q; one of %s or \"*\"", e, strings.Join(WebhookEventTypes, ", "))
		}
	}
	if len(r.Description) > maxWebhookDescription {
		v.Add("description", "at most %d characters", maxWebhookDescription)
	}
	return v.Err()
}

// CheckWebhookURL checks an endpoint's URL: absolute http or https; in
// production https only, and a host that is not a forbidden address.
func CheckWebhookURL(raw string, production bool) error {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > maxWebhookURL:
		return fmt.Errorf("at most %d characters", maxWebhookURL)
	case err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return fmt.Errorf("must be an absolute http or https URL")
	case u.User != nil:
		return fmt.Errorf("must not carry a user name or password")
	case !production:
		return nil
	case u.Scheme != "https":
		return fmt.Errorf("must be https")
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "metadata.google.internal" {
		return fmt.Errorf("must not name a local or metadata host")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return CheckWebhookAddress(ip)
	}
	return nil
}

// metadataAddrs are cloud metadata services outside the link-local range.
var metadataAddrs = []netip.Addr{netip.MustParseAddr("fd00:ec2::254"), netip.MustParseAddr("100.100.100.200")}

// CheckWebhookAddress refuses an address a production webhook may not reach:
// loopback, private, link-local (169.254.169.254 among them), unspecified,
// multicast, shared (100.64/10) or a metadata service.
func CheckWebhookAddress(ip netip.Addr) error {
	ip = ip.Unmap()
	shared := netip.MustParsePrefix("100.64.0.0/10")
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || shared.Contains(ip) ||
		slices.Contains(metadataAddrs, ip) {
		return fmt.Errorf("must not reach a loopback, private, link-local or metadata address (%s)", ip)
	}
	return nil
}

// CheckWebhookIP is CheckWebhookAddress for a net.IP.
func CheckWebhookIP(ip net.IP) error {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return fmt.Errorf("not an IP address")
	}
	return CheckWebhookAddress(addr)
}

// Prefixes of webhook IDs.
const (
	PrefixWebhookEndpoint = "WH"
	PrefixWebhookDelivery = "WD"
	PrefixWebhookEvent    = "EV"
)

// WebhookEndpoint is a registered receiver of webhooks. Its secret is shown
// once, when it is created or rotated.
type WebhookEndpoint struct {
	ID                  string     `json:"id"`
	URL                 string     `json:"url"`
	Description         string     `json:"description"`
	Events              []string   `json:"events"`
	Status              string     `json:"status"`
	FailingSince        *time.Time `json:"failing_since"`
	DisabledAt          *time.Time `json:"disabled_at"`
	DisabledReason      string     `json:"disabled_reason"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	CreatedBy           string     `json:"created_by"`
	CreatedAt           time.Time  `json:"created_at"`
	// Secret and PreviousSecret sign deliveries; never shown after creation
	// or rotation.
	Secret         string `json:"-"`
	PreviousSecret string `json:"-"`
}

// Webhook endpoint and delivery statuses.
const (
	WebhookEnabled    = "enabled"
	WebhookDisabled   = "disabled"
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Secrets returns the secrets that sign a delivery at now: the current one,
// and the previous one during a rotation.
func (e WebhookEndpoint) Secrets(now time.Time) []string {
	if e.PreviousSecret != "" && e.PreviousSecretUntil != nil && now.Before(*e.PreviousSecretUntil) {
		return []string{e.PreviousSecret, e.Secret}
	}
	return []string{e.Secret}
}

// WebhookDelivery is one event on its way to one endpoint.
type WebhookDelivery struct {
	ID             string           `json:"id"`
	EndpointID     string           `json:"endpoint_id"`
	EventID        string           `json:"event_id"`
	EventType      string           `json:"event_type"`
	CaseID         *string          `json:"case_id"`
	Status         string           `json:"status"`
	Attempts       int              `json:"attempts"`
	LastStatusCode *int             `json:"last_status_code"`
	LastError      string           `json:"last_error"`
	LastAttemptAt  *time.Time       `json:"last_attempt_at"`
	NextAttemptAt  *time.Time       `json:"next_attempt_at"`
	CreatedAt      time.Time        `json:"created_at"`
	DeliveredAt    *time.Time       `json:"delivered_at"`
	AttemptLog     []WebhookAttempt `json:"attempt_log"`
	// Body is what is sent, the same on every attempt.
	Body string `json:"-"`
}

// WebhookClaim is a delivery claimed for one attempt, with where it goes.
type WebhookClaim struct {
	WebhookDelivery
	Endpoint WebhookEndpoint
}

// Pages of the delivery log.
const (
	DefaultWebhookDeliveries = 50
	MaxWebhookDeliveries     = 200
)

// ParseWebhookDeliveryLimit reads the delivery log's ?limit= ("" is the
// default).
func ParseWebhookDeliveryLimit(raw string) (int, error) {
	if raw == "" {
		return DefaultWebhookDeliveries, nil
	}
	n, ok := parseSmallInt(raw)
	if !ok || n < 1 || n > MaxWebhookDeliveries {
		return 0, Invalid("limit", "must be a whole number from 1 to %d", MaxWebhookDeliveries)
	}
	return n, nil
}

// WebhookAttempt is one try of a delivery.
type WebhookAttempt struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode *int      `json:"status_code"`
	Error      string    `json:"error"`
	DurationMS int       `json:"duration_ms"`
}

// WebhookOutcome is what one attempt came to, as the dispatcher records it.
type WebhookOutcome struct {
	At         time.Time
	StatusCode int // 0: no response
	Error      string
	Duration   time.Duration
	// RetryFirst is the first retry's delay (0: DefaultWebhookRetry).
	RetryFirst time.Duration
	// RetryFor is how long a delivery is retried and an endpoint may fail
	// before it is disabled (0: WebhookRetryFor).
	RetryFor time.Duration
}

// Window is how long a delivery is retried, and an endpoint may fail every
// attempt before it is disabled.
func (o WebhookOutcome) Window() time.Duration { return positiveOr(o.RetryFor, WebhookRetryFor) }

func positiveOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// OK reports whether the attempt succeeded: a 2xx.
func (o WebhookOutcome) OK() bool { return o.StatusCode >= 200 && o.StatusCode < 300 && o.Error == "" }

// WebhookNext decides what follows a failed attempt of a delivery created at
// created: the time of the next attempt, and whether it is made (false once
// it would fall beyond the retry window: the delivery gives up).
func WebhookNext(created time.Time, attempts int, o WebhookOutcome) (time.Time, bool) {
	next := o.At.Add(WebhookBackoff(o.RetryFirst, attempts))
	return next, next.Sub(created) <= o.Window()
}

// WebhookShouldDisable reports whether an endpoint failing since since is
// disabled after failed attempt o, whose delivery is retried at next (retried
// false: it gave up): once it has failed for the whole retry window, or would
// have by the attempt its delivery no longer gets.
func WebhookShouldDisable(since *time.Time, o WebhookOutcome, next time.Time, retried bool) bool {
	if since == nil {
		return false
	}
	return o.At.Sub(*since) >= o.Window() || (!retried && next.Sub(*since) > o.Window())
}

// WebhookDisabledReason says why an endpoint was disabled.
func WebhookDisabledReason(window time.Duration) string {
	return "every delivery failed for " + humanDuration(window)
}

// humanDuration writes whole days as "3 days", anything else as Go does.
func humanDuration(d time.Duration) string {
	switch day := 24 * time.Hour; {
	case d == day:
		return "1 day"
	case d > day && d%day == 0:
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}

// WebhookEnableRequest is the optional body of POST
// /v1/webhooks/endpoints/{id}/enable.
type WebhookEnableRequest struct {
	// RedeliverFailed also sends again, with the same event IDs, the
	// deliveries that gave up while the endpoint was failing.
	RedeliverFailed bool `json:"redeliver_failed"`
}

// WebhookEnableResult is what enabling an endpoint did: the endpoint, its failure
// window reset, and how many deliveries are due now: those that were waiting
// (Pending) and, when asked, those that had given up since it began to fail
// (Redelivered). Failed counts the deliveries that gave up and were left as
// they are; each can be redelivered on its own.
type WebhookEnableResult struct {
	Endpoint    WebhookEndpoint `json:"endpoint"`
	Pending     int             `json:"pending"`
	Redelivered int             `json:"redelivered"`
	Failed      int             `json:"failed"`
}

// WebhookDisabledNotice is what the admins are told when an endpoint is
// disabled: which one, why, what waits for it, and who they are.
type WebhookDisabledNotice struct {
	Endpoint  WebhookEndpoint
	Pending   int // deliveries waiting for the endpoint to be enabled again
	Failed    int // deliveries that gave up while it was failing
	LastError string
	Admins    []Recipient
}

// NewWebhookSecret returns a new signing secret.
func NewWebhookSecret() string {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "whsec_" + hex.EncodeToString(buf)
}
