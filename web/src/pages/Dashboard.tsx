// The supervisors' dashboard: GET /v1/reports/kpis over a chosen period as
// tiles, and cases opened per day by channel as a chart. Every tile opens
// the list of exactly the cases it counts (the report's drill-down links).
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import { api, must, type Schemas } from "../api/client";
import { label } from "../format";

const Chart = lazy(() => import("./Chart"));

const PERIODS = [7, 30, 90] as const;
const NAMES: Record<string, string> = { sla: "SLA", csat: "CSAT" };

function day(d: Date) {
  return d.toISOString().slice(0, 10);
}

export function Dashboard() {
  const [params, setParams] = useSearchParams();
  const days = Number(params.get("days") ?? 30);
  const { from, to } = useMemo(() => {
    const end = new Date(Date.now() + 86_400_000);
    return { from: day(new Date(end.getTime() - days * 86_400_000)), to: day(end) };
  }, [days]);
  const report = useQuery({
    queryKey: ["/v1/reports/kpis", { from, to, group_by: "day" }],
    // The report is also CSV; this asks for (and gets) the JSON.
    queryFn: async () =>
      (await must(api.GET("/v1/reports/kpis", { params: { query: { from, to, group_by: "day" } }, headers: { Accept: "application/json" } }))) as Schemas["KPIReport"],
  });
  const csv = `/v1/reports/kpis?from=${from}&to=${to}`;
  return (
    <main className="dashboard">
      <h1>Dashboard</h1>
      <div className="filters">
        <label>
          Period
          <select value={days} onChange={(e) => setParams({ days: e.target.value })}>
            {PERIODS.map((d) => <option key={d} value={d}>Last {d} days</option>)}
          </select>
        </label>
        <a href={`/v1/reports/cases.csv?opened_from=${from}&opened_to=${to}`} download>Export the period's cases (CSV)</a>
      </div>
      {report.error && <p role="alert" className="error">{report.error.message}</p>}
      {report.data && (
        <>
          <section aria-labelledby="volume-title">
            <h2 id="volume-title">Cases opened per day, by channel</h2>
            <Suspense fallback={<p aria-busy="true">Loading the chart…</p>}>
              <Chart from={report.data.from} to={report.data.to} groups={report.data.groups} />
            </Suspense>
          </section>
          <Tiles kpis={report.data.kpis} />
          <p className="muted">Each figure's definition is in its tooltip and in docs/kpis.md. <a href={csv}>Report as CSV</a> needs Accept: text/csv.</p>
        </>
      )}
    </main>
  );
}

function value(f: Schemas["KPIFigure"]): string {
  if (f.value === null) return "—";
  if (typeof f.value === "string") return f.value;
  if (f.unit === "ratio") return `${Math.round(f.value * 1000) / 10}%`;
  if (f.unit.includes("hour")) return `${Math.round(f.value * 10) / 10} h`;
  return String(Math.round(f.value * 100) / 100);
}

function Tiles({ kpis }: { kpis: Schemas["KPIs"] }) {
  return (
    <>
      {Object.entries(kpis).map(([kpi, figures]) => (
        <section key={kpi} aria-labelledby={`kpi-${kpi}`}>
          <h2 id={`kpi-${kpi}`}>{NAMES[kpi] ?? label(kpi)}</h2>
          <ul className="tiles">
            {Object.entries(figures).map(([measure, f]) => (
              <li key={measure} className="tile" title={f.definition}>
                <Link to={f.cases.replace(/^\/v1\/cases/, "/cases")}>
                  <span className="tile-name">{label(measure)}</span>
                  <span className="tile-value">{value(f)}</span>
                  <span className="tile-count muted">of {f.count}</span>
                  <span className="visually-hidden">: open these cases</span>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}
