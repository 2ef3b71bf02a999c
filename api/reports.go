package api

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// ReportStore computes KPI aggregates and exports cases.
type ReportStore interface {
	Report(ctx context.Context, f casedesk.ReportFilter) (casedesk.Aggregates, []casedesk.ReportGroup, error)
	ExportCases(ctx context.Context, f casedesk.CaseFilter, each func(casedesk.CaseRow) error) error
}

// kpiGroup is one group of a KPI report.
type kpiGroup struct {
	Key  string        `json:"key"`
	KPIs casedesk.KPIs `json:"kpis"`
}

// kpiReport is the body of GET /v1/reports/kpis.
type kpiReport struct {
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	Filters     map[string]string `json:"filters"`
	GroupBy     *string           `json:"group_by"`
	KPIs        casedesk.KPIs     `json:"kpis"`
	Groups      []kpiGroup        `json:"groups"`
	Definitions string            `json:"definitions"`
}

func (s *Server) reportKPIs(c *gin.Context) {
	f, err := casedesk.ParseReportFilter(c.Query)
	if err == nil {
		f, err = casedesk.ScopeReport(f, currentUser(c))
	}
	if err != nil {
		writeError(c, err)
		return
	}
	totals, groups, err := s.Reports.Report(c.Request.Context(), f)
	if err != nil {
		writeError(c, err)
		return
	}
	var order []casedesk.Measure
	out := kpiReport{From: f.From, To: f.To, Filters: map[string]string{}, Groups: []kpiGroup{},
		KPIs: casedesk.BuildKPIs(f, "", true, totals, &order), Definitions: casedesk.KPIDoc}
	for name, v := range map[string]string{"type": string(f.Type), "channel": string(f.Channel),
		"priority": string(f.Priority), "category": f.Category, "agent_id": f.AgentID} {
		if v != "" {
			out.Filters[name] = v
		}
	}
	if f.GroupBy != "" {
		out.GroupBy = &f.GroupBy
	}
	for _, g := range groups {
		out.Groups = append(out.Groups, kpiGroup{Key: g.Key, KPIs: casedesk.BuildKPIs(f, g.Key, false, g.Aggregates, nil)})
	}
	if wantsCSV(c) {
		writeKPICSV(c, out, order)
		return
	}
	c.JSON(http.StatusOK, out)
}

// wantsCSV reports whether the client asked for text/csv.
func wantsCSV(c *gin.Context) bool {
	for _, part := range strings.Split(c.GetHeader("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(mt), "text/csv") {
			return true
		}
	}
	return false
}

// writeKPICSV writes the report as one row per group and measure.
func writeKPICSV(c *gin.Context, r kpiReport, order []casedesk.Measure) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="kpis.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"group", "kpi", "measure", "value", "count", "unit", "cases", "definition"})
	rows := func(group string, k casedesk.KPIs) {
		for _, m := range order {
			fig, ok := k[m.KPI][m.Name]
			if !ok {
				continue
			}
			_ = w.Write([]string{group, m.KPI, m.Name, csvValue(fig.Value), strconv.FormatInt(fig.Count, 10), fig.Unit,
				fig.Cases, fig.Definition})
		}
	}
	rows("total", r.KPIs)
	for _, g := range r.Groups {
		rows(g.Key, g.KPIs)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		logger(c).Warn("writing the KPI CSV failed", "error", err)
	}
}

func csvValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return v
	}
	return ""
}

// exportColumns are the columns of GET /v1/reports/cases.csv.
var exportColumns = []string{"id", "type", "status", "priority", "channel", "category", "customer_id", "assignee_id",
	"opened_at", "first_response_at", "resolved_at", "closed_at", "outcome", "first_contact_resolution",
	"handling_business_hours", "handling_hours", "first_response_sla_met", "resolution_sla_met", "csat_rating"}

// exportCases streams one CSV row per case: the filters of GET /v1/cases
// (with from and to short for opened_from and opened_to), no row cap.
func (s *Server) exportCases(c *gin.Context) {
	get := func(name string) string {
		v := c.Query(name)
		switch {
		case v != "":
		case name == "opened_from":
			v = c.Query("from")
		case name == "opened_to":
			v = c.Query("to")
		}
		return v
	}
	f, err := casedesk.ParseCaseFilter(get)
	if err == nil {
		f.DrillDown.AgentID, err = casedesk.ScopeAgent(f.DrillDown.AgentID, currentUser(c))
	}
	if err != nil {
		writeError(c, err)
		return
	}
	w := csv.NewWriter(c.Writer)
	started := false
	n := 0
	err = s.Reports.ExportCases(c.Request.Context(), f, func(r casedesk.CaseRow) error {
		if !started {
			started = true
			c.Header("Content-Type", "text/csv; charset=utf-8")
			c.Header("Content-Disposition", `attachment; filename="cases.csv"`)
			c.Status(http.StatusOK)
			if err := w.Write(exportColumns); err != nil {
				return err
			}
		}
		if err := w.Write(exportRow(r)); err != nil {
			return err
		}
		if n++; n%500 == 0 {
			w.Flush()
			return w.Error()
		}
		return nil
	})
	if err != nil {
		if !started {
			writeError(c, err)
			return
		}
		// The status is sent: the client sees a cut-off file.
		logger(c).Error("case export failed midway", "error", err, "rows", n)
		return
	}
	if !started {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="cases.csv"`)
		c.Status(http.StatusOK)
		_ = w.Write(exportColumns)
	}
	w.Flush()
}

func exportRow(r casedesk.CaseRow) []string {
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	b := func(v *bool) string {
		if v == nil {
			return ""
		}
		return strconv.FormatBool(*v)
	}
	h := func(d time.Duration) string { return strconv.FormatFloat(d.Hours(), 'f', 4, 64) }
	rating := ""
	if r.Rating != nil {
		rating = strconv.Itoa(*r.Rating)
	}
	opened := r.OpenedAt
	return []string{r.ID, string(r.Type), string(r.Status), string(r.Priority), string(r.Channel), r.Category,
		r.CustomerID, r.AssigneeID, ts(&opened), ts(r.FirstResponseAt), ts(r.ResolvedAt), ts(r.ClosedAt), r.Outcome,
		strconv.FormatBool(r.FCR), h(r.HandlingBusiness), h(r.Handling), b(r.FirstResponseMet), b(r.ResolutionMet), rating}
}

// setCategory files the case under a category of the configured list.
func (s *Server) setCategory(c *gin.Context) {
	var cmd casedesk.SetCategory
	if !bind(c, &cmd, false) {
		return
	}
	cmd.Category = casedesk.CleanText(cmd.Category)
	if err := casedesk.CheckCategory(s.Categories, cmd.Category); err != nil {
		writeError(c, err)
		return
	}
	s.act(c, cmd)
}
