// The configuration in force, read-only: the SLA policies and their
// business calendars, and the authority matrix (GET /v1/config/sla and
// /v1/config/approvals), as the server opens cases with them.
import { useQuery } from "@tanstack/react-query";
import { api, must, type Schemas } from "../api/client";
import { label } from "../format";

/**
 * goDuration renders a Go duration string ("16h0m0s") as "16h"; calendar
 * time in whole days as "7d" (business time stays in hours: a business day
 * is not 24 of them).
 */
export function goDuration(s: string | null | undefined, calendar = false): string {
  if (!s) return "—";
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?$/.exec(s);
  if (!m) return s;
  const h = Number(m[1] ?? 0), min = Number(m[2] ?? 0), sec = Number(m[3] ?? 0);
  const parts: string[] = [];
  if (calendar && h >= 24 && h % 24 === 0) parts.push(`${h / 24}d`);
  else if (h) parts.push(`${h}h`);
  if (min) parts.push(`${min}m`);
  if (sec) parts.push(`${sec}s`);
  return parts.join(" ") || "0s";
}

function hours(w: Schemas["SLAConfigView"]["calendars"][number]["weekly"]): string {
  if (w === "24x7") return "Always open (24x7)";
  if (!w) return "No opening hours";
  const days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  return days.filter((d) => w[d]?.length).map((d) => `${label(d)} ${w[d].join(", ")}`).join("; ") || "No opening hours";
}

function amount(a: string | null | undefined, currency: string): string {
  if (a == null) return "never";
  return `${a} ${currency || ""}`.trim();
}

export function ConfigInForce() {
  const sla = useQuery({ queryKey: ["/v1/config/sla"], queryFn: () => must(api.GET("/v1/config/sla")) });
  const approvals = useQuery({ queryKey: ["/v1/config/approvals"], queryFn: () => must(api.GET("/v1/config/approvals")) });
  const err = sla.error ?? approvals.error;
  return (
    <>
      <section aria-labelledby="sla-title">
        <h2 id="sla-title">SLA policies in force</h2>
        {err && <p role="alert" className="error">{err.message}</p>}
        <p className="muted">Read-only: the server's CASEDESK_SLA_CONFIG (or the defaults), as new cases get them. Targets are business time of the policy's calendar.</p>
        {sla.data && (
          <>
            <table aria-labelledby="sla-title">
              <thead><tr><th scope="col">Type</th><th scope="col">Priority</th><th scope="col">Calendar</th><th scope="col">First response</th><th scope="col">Resolution</th><th scope="col">Warning at</th></tr></thead>
              <tbody>
                {sla.data.policies.map((p) => (
                  <tr key={`${p.type}/${p.priority}`}>
                    <td>{label(p.type)}</td><td>{label(p.priority)}</td><td>{p.calendar}</td>
                    <td>{goDuration(p.first_response)}</td><td>{goDuration(p.resolution)}</td><td>{Math.round(p.warning_at * 100)}%</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h3 id="calendars-title">Business calendars</h3>
            <table aria-labelledby="calendars-title">
              <thead><tr><th scope="col">Calendar</th><th scope="col">Time zone</th><th scope="col">Hours</th><th scope="col">Holidays</th></tr></thead>
              <tbody>
                {sla.data.calendars.map((c) => (
                  <tr key={c.name}><td>{c.name}</td><td>{c.time_zone || "UTC"}</td><td>{hours(c.weekly)}</td><td>{(c.holidays ?? []).join(", ") || "—"}</td></tr>
                ))}
              </tbody>
            </table>
            <dl className="facts">
              <div><dt>Reopen window</dt><dd>{goDuration(sla.data.reopen_window, true)}</dd></div>
              <div><dt>Reminder when waiting on the customer</dt><dd>{sla.data.waiting_reminder ? goDuration(sla.data.waiting_reminder) : "3 business days"}</dd></div>
              <div><dt>Resolved as no response after</dt><dd>{sla.data.waiting_timeout ? goDuration(sla.data.waiting_timeout) : "7 business days"}</dd></div>
              <div><dt>Categories</dt><dd>{sla.data.categories.join(", ") || "any"}</dd></div>
            </dl>
          </>
        )}
      </section>
      <section aria-labelledby="matrix-title">
        <h2 id="matrix-title">Authority matrix in force</h2>
        <p className="muted">Read-only: the server's CASEDESK_APPROVALS_CONFIG (or the defaults). Refunds and credits up to the first limit are sent at once; above it they wait for approval.</p>
        {approvals.data && (
          <>
            <table aria-labelledby="matrix-title">
              <thead><tr><th scope="col">Currency</th><th scope="col">Approved automatically up to</th><th scope="col">One supervisor up to</th><th scope="col">Two supervisors</th><th scope="col">Verified identity above</th></tr></thead>
              <tbody>
                {approvals.data.limits.map((l) => (
                  <tr key={l.currency || "default"}>
                    <td>{l.currency || "Any other"}</td><td>{amount(l.auto_approve_up_to, l.currency)}</td><td>{amount(l.one_supervisor_up_to, l.currency)}</td>
                    <td>{l.two_supervisors}</td><td>{amount(l.identity_required_above, l.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <dl className="facts">
              <div>
                <dt>Counted cumulatively</dt>
                <dd>
                  {[approvals.data.cumulative.case && "the case's total", approvals.data.cumulative.payment_or_invoice && "the payment's or invoice's total",
                    approvals.data.cumulative.requester && `the requester's total over ${goDuration(approvals.data.cumulative.window, true)}`].filter(Boolean).join(", ") || "nothing"}
                </dd>
              </div>
              <div><dt>Approvers reminded after</dt><dd>{goDuration(approvals.data.remind_after)} (business time)</dd></div>
              <div><dt>Undecided approvals expire after</dt><dd>{goDuration(approvals.data.expire_after)} (business time)</dd></div>
              <div><dt>Email from the customer's address verifies identity</dt><dd>{approvals.data.email_reply_verifies ? "yes" : "no"}</dd></div>
            </dl>
          </>
        )}
      </section>
    </>
  );
}
