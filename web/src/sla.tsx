// SLA countdowns: green with time to spare, amber under 20% of the target
// left, red once breached. The words say the same as the colour.
import type { Case } from "./api/client";
import { duration } from "./format";
import { useNow } from "./hooks";

export type Due = { label: string; due: string; start: string; breached: boolean; paused?: boolean };

/** clocks returns a case's running deadlines, soonest first. */
export function clocks(c: Case): Due[] {
  const out: Due[] = [];
  const open = c.status !== "resolved" && c.status !== "closed";
  if (!open) return out;
  const s = c.sla;
  if (s.first_response_due && !s.first_response_at) {
    out.push({ label: "First response", due: s.first_response_due, start: c.opened_at, breached: s.first_response_breached });
  }
  if (s.resolution_due) {
    out.push({ label: "Resolution", due: s.resolution_due, start: c.opened_at, breached: s.resolution_breached, paused: s.paused });
  }
  if (c.chargeback && (c.chargeback.stage === "needs_response" || c.chargeback.stage === "pre_arbitration")) {
    out.push({ label: "Network deadline", due: c.chargeback.due_by, start: c.opened_at, breached: false });
  }
  return out.sort((a, b) => Date.parse(a.due) - Date.parse(b.due));
}

export function tone(d: Due, now: number): "ok" | "warn" | "late" {
  const due = Date.parse(d.due);
  if (d.breached || due <= now) return "late";
  const total = due - Date.parse(d.start);
  return total > 0 && (due - now) / total < 0.2 ? "warn" : "ok";
}

export function Countdown({ d }: { d: Due }) {
  const now = useNow();
  if (d.paused) return <span className="sla paused">{d.label}: paused</span>;
  const t = tone(d, now);
  const left = Date.parse(d.due) - now;
  const text = left > 0 ? `${duration(left)} left` : `breached ${duration(left)} ago`;
  return (
    <span className={`sla ${t}`} title={`${d.label} due ${new Date(d.due).toLocaleString()}`}>
      {d.label}: {text}
    </span>
  );
}

/** NextDue is the soonest running deadline of a case, for queue rows. */
export function NextDue({ c }: { c: Case }) {
  const next = clocks(c)[0];
  if (!next) return <span className="muted">—</span>;
  return <Countdown d={next} />;
}
