import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { memo, type RefObject, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, must, type Case } from "../api/client";
import type { paths } from "../api/schema.gen";
import { ago, label } from "../format";
import { isTyping, useNames, useNow, useUsers } from "../hooks";
import { useMe } from "../session";
import { RowViewers } from "../presence";
import { NextDue } from "../sla";

const TYPES = ["inquiry", "dispute", "chargeback", "refund"] as const;
const STATUSES = ["new", "open", "waiting_on_customer", "pending_approval", "escalated", "resolved", "closed"] as const;
const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
const CHANNELS = ["phone", "email", "chat", "social", "web"] as const;
const SORTS: Record<string, string> = { newest: "Newest first", next_breach: "Next breach first" };
// The filters kept in the URL, beside the queue.
const FILTERS = ["type", "status", "priority", "channel", "category", "assignee_id", "q", "sort"] as const;
const PAGE = 50;

type ListQuery = paths["/v1/cases"]["get"]["parameters"]["query"];

export function Queues() {
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const queueName = params.get("queue") ?? "mine";
  const queues = useQuery({ queryKey: ["/v1/queues"], queryFn: () => must(api.GET("/v1/queues")), select: (d) => d.items });
  const queue = queues.data?.find((q) => q.name === queueName);

  // The queue's own parameters, with the filters of the URL over them.
  const query = useMemo(() => {
    const q: Record<string, string> = { ...(queue?.params ?? {}) };
    for (const f of FILTERS) {
      const v = params.get(f);
      if (v) q[f] = v;
    }
    return q;
  }, [queue, params]);

  const list = useInfiniteQuery({
    queryKey: ["/v1/cases", query],
    enabled: !!queue,
    initialPageParam: "",
    queryFn: ({ pageParam }) =>
      must(api.GET("/v1/cases", { params: { query: { ...query, limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) } as ListQuery } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const cases = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };

  return (
    <main className="queues">
      <h1>Queues</h1>
      <nav aria-label="Queues" className="tabs">
        {queues.data?.map((q) => (
          <Link key={q.name} to={`/queues?queue=${q.name}`} aria-current={q.name === queueName ? "page" : undefined}>
            {q.label} <span className="count">{q.count}</span>
          </Link>
        ))}
      </nav>
      <Filters params={params} setFilter={setFilter} />
      <CaseTable cases={cases} me={me.id} loading={list.isPending} error={list.error?.message}
        order={query.sort === "next_breach" ? "soonest SLA breach first" : "newest first"} />
      {list.hasNextPage && (
        <button type="button" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
    </main>
  );
}

function Filters({ params, setFilter }: { params: URLSearchParams; setFilter: (n: string, v: string) => void }) {
  const users = useUsers();
  const [q, setQ] = useState(params.get("q") ?? "");
  const [category, setCategory] = useState(params.get("category") ?? "");
  useEffect(() => {
    const t = setTimeout(() => {
      if (q !== (params.get("q") ?? "")) setFilter("q", q);
      else if (category.trim() !== (params.get("category") ?? "")) setFilter("category", category.trim());
    }, 300);
    return () => clearTimeout(t);
  });
  const select = (name: string, text: string, options: readonly string[], names?: (v: string) => string) => (
    <label>
      {text}
      <select value={params.get(name) ?? ""} onChange={(e) => setFilter(name, e.target.value)}>
        <option value="">Any</option>
        {options.map((o) => <option key={o} value={o}>{names ? names(o) : label(o)}</option>)}
      </select>
    </label>
  );
  const staff = (users.data ?? []).filter((u) => (u.role === "agent" || u.role === "supervisor") && !u.deactivated_at);
  return (
    <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <label>
        Search
        <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="ID, subject, description" />
      </label>
      {select("type", "Type", TYPES)}
      {select("status", "Status", STATUSES)}
      {select("priority", "Priority", PRIORITIES)}
      {select("channel", "Channel", CHANNELS)}
      <label>
        Category
        <input type="text" value={category} onChange={(e) => setCategory(e.target.value)} placeholder="any" size={14} />
      </label>
      {select("assignee_id", "Assignee", staff.map((u) => u.id), (id) => staff.find((u) => u.id === id)?.name ?? id)}
      <label>
        Sort
        <select value={params.get("sort") ?? "newest"} onChange={(e) => setFilter("sort", e.target.value === "newest" ? "" : e.target.value)}>
          {Object.entries(SORTS).map(([v, text]) => <option key={v} value={v}>{text}</option>)}
        </select>
      </label>
    </form>
  );
}

function CaseTable({ cases, me, loading, error, order }: { cases: Case[]; me: string; loading: boolean; error?: string; order: string }) {
  const navigate = useNavigate();
  const [cursor, setCursor] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const rows = useRef<(HTMLTableRowElement | null)[]>([]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey || cases.length === 0) return;
      const at = Math.min(cursor, cases.length - 1);
      if (e.key === "j" || e.key === "k") {
        const next = Math.max(0, Math.min(cases.length - 1, at + (e.key === "j" ? 1 : -1)));
        setCursor(next);
        rows.current[next]?.querySelector("a")?.focus();
      } else if (e.key === "Enter" && !(e.target instanceof HTMLAnchorElement) && !(e.target instanceof HTMLButtonElement)) {
        navigate(`/cases/${cases[at].id}`);
      } else if (e.key === "x") {
        toggle(cases[at].id);
      } else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const toggle = useCallback((id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    }), []);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (loading) return <p aria-busy="true">Loading cases…</p>;
  if (cases.length === 0) return <p className="empty">No cases here.</p>;
  return (
    <>
      <BulkAssign selected={[...selected]} me={me} onDone={() => setSelected(new Set())} />
      <table className="cases">
        <caption className="visually-hidden">Cases, {order}. j and k move, Enter opens, x selects.</caption>
        <thead>
          <tr>
            <th scope="col"><span className="visually-hidden">Selected</span></th>
            <th scope="col">Case</th>
            <th scope="col">Subject</th>
            <th scope="col">Customer</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            <th scope="col">Assignee</th>
            <th scope="col">Next SLA due</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {cases.map((c, i) => (
            <Row key={c.id} c={c} i={i} rows={rows} atCursor={i === cursor} selected={selected.has(c.id)} me={me}
              setCursor={setCursor} toggle={toggle} />
          ))}
        </tbody>
      </table>
    </>
  );
}

type RowProps = {
  c: Case; i: number; rows: RefObject<(HTMLTableRowElement | null)[]>; atCursor: boolean; selected: boolean; me: string;
  setCursor: (i: number) => void; toggle: (id: string) => void;
};

// A row re-renders only when its own case, cursor or selection changes (and
// its clock ticks), so j/k costs two rows however many are shown.
const Row = memo(function Row({ c, i, rows, atCursor, selected, me, setCursor, toggle }: RowProps) {
  const names = useNames();
  const now = useNow();
  return (
    <tr ref={(el) => { rows.current[i] = el; }} className={atCursor ? "cursor" : undefined}
      aria-selected={selected} onClick={() => setCursor(i)}>
      <td>
        <input type="checkbox" aria-label={`Select ${c.id}`} checked={selected} onChange={() => toggle(c.id)} />
      </td>
      <td><Link to={`/cases/${c.id}`} className="case-id">{c.id}</Link> <RowViewers id={c.id} me={me} /></td>
      <td>{c.subject}</td>
      <td>{c.customer_id}</td>
      <td>{label(c.type)}</td>
      <td><span className={`status ${c.status}`}>{label(c.status)}</span></td>
      <td><span className={`priority ${c.priority}`}>{label(c.priority)}</span></td>
      <td>{names(c.assignee_id)}</td>
      <td><NextDue c={c} /></td>
      <td><time dateTime={c.updated_at}>{ago(c.updated_at, now)}</time></td>
    </tr>
  );
});

function BulkAssign({ selected, me, onDone }: { selected: string[]; me: string; onDone: () => void }) {
  const qc = useQueryClient();
  const users = useUsers();
  const [assignee, setAssignee] = useState(me);
  const assign = useMutation({
    mutationFn: async () => {
      const results = await Promise.allSettled(
        selected.map((id) => must(api.POST("/v1/cases/{id}/assign", { params: { path: { id } }, body: { assignee_id: assignee } }))),
      );
      const failed = results.filter((r) => r.status === "rejected").length;
      if (failed) throw new Error(`${failed} of ${selected.length} cases could not be assigned`);
    },
    onSettled: () => {
      qc.invalidateQueries({ queryKey: ["/v1/cases"] });
      qc.invalidateQueries({ queryKey: ["/v1/queues"] });
    },
    onSuccess: onDone,
  });
  if (selected.length === 0) return null;
  const staff = (users.data ?? []).filter((u) => (u.role === "agent" || u.role === "supervisor") && !u.deactivated_at);
  return (
    <div className="bulk" role="region" aria-label="Bulk actions">
      <span>{selected.length} selected</span>
      <label>
        Assign to
        <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
          {staff.map((u) => <option key={u.id} value={u.id}>{u.name}</option>)}
        </select>
      </label>
      <button type="button" onClick={() => assign.mutate()} disabled={assign.isPending}>Assign selected</button>
      {assign.error && <span role="alert" className="error">{assign.error.message}</span>}
    </div>
  );
}
