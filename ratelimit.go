package casedesk

import (
	"strconv"
	"strings"
	"time"
)

// RateLimit is a token bucket: Rate requests a second on average, up to
// Burst at once. A zero Rate is no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Default rate limits: generous for staff and integrations, tight where the
// public can post.
var (
	DefaultTokenLimit        = RateLimit{Rate: 20, Burst: 100}       // per API token or session
	DefaultCustomerLinkLimit = RateLimit{Rate: 10.0 / 60, Burst: 10} // per customer link, and per client address, on its forms
	DefaultInboundLimit      = RateLimit{Rate: 20, Burst: 100}       // per Inbound Parse path secret
)

// ParseRateLimit reads "N/s", "N/m" or "N/h" (N requests per second, minute
// or hour, up to N at once for /m and /h, 5N for /s) or "0" (no limit).
func ParseRateLimit(text string) (RateLimit, error) {
	text = strings.TrimSpace(text)
	if text == "0" || text == "off" {
		return RateLimit{}, nil
	}
	n, unit, ok := strings.Cut(text, "/")
	count, err := strconv.Atoi(strings.TrimSpace(n))
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[strings.TrimSpace(unit)]
	if !ok || err != nil || count <= 0 || per == 0 {
		return RateLimit{}, Errorf(EINVALID, "%q is not a rate such as 20/s, 10/m or 0", text)
	}
	burst := count
	if per == time.Second {
		burst = 5 * count
	}
	return RateLimit{Rate: float64(count) / per.Seconds(), Burst: burst}, nil
}
