import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { api, ApiError, must, type Case, type Schemas } from "../api/client";
import { label, money, when } from "../format";
import { isTyping, useDraft, useNames, useUsers } from "../hooks";
import { CustomerProfile } from "../customer";
import { useMacroPicker } from "../macros";
import { markTyping, useHeartbeat, Viewers } from "../presence";
import { useMe } from "../session";
import { clocks, Countdown } from "../sla";

const OUTCOMES: Record<Case["type"], Schemas["ResolveRequest"]["outcome"][]> = {
  inquiry: ["answered", "no_response"],
  dispute: ["upheld", "rejected", "no_response"],
  refund: ["refunded", "declined", "no_response"],
  chargeback: [],
};

/** useCaseAction runs one action on the case and refreshes what it shows. */
function useCaseAction<T>(id: string, fn: (input: T) => Promise<unknown>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSettled: () => {
      qc.invalidateQueries({ predicate: (q) => q.queryKey[1] === id });
      qc.invalidateQueries({ queryKey: ["/v1/queues"] });
      qc.invalidateQueries({ queryKey: ["/v1/cases"] });
      qc.invalidateQueries({ queryKey: ["/v1/payments/{id}"] });
      qc.invalidateQueries({ queryKey: ["/v1/invoices/{id}"] });
    },
  });
}

export function CasePage() {
  const id = (useParams().id ?? "").toUpperCase();
  const me = useMe();
  useHeartbeat(id);
  const kase = useQuery({
    queryKey: ["/v1/cases/{id}", id],
    queryFn: () => must(api.GET("/v1/cases/{id}", { params: { path: { id } } })),
  });
  const actions = useQuery({
    queryKey: ["/v1/cases/{id}/actions", id],
    queryFn: () => must(api.GET("/v1/cases/{id}/actions", { params: { path: { id } } })),
    select: (d) => new Set<string>(d.items),
  });
  useEffect(() => {
    if (kase.data) document.title = `${kase.data.id} · ${kase.data.subject} · casedesk`;
  }, [kase.data]);
  if (kase.error) return <main><h1>Case {id}</h1><p role="alert" className="error">{kase.error.message}</p></main>;
  if (!kase.data) return <main aria-busy="true"><p>Loading case…</p></main>;
  const c = kase.data;
  const can = actions.data ?? new Set<string>();
  return (
    <main className="case">
      <CaseHeader c={c} />
      <Viewers id={c.id} me={me.id} />
      <div className="case-grid">
        <div className="case-main">
          <Actions c={c} can={can} />
          {(can.has("reply") || can.has("notes") || can.has("request-info")) && <Composer c={c} can={can} />}
          {c.chargeback && <ChargebackPanel c={c} can={can} />}
          <Money c={c} can={can} />
          <Timeline id={c.id} />
          <Emails id={c.id} />
        </div>
        <CustomerPanel c={c} />
      </div>
    </main>
  );
}

function CaseHeader({ c }: { c: Case }) {
  const names = useNames();
  const due = clocks(c);
  return (
    <header className="case-header">
      <p className="crumbs"><Link to="/queues">Queues</Link> / {c.id}</p>
      <h1><span className="case-id">{c.id}</span> {c.subject}</h1>
      <dl className="facts">
        <div><dt>Type</dt><dd>{label(c.type)}</dd></div>
        <div><dt>Status</dt><dd><span className={`status ${c.status}`}>{label(c.status)}</span></dd></div>
        <div><dt>Priority</dt><dd><span className={`priority ${c.priority}`}>{label(c.priority)}</span></dd></div>
        <div><dt>Category</dt><dd>{c.category || "—"}</dd></div>
        <div><dt>Customer</dt><dd>{c.customer_id}</dd></div>
        <div><dt>Assignee</dt><dd>{names(c.assignee_id)}</dd></div>
        <div><dt>Channel</dt><dd>{label(c.channel)}</dd></div>
        <div><dt>Identity</dt><dd>{c.identity_verified ? "Verified" : "Not verified"}</dd></div>
        <div><dt>Version</dt><dd>{c.version}</dd></div>
      </dl>
      {c.needs_supervisor && <p className="badge late">Needs a supervisor</p>}
      {c.outcome && <p>Outcome: <strong>{label(c.outcome)}</strong>{c.resolution_summary ? ` — ${c.resolution_summary}` : ""}</p>}
      {due.length > 0 && (
        <ul className="clocks" aria-label="SLA clocks">
          {due.map((d) => <li key={d.label}><Countdown d={d} /></li>)}
        </ul>
      )}
    </header>
  );
}

function Actions({ c, can }: { c: Case; can: Set<string> }) {
  const me = useMe();
  const users = useUsers();
  const id = c.id;
  const [assignee, setAssignee] = useState("");
  const [open, setOpen] = useState<"" | "resolve" | "reopen" | "escalate" | "identity">("");
  const assign = useCaseAction(id, (assignee_id: string) =>
    must(api.POST("/v1/cases/{id}/assign", { params: { path: { id } }, body: { assignee_id } })));
  const priority = useCaseAction(id, (p: Case["priority"]) =>
    must(api.POST("/v1/cases/{id}/priority", { params: { path: { id } }, body: { priority: p } })));
  const close = useCaseAction(id, () => must(api.POST("/v1/cases/{id}/close", { params: { path: { id } }, body: {} })));
  const errors = [assign.error, priority.error, close.error].filter(Boolean);
  const staff = (users.data ?? []).filter((u) => (u.role === "agent" || u.role === "supervisor") && !u.deactivated_at);
  const canAssignMe = can.has("assign") && c.assignee_id !== me.id && (me.role === "agent" || me.role === "supervisor");
  return (
    <section aria-labelledby="actions-title" className="actions">
      <h2 id="actions-title" className="visually-hidden">Actions</h2>
      <div className="buttons">
        {canAssignMe && <button type="button" onClick={() => assign.mutate(me.id)} disabled={assign.isPending}>Assign to me</button>}
        {can.has("assign") && (
          <span className="inline">
            <label>
              Assignee
              <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
                <option value="">Choose…</option>
                {staff.map((u) => <option key={u.id} value={u.id}>{u.name}</option>)}
              </select>
            </label>
            <button type="button" disabled={!assignee || assign.isPending} onClick={() => assign.mutate(assignee)}>Assign</button>
          </span>
        )}
        {can.has("priority") && (
          <label>
            Priority
            <select value={c.priority} onChange={(e) => priority.mutate(e.target.value as Case["priority"])}>
              {(["low", "normal", "high", "urgent"] as const).map((p) => <option key={p} value={p}>{label(p)}</option>)}
            </select>
          </label>
        )}
        {can.has("resolve") && <button type="button" onClick={() => setOpen(open === "resolve" ? "" : "resolve")} aria-expanded={open === "resolve"}>Resolve…</button>}
        {can.has("reopen") && <button type="button" onClick={() => setOpen(open === "reopen" ? "" : "reopen")} aria-expanded={open === "reopen"}>Reopen…</button>}
        {can.has("escalate") && <button type="button" onClick={() => setOpen(open === "escalate" ? "" : "escalate")} aria-expanded={open === "escalate"}>Escalate…</button>}
        {can.has("verify-identity") && !c.identity_verified && <button type="button" onClick={() => setOpen(open === "identity" ? "" : "identity")} aria-expanded={open === "identity"}>Verify identity…</button>}
        {can.has("close") && <button type="button" onClick={() => close.mutate()} disabled={close.isPending}>Close</button>}
      </div>
      {errors.map((e, i) => <p key={i} role="alert" className="error">{e!.message}</p>)}
      {open === "resolve" && <ResolveForm c={c} onDone={() => setOpen("")} />}
      {open === "reopen" && <ReasonForm c={c} kind="reopen" onDone={() => setOpen("")} />}
      {open === "escalate" && <ReasonForm c={c} kind="escalate" onDone={() => setOpen("")} />}
      {open === "identity" && <IdentityForm c={c} onDone={() => setOpen("")} />}
    </section>
  );
}

function ResolveForm({ c, onDone }: { c: Case; onDone: () => void }) {
  const id = c.id;
  const outcomes = OUTCOMES[c.type];
  const [outcome, setOutcome] = useState(outcomes[0]);
  const [summary, setSummary] = useState("");
  const resolve = useCaseAction(id, () =>
    must(api.POST("/v1/cases/{id}/resolve", { params: { path: { id } }, body: { outcome, ...(summary ? { summary } : {}) } })));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    resolve.mutate(undefined, { onSuccess: onDone });
  };
  return (
    <form className="subform" onSubmit={submit} aria-label="Resolve the case">
      <label>
        Outcome
        <select value={outcome} onChange={(e) => setOutcome(e.target.value as typeof outcome)}>
          {outcomes.map((o) => <option key={o} value={o}>{label(o)}</option>)}
        </select>
      </label>
      <label>
        Summary {c.type === "dispute" ? "(sent to the customer)" : "(optional)"}
        <textarea value={summary} onChange={(e) => setSummary(e.target.value)} rows={2} />
      </label>
      {resolve.error && <p role="alert" className="error">{resolve.error.message}</p>}
      <button type="submit" className="primary" disabled={resolve.isPending}>Resolve</button>
    </form>
  );
}

const IDENTITY_METHODS = [
  ["kba", "Account questions"],
  ["one_time_code", "One-time code to the contact on file"],
  ["callback", "Called back on the number on file"],
  ["email_reply", "Wrote from the address on file"],
] as const;

function IdentityForm({ c, onDone }: { c: Case; onDone: () => void }) {
  const id = c.id;
  const [method, setMethod] = useState<(typeof IDENTITY_METHODS)[number][0]>("kba");
  const [note, setNote] = useState("");
  const run = useCaseAction(id, () =>
    must(api.POST("/v1/cases/{id}/verify-identity", { params: { path: { id } }, body: { method, ...(note ? { note } : {}) } })));
  return (
    <form className="subform" aria-label="Verify the caller's identity"
      onSubmit={(e) => { e.preventDefault(); run.mutate(undefined, { onSuccess: onDone }); }}>
      <label>
        Method
        <select value={method} onChange={(e) => setMethod(e.target.value as typeof method)}>
          {IDENTITY_METHODS.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
        </select>
      </label>
      <label>
        What you checked (never the answers)
        <input value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      {run.error && <p role="alert" className="error">{run.error.message}</p>}
      <button type="submit" className="primary" disabled={run.isPending}>Record verification</button>
    </form>
  );
}

function ReasonForm({ c, kind, onDone }: { c: Case; kind: "reopen" | "escalate"; onDone: () => void }) {
  const id = c.id;
  const [reason, setReason] = useState("");
  const run = useCaseAction(id, () =>
    kind === "reopen"
      ? must(api.POST("/v1/cases/{id}/reopen", { params: { path: { id } }, body: { reason } }))
      : must(api.POST("/v1/cases/{id}/escalate", { params: { path: { id } }, body: { reason } })));
  return (
    <form className="subform" aria-label={kind === "reopen" ? "Reopen the case" : "Escalate the case"}
      onSubmit={(e) => { e.preventDefault(); run.mutate(undefined, { onSuccess: onDone }); }}>
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} required />
      </label>
      {run.error && <p role="alert" className="error">{run.error.message}</p>}
      <button type="submit" className="primary" disabled={run.isPending}>{kind === "reopen" ? "Reopen" : "Escalate"}</button>
    </form>
  );
}

function Composer({ c, can }: { c: Case; can: Set<string> }) {
  const id = c.id;
  const [text, setDraftText] = useDraft(`casedesk.draft.${id}`);
  // The version of the case when the agent started writing: a reply or note
  // is sent as an answer to what they saw, and refused (stale) when the case
  // changed since, so they read what changed before sending again.
  const [base, setBase] = useDraft(`casedesk.draft.${id}.version`);
  const setText = (v: string) => {
    if (v && !base) setBase(String(c.version));
    if (!v) setBase("");
    setDraftText(v);
  };
  const box = useRef<HTMLTextAreaElement>(null);
  const picker = useMacroPicker(id, text, setText, box);
  const send = useCaseAction(id, async (kind: "reply" | "notes" | "request-info") => {
    const expected_version = Number(base) || c.version;
    const args = { params: { path: { id } }, body: { body: text, expected_version } };
    if (kind === "reply") return must(api.POST("/v1/cases/{id}/reply", args));
    if (kind === "notes") return must(api.POST("/v1/cases/{id}/notes", args));
    return must(api.POST("/v1/cases/{id}/request-info", args));
  });
  const go = (kind: "reply" | "notes" | "request-info") => send.mutate(kind, { onSuccess: () => setText("") });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "r" || e.key === "n") {
        e.preventDefault();
        box.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  const empty = text.trim() === "";
  return (
    <section aria-labelledby="composer-title" className="composer">
      <h2 id="composer-title">Write</h2>
      <label htmlFor="composer-message">Message</label>
      <textarea id="composer-message" ref={box} rows={4} value={text}
        onChange={(e) => { setText(e.target.value); picker.track(e.target); markTyping(); }}
        onSelect={(e) => picker.track(e.currentTarget)}
        aria-controls={picker.open ? "macro-picker" : undefined} aria-autocomplete="list"
        aria-activedescendant={picker.activeId}
        onKeyDown={(e) => {
          if (picker.onKeyDown(e)) return;
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !empty && can.has("reply")) {
            e.preventDefault();
            go("reply");
          }
        }}
        aria-describedby="composer-help" />
      {picker.list}
      {picker.error && <p role="alert" className="error">{picker.error}</p>}
      <p id="composer-help" className="muted">
        A reply and a request for information are emailed to the customer; a note stays internal. The draft is kept if you leave. Type :: and part of a macro's name to insert it.
      </p>
      {send.error && <p role="alert" className="error">{send.error.message}</p>}
      {send.error instanceof ApiError && send.error.code === "stale" && (
        <p className="stale">
          The case changed after you started writing (you saw version {base || "?"}, it is at version {c.version}); read the timeline below, then{" "}
          <button type="button" onClick={() => { setBase(String(c.version)); send.reset(); }}>keep my text for the current version</button>
        </p>
      )}
      <div className="buttons">
        {can.has("reply") && <button type="button" className="primary" disabled={empty || send.isPending} onClick={() => go("reply")}>Reply</button>}
        {can.has("notes") && <button type="button" disabled={empty || send.isPending} onClick={() => go("notes")}>Add note</button>}
        {can.has("request-info") && <button type="button" disabled={empty || send.isPending} onClick={() => go("request-info")}>Request info</button>}
      </div>
    </section>
  );
}

const TIMELINE_PAGE = 30;

function Timeline({ id }: { id: string }) {
  const names = useNames();
  const [shown, setShown] = useState(TIMELINE_PAGE);
  const events = useQuery({
    queryKey: ["/v1/cases/{id}/events", id],
    queryFn: () => must(api.GET("/v1/cases/{id}/events", { params: { path: { id } } })),
    select: (d) => d.items,
  });
  const all = events.data ?? [];
  const start = Math.max(0, all.length - shown);
  const page = all.slice(start).reverse();
  return (
    <section aria-labelledby="timeline-title" className="timeline">
      <h2 id="timeline-title">Timeline</h2>
      {events.error && <p role="alert" className="error">{events.error.message}</p>}
      <ol aria-label="Timeline, newest first">
        {page.map((e) => (
          <li key={e.seq} className={`event ${e.type}`}>
            <p className="event-head">
              <strong>{eventTitle(e.type)}</strong> · {names(e.actor)} · <time dateTime={e.at}>{when(e.at)}</time>
            </p>
            <EventBody e={e} names={names} />
          </li>
        ))}
      </ol>
      {start > 0 && <button type="button" onClick={() => setShown(shown + TIMELINE_PAGE)}>Show earlier ({start})</button>}
    </section>
  );
}

const EVENT_TITLES: Record<string, string> = {
  case_opened: "Opened", assigned: "Assigned", replied: "Replied", note_added: "Note", info_requested: "Information requested",
  customer_replied: "Customer replied", resolved: "Resolved", reopened: "Reopened", closed: "Closed",
  priority_changed: "Priority changed", approval_requested: "Approval requested", approval_approved: "Approved",
  approval_rejected: "Rejected", refund_issued: "Refund issued", credit_applied: "Credit applied", money_proposed: "Money proposed",
};
function eventTitle(t: string) {
  return EVENT_TITLES[t] ?? label(t);
}

function EventBody({ e, names }: { e: Schemas["Event"]; names: (id: string) => string }) {
  const d = e.data as Record<string, unknown>;
  const parts: ReactNode[] = [];
  if (typeof d.body === "string") parts.push(<p key="b" className="body">{d.body}</p>);
  if (typeof d.assignee_id === "string") parts.push(<p key="a">To {names(d.assignee_id)}</p>);
  if (typeof d.outcome === "string") parts.push(<p key="o">Outcome: {label(d.outcome)}</p>);
  if (typeof d.reason === "string" && d.reason) parts.push(<p key="r">Reason: {d.reason}</p>);
  if (typeof d.from === "string" && typeof d.to === "string") parts.push(<p key="ft">{label(d.from)} → {label(d.to)}</p>);
  if (typeof d.amount === "string") parts.push(<p key="m">{money(d.amount, d.currency as string)}</p>);
  return <>{parts}</>;
}

function Emails({ id }: { id: string }) {
  const messages = useQuery({
    queryKey: ["/v1/cases/{id}/messages", id],
    queryFn: () => must(api.GET("/v1/cases/{id}/messages", { params: { path: { id } } })),
    select: (d) => d.items,
  });
  const items = messages.data ?? [];
  return (
    <section aria-labelledby="emails-title">
      <h2 id="emails-title">Email</h2>
      {items.length === 0 ? <p className="muted">No email yet.</p> : (
        <table>
          <thead><tr><th scope="col">Subject</th><th scope="col">To</th><th scope="col">Status</th><th scope="col">Delivery</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {items.map((m) => (
              <tr key={m.id}>
                <td>{m.subject}</td>
                <td>{m.recipient_name ? `${m.recipient_name} <${m.recipient}>` : m.recipient}</td>
                <td>{label(m.status)}</td>
                <td>{m.delivery_status ? label(m.delivery_status) : "—"}</td>
                <td>{when(m.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

// What each family of reason codes usually needs as evidence.
const CHECKLISTS: { match: (network: string, code: string) => boolean; family: string; kinds: Schemas["EvidenceKind"][] }[] = [
  { match: (n, c) => (n === "visa" && c.startsWith("10.")) || ["4837", "4840", "4849", "4863", "4870", "4871"].includes(c),
    family: "Fraud", kinds: ["receipt", "customer_communication", "shipping_documentation"] },
  { match: (n, c) => (n === "visa" && c.startsWith("11.")) || ["4808", "4812"].includes(c),
    family: "Authorization", kinds: ["receipt"] },
  { match: (n, c) => (n === "visa" && c.startsWith("12.")) || ["4831", "4834", "4842", "4846"].includes(c),
    family: "Processing error", kinds: ["receipt", "duplicate_charge_documentation"] },
  { match: () => true, family: "Consumer dispute",
    kinds: ["receipt", "customer_communication", "shipping_documentation", "refund_policy", "cancellation_policy", "service_documentation"] },
];
const EVIDENCE_KINDS: Schemas["EvidenceKind"][] = ["receipt", "customer_communication", "shipping_documentation", "refund_policy",
  "cancellation_policy", "service_documentation", "duplicate_charge_documentation", "uncategorized"];

function ChargebackPanel({ c, can }: { c: Case; can: Set<string> }) {
  const cb = c.chargeback!;
  const id = c.id;
  const names = useNames();
  const [kind, setKind] = useState<Schemas["EvidenceKind"]>("receipt");
  const [text, setText] = useState("");
  const [summary, setSummary] = useState("");
  const add = useCaseAction(id, () => must(api.POST("/v1/cases/{id}/evidence", { params: { path: { id } }, body: { kind, text } })));
  const respond = useCaseAction(id, () =>
    must(api.POST("/v1/cases/{id}/respond", { params: { path: { id } }, body: summary ? { summary } : {} })));
  const checklist = CHECKLISTS.find((f) => f.match(cb.network, cb.reason_code))!;
  const have = new Set(cb.evidence.map((e) => e.kind));
  return (
    <section aria-labelledby="cb-title" className="chargeback">
      <h2 id="cb-title">Chargeback</h2>
      <dl className="facts">
        <div><dt>Network</dt><dd>{label(cb.network)}</dd></div>
        <div><dt>Reason</dt><dd>{cb.reason_code} {cb.reason_name}</dd></div>
        <div><dt>Amount</dt><dd>{money(cb.amount.amount, cb.amount.currency)}</dd></div>
        <div><dt>Stage</dt><dd>{label(cb.stage)}</dd></div>
        <div><dt>Due by</dt><dd>{when(cb.due_by)}</dd></div>
      </dl>
      <h3>{checklist.family}: evidence usually needed</h3>
      <ul className="checklist">
        {checklist.kinds.map((k) => <li key={k} className={have.has(k) ? "done" : ""}>{have.has(k) ? "✓ " : "○ "}{label(k)}</li>)}
      </ul>
      <h3>Evidence</h3>
      {cb.evidence.length === 0 ? <p className="muted">None yet.</p> : (
        <ul>{cb.evidence.map((e, i) => <li key={i}><strong>{label(e.kind)}</strong>: {e.text} <span className="muted">({names(e.added_by)}, {when(e.added_at)})</span></li>)}</ul>
      )}
      {can.has("evidence") && (
        <form className="subform" aria-label="Add evidence" onSubmit={(e) => { e.preventDefault(); add.mutate(undefined, { onSuccess: () => setText("") }); }}>
          <label>
            Kind
            <select value={kind} onChange={(e) => setKind(e.target.value as Schemas["EvidenceKind"])}>
              {EVIDENCE_KINDS.map((k) => <option key={k} value={k}>{label(k)}</option>)}
            </select>
          </label>
          <label>
            Evidence
            <input value={text} onChange={(e) => setText(e.target.value)} required />
          </label>
          {add.error && <p role="alert" className="error">{add.error.message}</p>}
          <button type="submit" disabled={add.isPending}>Add evidence</button>
        </form>
      )}
      {can.has("respond") && (
        <form className="subform" aria-label="Respond to the network" onSubmit={(e) => { e.preventDefault(); respond.mutate(); }}>
          <label>
            Response summary
            <input value={summary} onChange={(e) => setSummary(e.target.value)} />
          </label>
          {respond.error && <p role="alert" className="error">{respond.error.message}</p>}
          <button type="submit" disabled={respond.isPending}>Respond</button>
          <span className="muted">A supervisor approves the response before it is sent.</span>
        </form>
      )}
    </section>
  );
}

function Money({ c, can }: { c: Case; can: Set<string> }) {
  const names = useNames();
  const canRefund = can.has("refunds") || can.has("adjustments");
  if (c.movements.length === 0 && !canRefund) return null;
  return (
    <section aria-labelledby="money-title" className="money">
      <h2 id="money-title">Refunds and credits</h2>
      {c.movements.length > 0 && (
        <table>
          <thead><tr><th scope="col">Kind</th><th scope="col">Of</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Asked by</th><th scope="col">Reason</th></tr></thead>
          <tbody>
            {c.movements.map((m) => (
              <tr key={m.id}>
                <td>{label(m.kind)}</td>
                <td>{m.payment_id ?? m.invoice_id}</td>
                <td>{money(m.amount.amount, m.amount.currency)}</td>
                <td>{label(m.status)}{m.failure ? ` (${m.failure})` : ""}</td>
                <td>{names(m.requested_by)}</td>
                <td>{m.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.approvals.filter((a) => a.status === "pending").map((a) => (
        <p key={a.id} className="badge warn">Waiting for approval {a.id}: {a.reason} (expires {when(a.expires_at)})</p>
      ))}
      {canRefund && <ProposeMoney c={c} can={can} />}
    </section>
  );
}

function ProposeMoney({ c, can }: { c: Case; can: Set<string> }) {
  const id = c.id;
  const payments = useQuery({
    queryKey: ["/v1/customers/{id}/payments", c.customer_id],
    queryFn: () => must(api.GET("/v1/customers/{id}/payments", { params: { path: { id: c.customer_id } } })),
    select: (d) => d.items,
  });
  const invoices = useQuery({
    queryKey: ["/v1/customers/{id}/invoices", c.customer_id],
    queryFn: () => must(api.GET("/v1/customers/{id}/invoices", { params: { path: { id: c.customer_id } } })),
    select: (d) => d.items,
  });
  const [target, setTarget] = useState("");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const isInvoice = target.startsWith("INV-");
  const balance = useQuery({
    queryKey: [isInvoice ? "/v1/invoices/{id}" : "/v1/payments/{id}", target],
    enabled: !!target,
    queryFn: async () => {
      if (isInvoice) {
        const inv = await must(api.GET("/v1/invoices/{id}", { params: { path: { id: target } } }));
        return { available: inv.balance, currency: inv.currency, total: inv.amount };
      }
      const p = await must(api.GET("/v1/payments/{id}", { params: { path: { id: target } } }));
      return { available: p.refundable, currency: p.currency, total: p.amount };
    },
  });
  const propose = useCaseAction(id, () => {
    const currency = balance.data!.currency;
    return isInvoice
      ? must(api.POST("/v1/cases/{id}/adjustments", { params: { path: { id } }, body: { invoice_id: target, amount, currency, reason } }))
      : must(api.POST("/v1/cases/{id}/refunds", { params: { path: { id } }, body: { payment_id: target, amount, currency, reason } }));
  });
  const needs = approvalNeeded(amount);
  return (
    <form className="subform" aria-label="Propose a refund or credit"
      onSubmit={(e) => { e.preventDefault(); propose.mutate(undefined, { onSuccess: () => { setAmount(""); setReason(""); } }); }}>
      <label>
        Payment or invoice
        <select value={target} onChange={(e) => setTarget(e.target.value)} required>
          <option value="">Choose…</option>
          {can.has("refunds") && (payments.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>Refund payment {p.id} · {money(p.amount, p.currency)} · {p.method} · {when(p.paid_at)}</option>
          ))}
          {can.has("adjustments") && (invoices.data ?? []).map((i) => (
            <option key={i.id} value={i.id}>Credit invoice {i.number} · {money(i.amount, i.currency)}</option>
          ))}
        </select>
      </label>
      {balance.data && (
        <p className="muted" aria-live="polite">
          {isInvoice ? "Open balance" : "Refundable"}: <strong>{money(balance.data.available, balance.data.currency)}</strong> of {money(balance.data.total, balance.data.currency)}
        </p>
      )}
      <label>
        Amount
        <input inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} required pattern="[0-9]+([.][0-9]+)?" />
      </label>
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} required />
      </label>
      {needs && <p className="muted">{needs}</p>}
      {propose.error && <p role="alert" className="error">{propose.error.message}</p>}
      <button type="submit" disabled={propose.isPending || !balance.data}>{isInvoice ? "Propose credit" : "Propose refund"}</button>
    </form>
  );
}

/** approvalNeeded restates the default authority matrix for the amount typed;
 * the case decides, cumulatively, when the proposal is sent. */
function approvalNeeded(amount: string): string {
  const n = Number(amount);
  if (!amount || !Number.isFinite(n) || n <= 0) return "";
  if (n <= 100) return "Within an agent's authority under the default matrix, unless earlier refunds add up past it.";
  if (n <= 1000) return "Needs one supervisor's approval under the default matrix.";
  return "Needs two supervisors' approval under the default matrix.";
}

function CustomerPanel({ c }: { c: Case }) {
  const cid = c.customer_id;
  const customer = useQuery({
    queryKey: ["/v1/customers/{id}", cid],
    queryFn: () => must(api.GET("/v1/customers/{id}", { params: { path: { id: cid } } })),
  });
  const others = useQuery({
    queryKey: ["/v1/cases", { customer_id: cid }],
    queryFn: () => must(api.GET("/v1/cases", { params: { query: { customer_id: cid, limit: 10 } } })),
    select: (d) => d.items.filter((x) => x.id !== c.id),
  });
  const payments = useQuery({
    queryKey: ["/v1/customers/{id}/payments", cid],
    queryFn: () => must(api.GET("/v1/customers/{id}/payments", { params: { path: { id: cid } } })),
    select: (d) => d.items,
  });
  const invoices = useQuery({
    queryKey: ["/v1/customers/{id}/invoices", cid],
    queryFn: () => must(api.GET("/v1/customers/{id}/invoices", { params: { path: { id: cid } } })),
    select: (d) => d.items,
  });
  return (
    <aside className="side" aria-labelledby="customer-title">
      <h2 id="customer-title">Customer</h2>
      {customer.data && <CustomerProfile customer={customer.data} />}
      <p><Link to={`/customers/${cid}`}>The customer's page</Link></p>
      <h3>Other cases</h3>
      {(others.data ?? []).length === 0 ? <p className="muted">None.</p> : (
        <ul>{others.data!.map((o) => <li key={o.id}><Link to={`/cases/${o.id}`}>{o.id}</Link> {o.subject} <span className="muted">({label(o.status)})</span></li>)}</ul>
      )}
      <h3>Payments</h3>
      <ul>{(payments.data ?? []).map((p) => <li key={p.id}>{p.id}: {money(p.amount, p.currency)} {p.method} <span className="muted">{when(p.paid_at)}</span></li>)}</ul>
      <h3>Invoices</h3>
      <ul>{(invoices.data ?? []).map((i) => <li key={i.id}>{i.number}: {money(i.amount, i.currency)} <span className="muted">due {when(i.due_at)}</span></li>)}</ul>
    </aside>
  );
}
