import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, must, type Approval } from "../api/client";
import { label, money, when } from "../format";
import { useNames } from "../hooks";
import { useMe } from "../session";

const STATUSES = ["pending", "approved", "rejected", "expired", "withdrawn"] as const;

export function Approvals() {
  const [params, setParams] = useSearchParams();
  const status = (params.get("status") ?? "pending") as (typeof STATUSES)[number];
  const approvals = useQuery({
    queryKey: ["/v1/approvals", status],
    queryFn: () => must(api.GET("/v1/approvals", { params: { query: { status } } })),
    select: (d) => d.items,
  });
  return (
    <main className="approvals">
      <h1>Approvals</h1>
      <nav aria-label="Approval status" className="tabs">
        {STATUSES.map((s) => (
          <Link key={s} to={`/approvals?status=${s}`} aria-current={s === status ? "page" : undefined}
            onClick={(e) => { e.preventDefault(); setParams({ status: s }); }}>{label(s)}</Link>
        ))}
      </nav>
      {approvals.error && <p role="alert" className="error">{approvals.error.message}</p>}
      {approvals.data?.length === 0 && <p className="empty">No {status} approvals.</p>}
      <ul className="approval-list">
        {approvals.data?.map((a) => <ApprovalItem key={a.id} a={a} />)}
      </ul>
    </main>
  );
}

function ApprovalItem({ a }: { a: Approval }) {
  const me = useMe();
  const names = useNames();
  const qc = useQueryClient();
  const [comment, setComment] = useState("");
  const done = () => {
    qc.invalidateQueries({ queryKey: ["/v1/approvals"] });
    qc.invalidateQueries({ predicate: (q) => q.queryKey[1] === a.case_id });
  };
  const approve = useMutation({
    mutationFn: () => must(api.POST("/v1/approvals/{id}/approve", { params: { path: { id: a.id } }, body: comment ? { comment } : {} })),
    onSettled: done,
  });
  const reject = useMutation({
    mutationFn: () => must(api.POST("/v1/approvals/{id}/reject", { params: { path: { id: a.id } }, body: { reason: comment } })),
    onSettled: done,
  });
  const own = a.requested_by === me.id;
  const decided = a.decisions.some((d) => d.by === me.id);
  const titleId = `approval-${a.id}`;
  return (
    <li className="approval" aria-labelledby={titleId}>
      <h2 id={titleId}>
        {label(a.kind)} {a.amount && <span>{money(a.amount, a.currency)}</span>} on <Link to={`/cases/${a.case_id}`}>{a.case_id}</Link>
      </h2>
      <p>{a.reason}</p>
      <p className="muted">
        Asked by {names(a.requested_by)} {when(a.requested_at)} · needs {a.required} approval{a.required === 1 ? "" : "s"}
        {a.decisions.length > 0 && <> · so far: {a.decisions.map((d) => `${names(d.by)} (${d.approve ? "approved" : "rejected"})`).join(", ")}</>}
        {a.status === "pending" && <> · expires {when(a.expires_at)}</>}
      </p>
      {a.status === "pending" && (own ? (
        <p className="badge warn">Your own request: another supervisor decides it.</p>
      ) : decided ? (
        <p className="badge">You approved it; it waits for another supervisor.</p>
      ) : (
        <form className="subform" aria-label={`Decide ${a.id}`} onSubmit={(e) => e.preventDefault()}>
          <label>
            Comment (a rejection needs one)
            <input value={comment} onChange={(e) => setComment(e.target.value)} />
          </label>
          <div className="buttons">
            <button type="button" className="primary" disabled={approve.isPending} onClick={() => approve.mutate()}>Approve</button>
            <button type="button" disabled={reject.isPending || !comment.trim()} onClick={() => reject.mutate()}>Reject</button>
          </div>
          {(approve.error || reject.error) && <p role="alert" className="error">{(approve.error ?? reject.error)!.message}</p>}
        </form>
      ))}
      {a.status !== "pending" && <p>{label(a.status)} {when(a.decided_at)}</p>}
    </li>
  );
}
