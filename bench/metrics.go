package bench

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the Prometheus text exposition at url.
func (b *bench) scrape(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", b.cfg.MetricsURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+b.cfg.Token)
	resp, err := b.cfg.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", b.cfg.MetricsURL, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

// gauge sums the values of the family whose name ends in suffix (counters
// and gauges; untyped too). ok is false when there is none.
func gauge(fams map[string]*dto.MetricFamily, suffix string) (float64, bool) {
	for name, f := range fams {
		if !strings.HasSuffix(name, suffix) {
			continue
		}
		var sum float64
		for _, m := range f.GetMetric() {
			switch {
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetUntyped() != nil:
				sum += m.GetUntyped().GetValue()
			}
		}
		return sum, true
	}
	return 0, false
}

// histogram is a cumulative histogram summed over a family's label sets.
type histogram struct {
	count  uint64
	sum    float64
	bounds []float64
	cum    []uint64
}

// histogramOf reads the histogram family whose name contains name.
func histogramOf(fams map[string]*dto.MetricFamily, name string) (histogram, bool) {
	var f *dto.MetricFamily
	for n, fam := range fams {
		if strings.Contains(n, name) && fam.GetType() == dto.MetricType_HISTOGRAM {
			f = fam
			break
		}
	}
	if f == nil {
		return histogram{}, false
	}
	h := histogram{}
	byBound := map[float64]uint64{}
	for _, m := range f.GetMetric() {
		hm := m.GetHistogram()
		if hm == nil {
			continue
		}
		h.count += hm.GetSampleCount()
		h.sum += hm.GetSampleSum()
		for _, bk := range hm.GetBucket() {
			byBound[bk.GetUpperBound()] += bk.GetCumulativeCount()
		}
	}
	for b := range byBound {
		h.bounds = append(h.bounds, b)
	}
	slices.Sort(h.bounds)
	for _, b := range h.bounds {
		h.cum = append(h.cum, byBound[b])
	}
	return h, true
}

// minus is h less an earlier scrape of the same histogram.
func (h histogram) minus(before histogram) histogram {
	out := histogram{count: h.count - min(h.count, before.count), sum: h.sum - before.sum, bounds: h.bounds}
	for i, b := range h.bounds {
		var was uint64
		if j := slices.Index(before.bounds, b); j >= 0 {
			was = before.cum[j]
		}
		out.cum = append(out.cum, h.cum[i]-min(h.cum[i], was))
	}
	return out
}

// describe prints h as its count, mean and, for each bound of a second
// or more, the share of observations above it.
func (h histogram) describe(what string) string {
	if h.count == 0 {
		return what + ": no observations"
	}
	out := fmt.Sprintf("%s: %d observations, mean %.3g s", what, h.count, h.sum/float64(h.count))
	for i, b := range h.bounds {
		if b >= 1 && !math.IsInf(b, 1) {
			out += fmt.Sprintf(", %d over %g s", h.count-h.cum[i], b)
			if h.cum[i] == h.count {
				break
			}
		}
	}
	return out
}
